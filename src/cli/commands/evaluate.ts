import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { MODEL_OPTIONS, PIPELINE_HELP, configFromFlags } from '../common.js';
import { initBackend, type BackendChoice } from '../../backend.js';
import { ClassifierHead, headLoadOptions } from '../../models/classifier.js';
import { listFolderPerClass, listUtkFace, type Sample } from '../../evaluation/datasets.js';
import { evaluateHead } from '../../evaluation/evaluate.js';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'accuracy of a head on a labelled dataset (FER-2013 class folders, UTKFace chips)',
  usage: 'fer2013 FOLDER | utkface FOLDER [--pad 0.4] [--min-age N --max-age N] [options]',
  details: 'fer2013: FOLDER/<class>/<image> scored with the emotion model.\nutkface: chips named age_gender_race_date.jpg.chip.jpg scored with the gender model; --pad widens each chip by that fraction on every side (edge-replicated), closer to the paper\'s looser crops.\nPrints one JSON report: accuracy, per-class accuracy and the confusion matrix.',
  options: {
    ...MODEL_OPTIONS,
    'pad': { type: 'string' },
    'min-age': { type: 'string' },
    'max-age': { type: 'string' },
  },
  help: { ...PIPELINE_HELP, 'pad': 'widen each crop by this fraction on every side (edge-replicated); default 0', 'min-age': 'utkface: only faces at least this old', 'max-age': 'utkface: only faces at most this old' },
  async run(values, positionals, context) {
    const [dataset, folder] = positionals;
    if ((dataset !== 'fer2013' && dataset !== 'utkface') || !folder) throw new UsageError('give a dataset (fer2013 or utkface) and its folder');
    const config = configFromFlags(values);
    await initBackend(config['backend'] as BackendChoice, context.log);
    const task = dataset === 'fer2013' ? 'emotion' : 'gender';
    const head = await ClassifierHead.load(task, config[`${task}.model`], headLoadOptions(config, context.log));
    let samples: Sample[] = dataset === 'fer2013' ? listFolderPerClass(folder, head.labels) : listUtkFace(folder);
    const minAge = values['min-age'] === undefined ? -Infinity : Number(values['min-age']);
    const maxAge = values['max-age'] === undefined ? Infinity : Number(values['max-age']);
    samples = samples.filter((s) => s.age === undefined || (s.age >= minAge && s.age <= maxAge));
    const pad = values['pad'] === undefined ? 0 : Number(values['pad']);
    if (!Number.isFinite(pad) || pad < 0 || pad > 2) throw new UsageError(`--pad must be a fraction between 0 and 2, got ${String(values['pad'])}`);
    const started = performance.now();
    const report = evaluateHead(head, samples, { pad });
    context.emit({ dataset, folder, pad, ...report, seconds: Math.round(performance.now() - started) / 1000 });
    head.dispose();
    return 0;
  },
};
