import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { MODEL_OPTIONS, PIPELINE_HELP, configFromFlags, expandImageInputs, imageOptions } from '../common.js';
import { initBackend, type BackendChoice } from '../../backend.js';
import { ClassifierHead, headLoadOptions, type HeadTask } from '../../models/classifier.js';
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
    const files = expandImageInputs(positionals).map((input) => input.file);
    await initBackend(config['backend'] as BackendChoice, context.log);
    const tasks = (['emotion', 'gender'] as HeadTask[]).filter((t) => config[`${t}.enabled`]);
    if (tasks.length === 0) throw new UsageError('both heads are disabled; nothing to do');
    const options = headLoadOptions(config, context.log);
    const heads: ClassifierHead[] = [];
    for (const task of tasks) heads.push(await ClassifierHead.load(task, config[`${task}.model`], options));

    // Decode in chunks so that a folder of thousands of crops never sits in memory at once.
    const chunkSize = config['models.batch_size'] * 4;
    for (let start = 0; start < files.length && !context.interrupted.value; start += chunkSize) {
      const chunk = files.slice(start, start + chunkSize);
      const decoded: { file: string; gray: ReturnType<typeof readGray> }[] = [];
      for (const file of chunk) {
        try {
          decoded.push({ file, gray: readGray(file, imageOptions(config)) });
        } catch (error) {
          context.reportError(error);
        }
      }
      const answers = heads.map((head) => head.predict(decoded.map((d) => faceInput(d.gray, head.inputHeight, head.inputWidth, head.scaling))));
      decoded.forEach((d, i) => {
        // The path as given (or as found in a folder given), like detect and explain.
        const line: Record<string, unknown> = { file: d.file };
        heads.forEach((head, h) => (line[head.task] = classificationJson(head.labels, answers[h]![i]!)));
        context.emit(line);
      });
    }
    for (const head of heads) head.dispose();
    return 0;
  },
};
