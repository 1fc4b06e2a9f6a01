/**
 * The command line as a newcomer uses it (issues 10 and 12): broken and oversized images in a batch,
 * a reader that closes stdout early, output names, bad --out values, bad settings and their exit
 * statuses, heads given the other task's model, a disabled head's model, stderr's one language. The
 * real binary runs as a child process; cases share one small folder of fixtures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cv } from '../../src/vision/opencv.js';
import { readColor } from '../../src/vision/image.js';
import { crc32 } from '../../src/vision/png_chunks.js';
import { fer2013, photos, repoRoot, scratchDir, sharedModels } from '../helpers/common.js';
import { type CliRun, cliPath, runCli } from '../helpers/run_cli.js';

const cli = cliPath;
const PREFIX = 'face-classification';


const run = (args: string[], options: { cwd?: string } = {}): CliRun => runCli(args, options);

/** Every stderr line is one of ours: no native library's own line, no stack trace. */
function assertOnlyOurLines(r: CliRun): void {
  for (const line of r.errors) assert.ok(line.startsWith(`${PREFIX} `), `a line that is not ours: ${JSON.stringify(line)}`);
}

const dir = scratchDir('cli-defects');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (...parts: string[]): string => path.join(dir, ...parts);

/** A PNG chunk with its length and CRC. */
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A small, well-formed PNG file whose header claims width x height pixels. */
function claimedPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk('IEND', Buffer.alloc(0))]);
}

const fixtures = {
  // The astronaut PNG carries an iCCP profile libpng warns about.
  good: at('good.png'),
  truncJpeg: at('cut.jpg'),
  truncPng: at('cut.png'),
  text: at('text.png'),
  empty: at('empty.png'),
  huge: at('huge.png'),
  badCrc: at('crc.png'),
  video: at('in.avi'),
};
const face = path.join(fer2013, 'happy', fs.readdirSync(path.join(fer2013, 'happy')).sort()[0]!);

test.before(() => {
  fs.copyFileSync(path.join(photos, 'skimage_astronaut.png'), fixtures.good);
  const chris = fs.readFileSync(path.join(photos, 'MAX_Chris.jpeg'));
  fs.writeFileSync(fixtures.truncJpeg, chris.subarray(0, Math.round(chris.length * 0.6)));
  const luciano = fs.readFileSync(path.join(photos, 'MAX_Luciano.png'));
  fs.writeFileSync(fixtures.truncPng, luciano.subarray(0, Math.round(luciano.length * 0.6)));
  fs.writeFileSync(fixtures.text, 'hello, I am not a picture\n');
  fs.writeFileSync(fixtures.empty, '');
  fs.writeFileSync(fixtures.huge, claimedPng(40000, 40000));
  const bryan = Buffer.from(fs.readFileSync(path.join(photos, 'MAX_Bryan.png')));
  const idat = bryan.indexOf('IDAT');
  bryan[idat + 100] = bryan[idat + 100]! ^ 0xff;
  fs.writeFileSync(fixtures.badCrc, bryan);
  const writer = new cv.VideoWriter(fixtures.video, cv.VideoWriter.fourcc('MJPG'), 10, new cv.Size(320, 240), true);
  const frame = readColor(path.join(photos, 'skimage_astronaut.png')).resize(240, 320);
  for (let i = 0; i < 6; i++) writer.write(frame);
  writer.release();
});

let batch: CliRun | undefined;

test('broken images in a batch: each named in one line with what is wrong, the good one still processed, exit 1, no native noise', () => {
  const r = run(['detect', fixtures.good, fixtures.truncJpeg, fixtures.truncPng, fixtures.text, fixtures.empty, fixtures.huge, fixtures.badCrc]);
  batch = r;
  assert.equal(r.status, 1);
  assert.equal(r.lines.length, 1);
  assert.equal(r.lines[0]!['file'], fixtures.good);
  assert.equal((r.lines[0]!['faces'] as unknown[]).length, 1);
  assertOnlyOurLines(r);
  const expected: [string, RegExp][] = [
    [fixtures.truncJpeg, /is truncated: the JPEG data ends before its end-of-image marker/],
    [fixtures.truncPng, /is truncated: the PNG data ends before its IEND chunk/],
    [fixtures.text, /is not an image file/],
    [fixtures.empty, /file is empty/],
    [fixtures.huge, /is 40000x40000 pixels, over the limit of 33177600 pixels \(setting input\.max_pixels\); not decoded/],
    [fixtures.badCrc, /is damaged: PNG chunk "IDAT" at byte \d+ has a wrong CRC/],
  ];
  assert.equal(r.errors.length, expected.length, r.stderr);
  expected.forEach(([file, reason], i) => {
    assert.ok(r.errors[i]!.startsWith(`${PREFIX} detect: error: image ${file}: `), r.errors[i]);
    assert.match(r.errors[i]!, reason);
  });
  // The limit is a setting.
  const lowered = run(['detect', fixtures.good, '--set', 'input.max_pixels=1000']);
  assert.equal(lowered.status, 1);
  assert.match(lowered.stderr, /good\.png: is 512x512 pixels, over the limit of 1000 pixels/);
});

test('a PNG claiming 40000x40000 pixels is refused before decoding: peak RSS stays far below 1 GB', async () => {
  const { readColor: read } = await import('../../src/vision/image.js');
  assert.throws(() => read(fixtures.huge), /40000x40000 pixels, over the limit/);
  // maxRSS is the peak of this whole test process (kilobytes).
  assert.ok(process.resourceUsage().maxRSS < 1024 * 1024, `peak RSS ${process.resourceUsage().maxRSS} kB`);
});

test('README: the quick-start example shows what the program prints for the astronaut', () => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const example = readme.split('\n').find((l) => l.startsWith('{"file":') && l.includes('skimage_astronaut'))!;
  assert.ok(example, 'the README has the example line');
  const face = (batch!.lines[0]!['faces'] as { box: Record<string, number>; score: number; emotion: { label: string; confidence: number }; gender: { label: string; confidence: number } }[])[0]!;
  assert.match(example, new RegExp(`"box":${JSON.stringify(face.box)}`));
  assert.match(example, new RegExp(`"score":${face.score}\\b`));
  assert.match(example, new RegExp(`"emotion":\\{"label":"${face.emotion.label}","confidence":${face.emotion.confidence.toFixed(2)}`));
  assert.match(example, new RegExp(`"gender":\\{"label":"${face.gender.label}","confidence":${face.gender.confidence.toFixed(2)}`));
  // Every environment variable the program reads is documented.
  const sources = fs.readdirSync(path.join(repoRoot, 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
  const variables = new Set(sources.flatMap((f) => [...fs.readFileSync(path.join(repoRoot, 'src', f), 'utf8').matchAll(/process\.env\.(FACE_CLASSIFICATION_\w+|XDG_CACHE_HOME)/g)].map((m) => m[1]!)));
  assert.ok(variables.size >= 5);
  for (const variable of variables) assert.match(readme, new RegExp(`\\b${variable}\\b`), `README documents ${variable}`);
});

/** Run the CLI and close the read end of its stdout after `keep` chunks (0: at once), like `| head -1`. */
function closedEarly(args: string[], keep: number): Promise<{ status: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let chunks = 0;
  if (keep === 0) child.stdout.destroy();
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    if (++chunks >= keep) child.stdout.destroy();
  });
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr, stdout })));
}

test('a reader that closes stdout early (| head -1) stops the command quietly, exit 0', async () => {
  const cases: [string[], number][] = [
    [['detect', photos], 1],
    [['classify', path.join(fer2013, 'happy'), '--no-gender', '--batch-size', '1'], 1],
    [['models'], 0],
  ];
  for (const [args, keep] of cases) {
    const r = await closedEarly(args, keep);
    assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
    assert.equal(r.stderr, '', `${args[0]} says nothing`);
  }
});

test('annotated and explanation outputs get unique names: sub-folders kept, a taken name keeps its extension', () => {
  const input = at('names');
  for (const sub of ['a', 'b']) fs.mkdirSync(path.join(input, sub), { recursive: true });
  fs.copyFileSync(path.join(photos, 'MAX_Paul.jpeg'), path.join(input, 'a', 'face.jpg'));
  fs.copyFileSync(path.join(photos, 'MAX_Chris.jpeg'), path.join(input, 'b', 'face.jpg'));
  fs.copyFileSync(path.join(photos, 'MAX_Luciano.png'), path.join(input, 'face.png'));
  const gray = readColor(path.join(photos, 'skimage_astronaut.png')).cvtColor(cv.COLOR_BGR2GRAY);
  cv.imwrite(path.join(input, 'gray.png'), gray);
  cv.imwrite(path.join(input, 'gray.jpg'), gray);
  const out = at('names-out');
  const detect = run(['detect', input, '--out', out]);
  assert.equal(detect.status, 0, detect.stderr);
  const written = detect.lines.map((l) => l['annotated'] as string);
  assert.equal(written.length, 5);
  assert.equal(new Set(written).size, 5, `distinct: ${written.join(', ')}`);
  for (const file of written) assert.ok(fs.existsSync(file), file);
  assert.ok(written.includes(path.join(out, 'a', 'face.annotated.png')) && written.includes(path.join(out, 'b', 'face.annotated.png')));
  assert.ok(written.includes(path.join(out, 'gray.annotated.png')) && written.includes(path.join(out, 'gray.png.annotated.png')));
  const explainOut = at('names-explain');
  const explain = run(['explain', input, '--out', explainOut, '--method', 'gradcam']);
  assert.equal(explain.status, 0, explain.stderr);
  const frames = fs.readdirSync(explainOut, { recursive: true }).map(String).filter((f) => f.endsWith('.gradcam.png') && !f.includes('.face'));
  assert.equal(frames.length, 5, frames.join(', '));
  const faceImages = explain.lines.map((l) => (l['images'] as { overlay: string }).overlay);
  assert.equal(new Set(faceImages).size, faceImages.length);
});

test('--out: the input video itself, an existing file, a folder under /proc, a bad video extension: one usage error before any work', () => {
  const size = fs.statSync(fixtures.video).size;
  const link = at('link.avi');
  fs.symlinkSync(fixtures.video, link);
  const file = at('a-file');
  fs.writeFileSync(file, 'x');
  const cases: [string[], RegExp][] = [
    [['video', fixtures.video, '--out', fixtures.video], /is the input video itself/],
    [['video', fixtures.video, '--out', link], /is the input video itself/],
    [['video', fixtures.video, '--out', at('out.mkv')], /output must end in \.avi \(Motion JPEG\) or \.mp4/],
    [['video', fixtures.video, '--out', at('out.gif')], /output must end in \.avi/],
    [['video', fixtures.video, '--out', at('noextension')], /output must end in \.avi/],
    [['video', fixtures.video, '--out', dir], /is a folder/],
    [['video', fixtures.video, '--out', path.join(file, 'v.avi')], /v\.avi: \S*a-file is a file, not a folder/],
    [['detect', fixtures.good, '--out', file], /a-file: is a file, not a folder/],
    [['detect', fixtures.good, '--out', '/proc/fc-no-such/annotated'], /cannot create the folder \/proc\/fc-no-such \(ENOENT\)/],
  ];
  for (const [args, reason] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, reason);
    assert.equal(r.stdout, '', 'no frame or image was processed');
  }
  assert.equal(fs.statSync(fixtures.video).size, size, 'the input is untouched');
});

test('bad settings and flag values are bad usage (exit 2), each in one line naming the key', () => {
  const cases: [string[], RegExp][] = [
    [['detect', fixtures.good, '--set', 'haar.scale_factor=5'], /config haar\.scale_factor: must be between 1\.01 and 3, got 5/],
    [['detect', fixtures.good, '--detector', 'mtcnn'], /config detector\.type: must be one of auto, haar, yunet/],
    [['detect', fixtures.good, '--set', 'haar.min_neighbors=many'], /config haar\.min_neighbors: must be a number/],
    [['detect', fixtures.good, '--log-level', 'loud'], /--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/],
    [['detect', fixtures.good, '--set', 'qos.depth=3'], /--set qos\.depth: a setting of the ROS node only/],
    [['video', fixtures.video, '--fps', '0'], /--fps must be a frame rate from 0.01 to 1000, got "0"/],
    [['video', fixtures.video, '--max-frames', '2.5'], /--max-frames must be a whole number/],
    [['detect', fixtures.good, '--min-face-size', '200', '--set', 'detector.max_face_size=100'], /config detector\.min_face_size: \(200\) is larger than detector\.max_face_size \(100\)/],
    [['detect', fixtures.good, '--set', 'yunet.input_size=100'], /config yunet\.input_size: must be a multiple of 32, got 100/],
    [['detect', fixtures.good, '--set', 'crop.offset_unit=fraction'], /config emotion\.offsets: \[20,40\] read as fractions of the face box .* 2000% and 4000%/],
  ];
  for (const [args, reason] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, reason);
    assert.doesNotMatch(r.stderr, /unexpected/);
  }
  const fractions = run(['detect', fixtures.good, '--set', 'crop.offset_unit=fraction', '--set', 'emotion.offsets=[0.2,0.4]', '--set', 'gender.offsets=[0.3,0.6]']);
  assert.equal(fractions.status, 0, fractions.stderr);
  assert.equal(((fractions.lines[0]!['faces'] as { emotion: { label: string } }[])[0]!).emotion.label, 'happy');
});

test('a head refuses a model made for the other task: by id, by path, and by class count without a manifest', () => {
  const mystery = at('mystery.hdf5');
  fs.copyFileSync(path.join(sharedModels, 'fer2013_mini_XCEPTION.102-0.66.hdf5'), mystery);
  const cases: [string[], RegExp][] = [
    [['--set', 'gender.model=fer2013_mini_XCEPTION.102-0.66'], /fer2013_mini_XCEPTION\.102-0\.66\.hdf5: is the emotion model fer2013_mini_XCEPTION\.102-0\.66 .*not a gender model/],
    [['--gender-model', path.join(sharedModels, 'fer2013_mini_XCEPTION.102-0.66.hdf5')], /is the emotion model .*not a gender model/],
    [['--set', 'emotion.model=gender_mini_XCEPTION.21-0.95'], /gender_mini_XCEPTION\.21-0\.95\.hdf5: is the gender model .*not an? emotion model/],
    [['--gender-model', mystery], /mystery\.hdf5: has 7 outputs; a gender model has 2 \(woman, man\): it looks like an emotion model/],
  ];
  for (const [flags, reason] of cases) {
    const r = run(['classify', face, ...flags]);
    assert.equal(r.status, 1, `${flags.join(' ')}: ${r.stdout}`);
    assert.equal(r.lines.length, 0, 'no answer from the wrong model');
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, reason);
  }
});

test('a disabled head\'s model is not needed; classify prints paths as given', () => {
  const r = run(['detect', fixtures.good, '--no-gender', '--gender-model', at('absent-gender.hdf5')]);
  assert.equal(r.status, 0, r.stderr);
  const faces = r.lines[0]!['faces'] as { emotion?: unknown; gender?: unknown }[];
  assert.ok(faces[0]!.emotion && !faces[0]!.gender);
  const classify = run(['classify', face, '--no-emotion', '--emotion-model', at('absent-emotion.hdf5')]);
  assert.equal(classify.status, 0, classify.stderr);
  assert.equal(classify.lines[0]!['file'], face, 'the absolute path as given');
});

test('stderr speaks one language: plain lines by default, JSON lines with --log-format json; TF.js and the video backends stay quiet', () => {
  const plain = run(['explain', path.join(photos, 'MAX_IBM.jpeg'), fixtures.text]);
  assert.equal(plain.status, 1);
  assertOnlyOurLines(plain);
  assert.deepEqual(plain.errors.map((l) => l.split(': ')[1]), ['warning', 'error']);
  assert.match(plain.errors[0]!, /^face-classification explain: warning: no face found \(file=\S+MAX_IBM\.jpeg\)$/);
  const json = run(['explain', path.join(photos, 'MAX_IBM.jpeg'), fixtures.text, '--log-format', 'json']);
  const records = json.errors.map((l) => JSON.parse(l) as { level: number; msg: string; command: string });
  assert.deepEqual(records.map((r) => r.level), [40, 50]);
  assert.match(records[1]!.msg, /text\.png: is not an image file/);
  // TF.js's cpu backend prints a multi-line banner of its own at its first tensor.
  const cpu = run(['classify', face, '--backend', 'cpu', '--no-gender']);
  assert.equal(cpu.status, 0, cpu.stderr);
  assert.equal(cpu.stderr, '');
  const garbage = at('garbage.avi');
  fs.writeFileSync(garbage, Buffer.alloc(8000, 7));
  const video = run(['video', garbage]);
  assert.equal(video.status, 1);
  assert.equal(video.errors.length, 1, video.stderr);
  assertOnlyOurLines(video);
});

test('models takes --config, --set and --models-dir like the other commands', () => {
  const models = at('my-models');
  fs.mkdirSync(models);
  fs.symlinkSync(path.join(sharedModels, 'gender_mini_XCEPTION.21-0.95.hdf5'), path.join(models, 'gender_mini_XCEPTION.21-0.95.hdf5'));
  const config = at('models.yaml');
  fs.writeFileSync(config, `models:\n  directory: ${models}\n`);
  for (const flags of [['--models-dir', models], ['--set', `models.directory=${models}`], ['--config', config]]) {
    const r = run(['models', ...flags]);
    assert.equal(r.status, 0, r.stderr);
    const gender = r.lines.find((l) => l['id'] === 'gender_mini_XCEPTION.21-0.95')!;
    assert.equal(gender['path'], path.join(models, 'gender_mini_XCEPTION.21-0.95.hdf5'), flags.join(' '));
    assert.equal(gender['selected'], true);
  }
});

test('--version; --class in any case; explain --no-emotion explains the gender head, --head emotion with it is refused', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const version = run(['--version']);
  assert.equal(version.status, 0);
  assert.equal(version.stdout, `${PREFIX} ${pkg.version}\n`);
  const upper = run(['explain', face, '--crops', '--class', 'HAPPY']);
  assert.equal(upper.status, 0, upper.stderr);
  assert.equal(upper.lines[0]!['target'], 'happy');
  const gender = run(['explain', fixtures.good, '--no-emotion']);
  assert.equal(gender.status, 0, gender.stderr);
  assert.equal(gender.lines[0]!['head'], 'gender');
  assert.equal(gender.lines[0]!['target'], 'woman');
  const refused = run(['explain', fixtures.good, '--no-emotion', '--head', 'emotion']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--head emotion: the emotion head is disabled/);
});
