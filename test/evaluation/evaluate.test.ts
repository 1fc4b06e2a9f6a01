import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readColor, readGray } from '../../src/vision/image.js';
import { fer2013, scratchDir, utkface } from '../helpers/common.js';
import { runCli } from '../helpers/run_cli.js';

const dir = scratchDir('evaluate');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Report {
  accuracy: number;
  samples: number;
  macroF1: number;
  labels: string[];
  perClass: Record<string, { precision: number; recall: number; f1: number; total: number; correct: number }>;
  confusion: Record<string, Record<string, number>>;
  unreadable: { file: string; reason: string }[];
  unreadableCount: number;
}

test('evaluate reports the accuracy classify gives on FER-2013 PublicTest, per-class P/R/F1, a table and a confusion PNG', () => {
  const out = path.join(dir, 'fer');
  const evaluated = runCli(['evaluate', fer2013, '--head', 'emotion', '--json', '--out', out]);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const report = evaluated.lines[0] as unknown as Report;
  // classify on the same crops: its labels against the class folders.
  const classified = runCli(['classify', '--no-gender', fer2013]);
  assert.equal(classified.status, 0, classified.stderr);
  const hits = classified.lines.filter((l) => path.basename(path.dirname(String(l['file']))) === (l['emotion'] as { label: string }).label).length;
  assert.equal(classified.lines.length, 3589);
  assert.equal(report.samples, 3589);
  assert.equal(report.accuracy, hits / classified.lines.length);
  console.log(`# evaluate: ${(report.accuracy * 100).toFixed(2)}%, classify: ${((hits / classified.lines.length) * 100).toFixed(2)}%`);
  // Precision and recall from the matrix: column and row sums.
  for (const label of report.labels) {
    const s = report.perClass[label]!;
    const column = report.labels.reduce((a, t) => a + report.confusion[t]![label]!, 0);
    assert.equal(s.total, Object.values(report.confusion[label]!).reduce((a, b) => a + b, 0));
    assert.ok(Math.abs(s.precision - s.correct / column) < 1e-12 && Math.abs(s.recall - s.correct / s.total) < 1e-12);
    assert.ok(Math.abs(s.f1 - (2 * s.precision * s.recall) / (s.precision + s.recall)) < 1e-12);
  }
  const saved = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
  assert.equal(saved.accuracy, report.accuracy);
  const png = readColor(path.join(out, 'confusion.png'));
  assert.ok(png.cols > 7 * 60 && png.rows > 7 * 60, `confusion.png is ${png.cols}x${png.rows}`);
  const table = runCli(['evaluate', 'fer2013', fer2013]);
  assert.equal(table.status, 0);
  assert.match(table.stdout, /accuracy \d+\.\d\d% \(3589 samples\)/);
  assert.match(table.stdout, /precision\s+recall\s+f1\s+support/);
  assert.match(table.stdout, /confusion matrix \(rows: true class, columns: predicted class\)/);
  assert.ok(table.stdout.includes(`${(report.accuracy * 100).toFixed(2)}%`));
});

test('evaluate: FER-2013 CSV and a path,label CSV give the same report as the image folders', () => {
  const classes = ['angry', 'happy', 'surprise'];
  const picked = classes.flatMap((c) => fs.readdirSync(path.join(fer2013, c)).sort().slice(0, 10).map((f) => ({ label: c, file: path.join(fer2013, c, f) })));
  const folders = path.join(dir, 'folders');
  const index = ['path,label'];
  const fer = ['emotion,pixels,Usage'];
  for (const p of picked) {
    fs.mkdirSync(path.join(folders, p.label), { recursive: true });
    fs.copyFileSync(p.file, path.join(folders, p.label, path.basename(p.file)));
    index.push(`${path.relative(dir, p.file)},${p.label}`);
    fer.push(`${['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'].indexOf(p.label)},${Array.from(readGray(p.file).getData()).join(' ')},PublicTest`);
  }
  fs.writeFileSync(path.join(dir, 'index.csv'), index.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'fer2013.csv'), fer.join('\n') + '\n');
  const reports = [path.join(dir, 'folders'), path.join(dir, 'index.csv'), path.join(dir, 'fer2013.csv')].map((source) => {
    const r = runCli(['evaluate', source, '--head', 'emotion', '--json']);
    assert.equal(r.status, 0, `${source}: ${r.stderr}`);
    return r.lines[0] as unknown as Report;
  });
  for (const r of reports) {
    assert.equal(r.samples, 30);
    assert.deepEqual(r.confusion, reports[0]!.confusion);
  }
});

test('evaluate utkface --min-age 60 --max-age 18 is a usage error, not an empty report', () => {
  const r = runCli(['evaluate', 'utkface', utkface, '--min-age', '60', '--max-age', '18']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--min-age 60 is above --max-age 18/);
  assert.equal(r.stdout, '');
  const none = runCli(['evaluate', 'utkface', utkface, '--min-age', '150', '--json']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no samples left to evaluate between ages 150/);
});

test('evaluate: an unreadable image is named and counted, and the rest are still reported', () => {
  const data = path.join(dir, 'with-bad-file');
  for (const c of ['happy', 'sad']) {
    fs.mkdirSync(path.join(data, c), { recursive: true });
    for (const f of fs.readdirSync(path.join(fer2013, c)).sort().slice(0, 5)) fs.copyFileSync(path.join(fer2013, c, f), path.join(data, c, f));
  }
  const bad = path.join(data, 'sad', 'broken.jpg');
  fs.writeFileSync(bad, 'not a jpeg at all');
  const r = runCli(['evaluate', data, '--head', 'emotion', '--json', '--out', path.join(dir, 'bad-out')]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(bad), r.stderr);
  const report = r.lines[0] as unknown as Report;
  assert.equal(report.samples, 10);
  assert.equal(report.unreadableCount, 1);
  assert.equal(report.unreadable[0]!.file, bad);
  assert.ok(fs.existsSync(path.join(dir, 'bad-out', 'confusion.png')));
});

test('evaluate --help explains every option', () => {
  const help = runCli(['evaluate', '--help']);
  assert.equal(help.status, 0);
  for (const flag of ['--head', '--model', '--json', '--out', '--format', '--split', '--pad', '--min-age', '--max-age']) assert.match(help.stdout, new RegExp(`${flag}( VALUE)?\\s+\\S`), flag);
});
