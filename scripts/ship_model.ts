/**
 * Ship a model this project trained (`npm run ship-model -- RUN_DIR [--id ID] [--val DATASET]`):
 * the run's best epoch (RUN_DIR/model.hdf5, checked against its own manifest's sha256) is copied to
 * models/ID.hdf5 with a manifest models/ID.json, so that every command and the ROS node load it by
 * id like the authors' releases; RUN_DIR gets training.png (the learning curves from training.csv)
 * and evaluation/ (`evaluate` on DATASET: report.json and confusion.png). Run from the repository root;
 * commit models/ID.* and RUN_DIR afterwards.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MANIFEST_DIR, type ModelManifest } from '../src/models/manifest.js';
import { packageRoot } from '../src/paths.js';
import { curvesImage, readTrainingCsv } from '../src/training/curves-image.js';
import { writeImage } from '../src/vision/image.js';

interface TrainedManifest extends ModelManifest {
  training?: { epoch: number; settings?: { architecture?: string; backend?: string; data?: string } };
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { id: { type: 'string' }, val: { type: 'string' } } });
const runDir = positionals[0];
if (!runDir || positionals.length > 1) {
  console.error('usage: npm run ship-model -- RUN_DIR [--id ID] [--val DATASET]');
  process.exit(2);
}
const modelFile = path.join(runDir, 'model.hdf5');
const sidecar = path.join(runDir, 'model.manifest.json');
for (const file of [modelFile, sidecar, path.join(runDir, 'training.csv')]) {
  if (!fs.existsSync(file)) {
    console.error(`ship-model: ${file}: no such file (is ${runDir} a run folder written by \`face-classification train\`?)`);
    process.exit(2);
  }
}
const trained = JSON.parse(fs.readFileSync(sidecar, 'utf8')) as TrainedManifest;
const bytes = fs.readFileSync(modelFile);
const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
if (sha256 !== trained.sha256) {
  console.error(`ship-model: ${modelFile}: sha256 ${sha256} differs from its manifest's ${trained.sha256} (a run still writing it?)`);
  process.exit(1);
}
const id = values.id ?? trained.id;
const validation = values.val ?? path.join('..', 'shared', 'testdata', 'fer2013-publictest');
const rows = readTrainingCsv(path.join(runDir, 'training.csv'));
const best = rows.find((r) => r.epoch === trained.training?.epoch);

const manifest: TrainedManifest = {
  ...trained,
  id,
  file: `${id}.hdf5`,
  sha256,
  url: '',
  architecture: trained.training?.settings?.architecture ?? trained.architecture,
  dataset: `${path.basename(trained.dataset ?? 'training data')} (validated on ${path.basename(validation)})`,
  reportedAccuracy: best?.val_acc ?? trained.reportedAccuracy,
  license: 'MIT (this project); trained on FER-2013, whose own terms apply to the data',
  run: path.relative(packageRoot, path.resolve(runDir)),
};
// The run records where this machine kept the data; a shipped manifest names only the dataset.
if (manifest.training?.settings?.data !== undefined) {
  manifest.training = { ...manifest.training, settings: { ...manifest.training.settings, data: path.basename(manifest.training.settings.data) } };
}
fs.copyFileSync(modelFile, path.join(MANIFEST_DIR, manifest.file));
fs.writeFileSync(path.join(MANIFEST_DIR, `${id}.json`), JSON.stringify(manifest, null, 2) + '\n');
console.log(`models/${manifest.file} and models/${id}.json written (epoch ${trained.training?.epoch}, validation accuracy ${manifest.reportedAccuracy})`);

const curves = curvesImage(rows, `${id}: ${rows.length} epochs on ${trained.training?.settings?.backend ?? 'unknown backend'}`);
writeImage(path.join(runDir, 'training.png'), curves);
curves.release();
console.log(`${path.join(runDir, 'training.png')} written`);

const cli = path.join(packageRoot, 'dist', 'src', 'cli', 'main.js');
const evaluation = path.join(runDir, 'evaluation');
execFileSync(process.execPath, [cli, 'evaluate', validation, '--head', manifest.task === 'gender' ? 'gender' : 'emotion', '--model', id, '--out', evaluation, '--log-level', 'warn'], { stdio: 'inherit' });
console.log(`${evaluation}/report.json and confusion.png written`);
