/**
 * One camera's results in the output bag: FaceClassificationArray, vision_msgs Detection2DArray
 * (emotion, and gender on its own topic, as the node publishes them) and the annotated debug image,
 * each with the source image's header and written at its recording time. The messages are built by
 * the node's ROS-free builders (src/messages/) and the debug image drawn as the node draws it.
 */
import type { FacePipeline, FrameResult } from '../pipeline/pipeline.js';
import { FACE_CLASSIFICATION_ARRAY_TYPE, matToImageMessage, resultToMessage, type HeaderMsg } from '../messages/face_classification.js';
import { DETECTION_ARRAY_TYPE, detectionArray } from '../messages/vision_msgs.js';
import { annotate } from '../vision/draw.js';
import { CDR, IMAGE_TYPE, encodeCdr } from './codec.js';
import { DEFAULT_QOS, type McapBagWriter } from './mcap_writer.js';
import type { CameraTopics } from './output_topics.js';

export class CameraOutput {
  private constructor(
    private readonly writer: McapBagWriter,
    private readonly topics: CameraTopics,
  ) {}

  static async create(writer: McapBagWriter, topics: CameraTopics): Promise<CameraOutput> {
    const channels: [string, string][] = [
      [topics.faces, FACE_CLASSIFICATION_ARRAY_TYPE],
      [topics.detections, DETECTION_ARRAY_TYPE],
      [topics.genderDetections, DETECTION_ARRAY_TYPE],
      [topics.debugImage, IMAGE_TYPE],
    ];
    for (const [topic, type] of channels) await writer.channel({ topic, type, serialization: CDR, qos: DEFAULT_QOS });
    return new CameraOutput(writer, topics);
  }

  /** Writes the frame's four messages; `latencyMs` is the frame's processing time (the message's latency field). */
  async write(pipeline: FacePipeline, result: FrameResult, header: HeaderMsg, latencyMs: number, logTime: bigint): Promise<void> {
    const emotionLabels = pipeline.heads.emotion?.labels ?? [];
    const genderLabels = pipeline.heads.gender?.labels ?? [];
    const put = (topic: string, type: string, message: unknown): Promise<void> => this.writer.write(topic, logTime, logTime, encodeCdr(type, message));
    await put(this.topics.faces, FACE_CLASSIFICATION_ARRAY_TYPE, resultToMessage(result, { header, latencyMs, emotionClasses: emotionLabels, genderClasses: genderLabels }));
    await put(this.topics.detections, DETECTION_ARRAY_TYPE, detectionArray(result, header, 'emotion', emotionLabels));
    await put(this.topics.genderDetections, DETECTION_ARRAY_TYPE, detectionArray(result, header, 'gender', genderLabels));
    const annotated = annotate(result.prepared.bgr, result.faces);
    try {
      await put(this.topics.debugImage, IMAGE_TYPE, matToImageMessage(annotated, header));
    } finally {
      annotated.release();
    }
  }
}
