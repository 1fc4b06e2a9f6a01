import fs from 'node:fs';
import path from 'node:path';
import type { Command, OptionValues } from '../command.js';
import { UsageError } from '../command.js';
import { MODEL_OPTIONS, PIPELINE_HELP, configFromFlags } from '../common.js';
import { initBackend, type BackendChoice } from '../../backend.js';
import { FaceClassificationError } from '../../errors.js';
import { ClassifierHead, headLoadOptions, type HeadTask } from '../../models/classifier.js';
import { DATASET_FORMATS, DatasetError, GENDER_LABELS, openDataset, type DatasetFormat, type Sample, type Split } from '../../evaluation/datasets.js';
import { evaluateHead } from '../../evaluation/evaluate.js';
import { createHeadsEngine } from '../../models/inference/create.js';
import { confusionImage } from '../../evaluation/confusion-image.js';
import { reportTable } from '../../evaluation/report-table.js';
import { writeImage } from '../../vision/image.js';
import { ensureFolder } from '../output_paths.js';

function optionalNumber(values: OptionValues, flag: string): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} needs a number, got ${JSON.stringify(raw)}`);
  return n;
}

/** `fer2013 DIR` and `utkface DIR` (the first forms), or one dataset path of any format. */
function datasetArguments(positionals: string[], values: OptionValues): { source: string; format: DatasetFormat; task?: HeadTask; name: string } {
  const [first, second, ...rest] = positionals;
  if (rest.length || !first) throw new UsageError('give one dataset: a folder per class, UTKFace chips, a FER-2013 CSV or a path,label CSV (or fer2013 DIR / utkface DIR)');
  const format = (values['format'] as string | undefined) ?? 'auto';
  if (!(DATASET_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${DATASET_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  if ((first === 'fer2013' || first === 'utkface') && second) {
    return { source: second, format: first === 'fer2013' ? 'folders' : 'utkface', task: first === 'fer2013' ? 'emotion' : 'gender', name: first };
  }
  if (second) throw new UsageError(`unexpected argument ${JSON.stringify(second)}: give one dataset path`);
  return { source: first, format: format as DatasetFormat, name: path.basename(path.resolve(first)) };
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'accuracy, per-class precision/recall/F1 and the confusion matrix of a head on a labelled dataset',
  usage: 'DATASET [--head emotion|gender] [--model ID|PATH] [--json] [--out DIR] [options]\n       fer2013 FOLDER | utkface FOLDER [--pad 0.4] [--min-age N --max-age N] [options]',
  details: [
    'DATASET: a folder per class (FOLDER/<class>/<image>, e.g. ../shared/testdata/fer2013-publictest), UTKFace chips',
    '(age_gender_race_date.jpg.chip.jpg), FER-2013\'s CSV (emotion,pixels,Usage; --split picks the rows) or a CSV index',
    '(path,label). `fer2013 FOLDER` is a folder per class scored by the emotion head; `utkface FOLDER` UTKFace chips',
    'scored by the gender head.',
    'Images are preprocessed as classify does (gray, bilinear resize, [-1, 1]), so the accuracy equals classify\'s.',
    'Prints the accuracy, a per-class table (precision, recall, F1, support) and the confusion matrix (rows: true,',
    'columns: predicted); --json prints one JSON report instead. --out DIR also writes DIR/report.json and',
    'DIR/confusion.png (counts, row-normalised colours, labelled axes). An unreadable image is named on stderr,',
    'counted in the report and left out; the rest are still scored (exit status 1).',
  ].join('\n'),
  options: {
    ...MODEL_OPTIONS,
    'head': { type: 'string' },
    'model': { type: 'string', short: 'm' },
    'json': { type: 'boolean' },
    'out': { type: 'string', short: 'o' },
    'format': { type: 'string' },
    'split': { type: 'string' },
    'pad': { type: 'string' },
    'min-age': { type: 'string' },
    'max-age': { type: 'string' },
  },
  help: {
    ...PIPELINE_HELP,
    'head': 'emotion | gender: which head (and default model) to score (default: gender for UTKFace or woman/man labels, else emotion)',
    'model': 'the head\'s model: an id (see `face-classification models`) or a .hdf5 path, e.g. a trained DIR/model.hdf5',
    'json': 'print the report as one JSON line instead of the table',
    'out': 'also write report.json and confusion.png into this folder',
    'format': `dataset format: ${DATASET_FORMATS.join(' | ')} (default auto: by the path)`,
    'split': 'FER-2013 CSV rows: train (Training) | val (PublicTest, default) | test (PrivateTest) | all',
    'pad': 'widen each crop by this fraction on every side (edge-replicated); default 0',
    'min-age': 'utkface: only faces at least this old',
    'max-age': 'utkface: only faces at most this old',
  },
  async run(values, positionals, context) {
    const args = datasetArguments(positionals, values);
    const pad = optionalNumber(values, 'pad') ?? 0;
    if (pad < 0 || pad > 2) throw new UsageError(`--pad must be a fraction between 0 and 2, got ${String(values['pad'])}`);
    const minAge = optionalNumber(values, 'min-age');
    const maxAge = optionalNumber(values, 'max-age');
    for (const [flag, age] of [['min-age', minAge], ['max-age', maxAge]] as const) {
      if (age !== undefined && (age < 0 || !Number.isInteger(age))) throw new UsageError(`--${flag} must be a whole number of years, got ${String(age)}`);
    }
    if (minAge !== undefined && maxAge !== undefined && minAge > maxAge) throw new UsageError(`--min-age ${minAge} is above --max-age ${maxAge}: no face can match`);
    const split = (values['split'] as string | undefined) ?? 'val';
    if (!['train', 'val', 'test', 'all'].includes(split)) throw new UsageError(`--split must be train, val, test or all, got ${JSON.stringify(split)}`);
    const headFlag = values['head'] as string | undefined;
    if (headFlag !== undefined && headFlag !== 'emotion' && headFlag !== 'gender') throw new UsageError(`--head must be emotion or gender, got ${JSON.stringify(headFlag)}`);
    const outDir = values['out'] as string | undefined;
    if (outDir) ensureFolder('out', outDir);

    const dataset = openDataset(args.source, { format: args.format });
    const task: HeadTask = (headFlag as HeadTask | undefined) ?? args.task ?? (dataset.labels.join() === GENDER_LABELS.join() ? 'gender' : 'emotion');
    const config = configFromFlags(values);
    await initBackend(config['backend'] as BackendChoice, context.log);
    const head = await ClassifierHead.load(task, (values['model'] as string | undefined) ?? config[`${task}.model`], headLoadOptions(config, context.log));
    const engine = createHeadsEngine({ [task]: head }, config, context.log);
    try {
      const unknown = dataset.labels.filter((l) => !head.labels.includes(l));
      if (unknown.length) throw new DatasetError(args.source, `classes ${unknown.join(', ')} are not labels of model ${head.manifest.id} (${head.labels.join(', ')})`);
      let samples: Sample[] = dataset.samples;
      if (samples.some((s) => s.split) && split !== 'all') samples = samples.filter((s) => s.split === (split as Split));
      const ages = (minAge !== undefined || maxAge !== undefined);
      if (ages) {
        if (!samples.some((s) => s.age !== undefined)) throw new UsageError('--min-age / --max-age need a dataset with ages (UTKFace chips)');
        samples = samples.filter((s) => s.age !== undefined && s.age >= (minAge ?? 0) && s.age <= (maxAge ?? Infinity));
      }
      if (samples.length === 0) throw new DatasetError(args.source, `no samples left to evaluate${ages ? ` between ages ${minAge ?? 0} and ${maxAge ?? 'any'}` : ` in split ${split}`}`);
      const started = performance.now();
      // The same engine choice as the pipeline (inference.engine): auto is onnxruntime where installed.
      const report = evaluateHead(head, samples, { pad, classify: (faces) => engine.classify({ [task]: faces })[task]! });
      for (const bad of report.unreadable) context.reportError(new FaceClassificationError(`${bad.file}: ${bad.reason} (left out of the evaluation)`));
      if (report.samples === 0) throw new DatasetError(args.source, `none of the ${samples.length} samples could be read`);
      const full = { dataset: args.name, folder: args.source, format: dataset.format, head: task, pad, ...report, unreadableCount: report.unreadable.length, seconds: Math.round(performance.now() - started) / 1000 };
      if (outDir) {
        fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(full, null, 2) + '\n');
        writeImage(path.join(outDir, 'confusion.png'), confusionImage(report, `${report.model} on ${args.name} (${task})`));
      }
      if (values['json']) context.emit(full);
      else process.stdout.write(reportTable(report, args.name) + '\n' + (outDir ? `\nwrote ${path.join(outDir, 'report.json')} and ${path.join(outDir, 'confusion.png')}\n` : ''));
      return report.unreadable.length ? 1 : 0;
    } finally {
      engine.dispose();
      head.dispose();
    }
  },
};
