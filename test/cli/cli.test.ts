import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cv } from '../../src/vision/opencv.js';
import { readColor } from '../../src/vision/image.js';
import { fer2013, photos, scratchDir, sharedModels } from '../helpers/common.js';
import { type CliRun, cliPath, runCli } from '../helpers/run_cli.js';

const cli = cliPath;
const run = (...args: string[]): CliRun => runCli(args);

/** stderr lines that are ours (libpng prints its own warnings for some PNGs). */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('face-classification'));
}

const dir = scratchDir('cli');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('--help lists the commands; an unknown command is a usage error (exit 2)', () => {
  const help = run('--help');
  assert.equal(help.status, 0);
  for (const name of ['detect', 'video', 'classify', 'evaluate', 'models']) assert.match(help.stdout, new RegExp(`\\n  ${name}\\s`));
  const detectHelp = run('detect', '--help');
  assert.match(detectHelp.stdout, /--scale-factor/);
  const bad = run('frobnicate');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command "frobnicate"/);
});

test('classify: one JSON line per crop with both heads\' labels and all class scores, batched', () => {
  const happy = path.join(fer2013, 'happy');
  const files = fs.readdirSync(happy).slice(0, 5).map((f) => path.join(happy, f));
  const result = run('classify', ...files, '--batch-size', '2');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.lines.length, 5);
  for (const line of result.lines) {
    const emotion = line['emotion'] as { label: string; confidence: number; scores: Record<string, number> };
    const gender = line['gender'] as { label: string; scores: Record<string, number> };
    assert.deepEqual(Object.keys(emotion.scores), ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
    assert.deepEqual(Object.keys(gender.scores), ['woman', 'man']);
    const sum = Object.values(emotion.scores).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4);
    assert.equal(emotion.confidence, Math.max(...Object.values(emotion.scores)));
  }
  assert.ok(result.lines.filter((l) => (l['emotion'] as { label: string }).label === 'happy').length >= 4);
});

test('classify a folder; --emotion-model picks another model by id', () => {
  const result = run('classify', path.join(fer2013, 'disgust'), '--emotion-model', 'fer2013_big_XCEPTION.54-0.66', '--no-gender');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.lines.length, fs.readdirSync(path.join(fer2013, 'disgust')).length);
  assert.equal(result.lines[0]!['gender'], undefined);
});

test('an image that does not decode: one error line naming it, the other images still classified, exit 1', () => {
  const broken = path.join(dir, 'broken.jpg');
  fs.writeFileSync(broken, 'not a jpeg');
  const good = path.join(fer2013, 'happy', fs.readdirSync(path.join(fer2013, 'happy'))[0]!);
  const result = run('classify', broken, good);
  assert.equal(result.status, 1);
  assert.equal(result.lines.length, 1);
  assert.deepEqual(errorLines(result.stderr), [`face-classification classify: error: image ${broken}: is not an image file (no JPEG, PNG, BMP, WebP, TIFF or PNM signature)`]);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace without --debug');
  const missing = run('classify', path.join(dir, 'absent.png'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /absent\.png: no such file/);
});

test('a folder with no images is an error naming the folder', () => {
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'no images here');
  const result = run('classify', empty);
  assert.equal(result.status, 1);
  assert.match(result.stderr, new RegExp(`image ${empty}: folder holds no images`));
});

test('bad model files stop the command with one line naming the file and the reason; --debug adds the stack', () => {
  const face = path.join(fer2013, 'happy', fs.readdirSync(path.join(fer2013, 'happy'))[0]!);
  const cases: [string, RegExp][] = [];
  const missing = path.join(dir, 'missing.hdf5');
  cases.push([missing, /no such file/]);
  const text = path.join(dir, 'text.hdf5');
  fs.writeFileSync(text, 'hello');
  cases.push([text, /not an HDF5 file/]);
  const truncated = path.join(dir, 'truncated.hdf5');
  fs.writeFileSync(truncated, fs.readFileSync(path.join(sharedModels, 'gender_mini_XCEPTION.21-0.95.hdf5')).subarray(0, 300_000));
  cases.push([truncated, /damaged or truncated|missing|holds/]);
  for (const [file, reason] of cases) {
    const result = run('classify', face, '--emotion-model', file);
    assert.equal(result.status, 1, file);
    const lines = errorLines(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, new RegExp(`error: model file ${file}: `));
    assert.match(lines[0]!, reason);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  }
  const wrong = path.join(dir, 'wrong');
  fs.mkdirSync(wrong);
  fs.copyFileSync(path.join(sharedModels, 'tiny_XCEPTION_KDEF.hdf5'), path.join(wrong, 'gender_mini_XCEPTION.21-0.95.hdf5'));
  const sha = run('classify', face, '--models-dir', wrong);
  assert.equal(sha.status, 1);
  assert.match(sha.stderr, /gender_mini_XCEPTION\.21-0\.95\.hdf5: sha256 mismatch/);
  const debug = run('classify', face, '--emotion-model', missing, '--debug');
  assert.match(debug.stderr, /\n\s+at /, '--debug prints the stack');
});

test('detect: JSON line per photo and an annotated image per photo', () => {
  const out = path.join(dir, 'annotated');
  const result = run('detect', path.join(photos, 'skimage_astronaut.png'), path.join(photos, 'MAX_IBM.jpeg'), '--out', out);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.lines.length, 2);
  const faces = result.lines[0]!['faces'] as { box: { width: number }; emotion: { label: string }; gender: { label: string } }[];
  assert.equal(faces.length, 1);
  assert.equal(faces[0]!.emotion.label, 'happy');
  assert.equal(faces[0]!.gender.label, 'woman');
  assert.equal((result.lines[1]!['faces'] as unknown[]).length, 0);
  const annotated = readColor(path.join(out, 'skimage_astronaut.annotated.png'));
  assert.equal(annotated.cols, 512);
  assert.ok(fs.existsSync(path.join(out, 'MAX_IBM.annotated.png')));
});

test('detect: an empty file and a 1x1 image', () => {
  const empty = path.join(dir, 'empty.png');
  fs.writeFileSync(empty, '');
  const tiny = path.join(dir, 'tiny.png');
  cv.imwrite(tiny, new cv.Mat(1, 1, cv.CV_8UC3, [0, 0, 0]));
  const result = run('detect', empty, tiny);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /empty\.png: file is empty/);
  assert.equal(result.lines.length, 1);
  assert.deepEqual(result.lines[0]!['faces'], []);
});

/** A short real video: the portraits, each held for a few frames. */
function makeVideo(file: string): number {
  const names = ['skimage_astronaut.png', 'MAX_Paul.jpeg', 'MAX_IBM.jpeg'];
  const writer = new cv.VideoWriter(file, cv.VideoWriter.fourcc('MJPG'), 10, new cv.Size(640, 480), true);
  let frames = 0;
  for (const name of names) {
    const img = readColor(path.join(photos, name));
    const scale = Math.min(640 / img.cols, 480 / img.rows);
    const fitted = img.resize(Math.round(img.rows * scale), Math.round(img.cols * scale));
    const canvas = new cv.Mat(480, 640, cv.CV_8UC3, [40, 40, 40]);
    fitted.copyTo(canvas.getRegion(new cv.Rect(0, 0, fitted.cols, fitted.rows)));
    for (let i = 0; i < 4; i++, frames++) writer.write(canvas);
  }
  writer.release();
  return frames;
}

test('video: every frame of a file in, an annotated video out, one JSON line per frame until the file ends', () => {
  const input = path.join(dir, 'input.avi');
  const frames = makeVideo(input);
  const output = path.join(dir, 'out', 'annotated.avi');
  const result = run('video', input, '--out', output);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.lines.length, frames);
  const faceCounts = result.lines.map((l) => (l['faces'] as unknown[]).length);
  assert.deepEqual(faceCounts.slice(0, 4), [1, 1, 1, 1]);
  assert.deepEqual(faceCounts.slice(8), [0, 0, 0, 0]);
  const written = new cv.VideoCapture(output);
  let count = 0;
  while (!written.read().empty) count++;
  assert.equal(count, frames);
  const limited = run('video', input, '--max-frames', '3', '--quiet');
  assert.equal(limited.status, 0);
  assert.equal(limited.lines.length, 0);
});

test('video: a missing file, a file that is not a video, and bad usage', () => {
  const missing = run('video', path.join(dir, 'absent.avi'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /video .*absent\.avi: no such file/);
  const notVideo = path.join(dir, 'not-a-video.avi');
  fs.writeFileSync(notVideo, 'garbage '.repeat(1000));
  const bad = run('video', notVideo);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /video \S*not-a-video\.avi: (no frame could be read|cannot be opened)/);
  assert.equal(run('video').status, 2);
  assert.equal(run('video', notVideo, '--out', path.join(dir, 'x.mkv')).status, 2);
});

test('video: Ctrl-C (SIGINT) and SIGTERM stop after the current frame, leave a playable output video and exit 130 / 143', async () => {
  const input = path.join(dir, 'long.avi');
  const writer = new cv.VideoWriter(input, cv.VideoWriter.fourcc('MJPG'), 10, new cv.Size(512, 512), true);
  const frame = readColor(path.join(photos, 'skimage_astronaut.png'));
  for (let i = 0; i < 400; i++) writer.write(frame);
  writer.release();
  const { spawn } = await import('node:child_process');
  for (const [signal, expected] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const output = path.join(dir, `interrupted-${signal}.avi`);
    const child = spawn(process.execPath, [cli, 'video', input, '--out', output], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!signalled && stdout.split('\n').length > 5) {
        signalled = true;
        child.kill(signal);
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const emitted = stdout.split('\n').filter((l) => l.startsWith('{')).length;
    assert.equal(status, expected, signal);
    assert.ok(emitted >= 5 && emitted < 400, `emitted ${emitted} frames`);
    const written = new cv.VideoCapture(output);
    let count = 0;
    while (!written.read().empty) count++;
    assert.equal(count, emitted, `${signal}: every processed frame is in the closed output file`);
  }
});
