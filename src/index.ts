/**
 * face-classification as a library:
 *
 *   import { createFaceClassifier, readColor } from 'face-classification-ros';
 *   const classifier = await createFaceClassifier({ 'haar.scale_factor': 1.2 });
 *   const result = classifier.process(readColor('photo.jpg'));
 *   // result.faces[0].emotion.label === 'happy', result.faces[0].gender.label === 'woman'
 *
 * Stages, by folder: vision/ (decode, crop, preprocess, draw), detection/ (Haar, YuNet), models/
 * (Keras import, heads), pipeline/ (frame -> results), explain/ (GBP, Grad-CAM), config/ (the schema).
 */
import { FacePipeline, type PipelineOptions } from './pipeline/pipeline.js';
import { loadConfig } from './config/load.js';

export { FacePipeline, headCrops, type HeadCrop, type FaceResult, type FrameResult, type StageTimings, type ColorOrder } from './pipeline/pipeline.js';
export { FaceStream } from './pipeline/stream.js';
export { PreparedFrame } from './pipeline/prepared_frame.js';
export { ClassifierHead, loadHeads, LoadedModel, type Classification, type HeadTask } from './models/classifier.js';
export { importKerasModel } from './models/keras/import.js';
export { Network, type NetworkOps } from './models/network.js';
export { listManifests, findManifest, type ModelManifest } from './models/manifest.js';
export { resolveModel } from './models/resolve.js';
export { SCHEMA, CONFIG_KEYS, defaultConfig, type Config, type ConfigKey } from './config/schema.js';
export { makeConfig, applyOverrides, checkConfig } from './config/validate.js';
export { loadConfig, readSettingsFile } from './config/load.js';
export { initBackend, BACKENDS, type BackendChoice } from './backend.js';
export { readColor, readGray, decodeColor, writeImage } from './vision/image.js';
export { faceInput } from './vision/preprocess.js';
export { annotate } from './vision/draw.js';
export { VideoSource, VideoSink } from './video/source.js';
export { expandBox, iou, type Box } from './vision/crop.js';
export { HaarDetector } from './detection/haar.js';
export { createLogger } from './log.js';
export * from './errors.js';

/**
 * The pipeline with the paper's defaults, changed by `overrides` (flat keys as in config/*.yaml) and
 * optionally a YAML settings file.
 */
export function createFaceClassifier(overrides: Record<string, unknown> = {}, options: PipelineOptions & { configFile?: string } = {}): Promise<FacePipeline> {
  return FacePipeline.create(loadConfig(options.configFile, overrides), options);
}
