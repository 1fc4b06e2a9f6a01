import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { MODEL_OPTIONS, PIPELINE_HELP, configFromFlags, expandImageInputs, imageOptions } from '../common.js';
import { initBackend, type BackendChoice } from '../../backend.js';
import { headLoadOptions, loadHeads, type HeadTask } from '../../models/classifier.js';
import { createHeadsEngine } from '../../models/inference/create.js';
import { headsOf, sharedModel, type Heads, type HeadsEngine } from '../../models/inference/engine.js';
import { classificationJson } from './results.js';
import { readGray } from '../../vision/image.js';
import { faceInput } from '../../vision/preprocess.js';

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'classify already-cropped face images with the emotion and gender heads',
  usage: '[options] IMAGE|FOLDER...',
  details: 'Each image is a face crop (as in FER-2013). Prints one JSON line per image: {file, emotion: {label, confidence, scores}, gender: {...}}.\nImages go through each head in batches of --batch-size.',
  options: { ...MODEL_OPTIONS, 'no-emotion': { type: 'boolean' }, 'no-gender': { type: 'boolean' } },
  help: PIPELINE_HELP,
  interruptible: true,
  async run(values, positionals, context) {
    const config = configFromFlags(values);
    const tasks = (['emotion', 'gender'] as HeadTask[]).filter((t) => config[`${t}.enabled`]);
    if (tasks.length === 0) throw new UsageError('both heads are disabled; nothing to do');
    const files = expandImageInputs(positionals, (error) => context.reportError(error)).map((input) => input.file);
    if (files.length === 0) return 1;
    await initBackend(config['backend'] as BackendChoice, context.log);
    const options = headLoadOptions(config, context.log);
    let heads: Heads = {};
    let engine: HeadsEngine | undefined;
    try {
      heads = await loadHeads(Object.fromEntries(tasks.map((task) => [task, config[`${task}.model`]])), options);
      // The same engine choice as the pipeline (inference.engine): auto is onnxruntime where installed.
      engine = createHeadsEngine(heads, config, context.log);
      const loaded = headsOf(heads);
      // Decode in chunks so that a folder of thousands of crops never sits in memory at once.
      const chunkSize = config['models.batch_size'] * 4;
      for (let start = 0; start < files.length; start += chunkSize) {
        if (await context.shouldStop()) break;
        const decoded: { file: string; gray: ReturnType<typeof readGray> }[] = [];
        for (const file of files.slice(start, start + chunkSize)) {
          try {
            decoded.push({ file, gray: readGray(file, imageOptions(config)) });
          } catch (error) {
            context.reportError(error);
          }
        }
        const inputs = Object.fromEntries(loaded.map(([task, head]) => [task, decoded.map((d) => faceInput(d.gray, head.inputHeight, head.inputWidth, head.scaling))]));
        // Both heads of one dual model: one input list (the same network, size and scaling), one pass a batch for both.
        if (sharedModel(heads) && inputs['emotion'] && inputs['gender']) inputs['gender'] = inputs['emotion'];
        for (const d of decoded) d.gray.release();
        const answers = engine.classify(inputs);
        decoded.forEach((d, i) => {
          // The path as given (or as found in a folder given), like detect and explain.
          const line: Record<string, unknown> = { file: d.file };
          for (const [task, head] of loaded) line[task] = classificationJson(head.labels, answers[task]![i]!);
          context.emit(line);
        });
      }
    } finally {
      engine?.dispose();
      for (const [, head] of headsOf(heads)) head.dispose();
    }
    return 0;
  },
};
