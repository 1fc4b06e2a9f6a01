/**
 * The command line as a new user meets it on a loaded machine (issue 22): Ctrl-C and SIGTERM heard
 * between items and a second signal that waits for the output video; outputs that cannot be
 * written refused before any work (exit 2); videos cut off, photos given as videos, folders with
 * no images; the configured inference engine in classify and evaluate; the progress bar on a real
 * pseudo-terminal; odd-sized and H.264 output videos. The real binary runs as a child process on
 * small fixtures made here from the real photos and FER-2013 crops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cv } from '../../src/vision/opencv.js';
import { readColor } from '../../src/vision/image.js';
import { fer2013, photos, scratchDir, shared } from '../helpers/common.js';
import { type CliRun, cliPath, jsonLines, runCli, terminalScreen } from '../helpers/run_cli.js';

const cli = cliPath;



const run = (args: string[]): CliRun => runCli(args);

/** Run the CLI and send `signals` (ms apart) once its first `after` result lines arrived. */
function signalled(args: string[], signal: NodeJS.Signals, options: { after?: number; times?: number; gapMs?: number } = {}): Promise<CliRun> {
  const { after = 1, times = 1, gapMs = 30 } = options;
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    if (!sent && stdout.split('\n').length > after) {
      sent = true;
      for (let i = 0; i < times; i++) setTimeout(() => child.kill(signal), i * gapMs);
    }
  });
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr, lines: jsonLines(stdout), errors: stderr.split('\n').filter((l) => l !== '') })));
}

function frameCount(file: string): { frames: number; width: number; height: number; fourcc: number } {
  const capture = new cv.VideoCapture(file);
  let frames = 0;
  let width = 0;
  let height = 0;
  for (let frame = capture.read(); !frame.empty; frame = capture.read()) {
    frames++;
    [width, height] = [frame.cols, frame.rows];
  }
  const fourcc = capture.get(cv.CAP_PROP_FOURCC);
  capture.release();
  return { frames, width, height, fourcc };
}

const fourcc = (code: string): number => cv.VideoWriter.fourcc(code);

const dir = scratchDir('cli-stop-outputs');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (...parts: string[]): string => path.join(dir, ...parts);
const fixtures = { clip: at('clip.avi'), odd: at('odd.avi'), cut: at('cut.avi'), many: at('many'), crops: at('crops'), empty: at('empty'), dataset: at('dataset'), photo: path.join(photos, 'MAX_Bryan.png') };
const CLIP_FRAMES = 60;
const realClip = path.join(shared, 'testdata', 'videos', 'walking_towards_camera_1080p.mp4');

function writeVideo(file: string, frames: number, width: number, height: number): void {
  const writer = new cv.VideoWriter(file, fourcc('MJPG'), 10, new cv.Size(width, height), true);
  const astronaut = readColor(path.join(photos, 'skimage_astronaut.png')).resize(height, width);
  for (let i = 0; i < frames; i++) writer.write(astronaut);
  writer.release();
}

/** A RIFF chunk: fourcc, little-endian size, data padded to an even length. */
function riff(fourcc: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(fourcc, 0, 'ascii');
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
}
const list = (type: string, ...chunks: Buffer[]): Buffer => riff('LIST', Buffer.concat([Buffer.from(type, 'ascii'), ...chunks]));
function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

/**
 * A Motion-JPEG AVI of odd-sized frames, written here because OpenCV's own writer drops an odd last
 * column and row (the very thing under test): the JPEGs are OpenCV's, the container by hand.
 */
function writeOddMjpeg(file: string, frames: number, width: number, height: number): void {
  const picture = readColor(path.join(photos, 'skimage_astronaut.png')).resize(height, width);
  const jpeg = cv.imencode('.jpg', picture);
  const fcc = (code: string): number => Buffer.from(code, 'ascii').readInt32LE(0);
  const avih = u32(100_000, 0, 0, 0x10, frames, 0, 1, jpeg.length, width, height, 0, 0, 0, 0);
  const rect = Buffer.alloc(8);
  rect.writeInt16LE(width, 4);
  rect.writeInt16LE(height, 6);
  const strh = Buffer.concat([u32(fcc('vids'), fcc('MJPG'), 0, 0, 0, 1, 10, 0, frames, jpeg.length, -1, 0), rect]);
  const strf = u32(40, width, height, 0x180001, fcc('MJPG'), width * height * 3, 0, 0, 0, 0);
  const chunks = Array.from({ length: frames }, () => riff('00dc', jpeg));
  const index = Buffer.concat(chunks.map((_, i) => Buffer.concat([Buffer.from('00dc', 'ascii'), u32(0x10, 4 + i * chunks[0]!.length, jpeg.length)])));
  const body = Buffer.concat([Buffer.from('AVI ', 'ascii'), list('hdrl', riff('avih', avih), list('strl', riff('strh', strh), riff('strf', strf))), list('movi', ...chunks), riff('idx1', index)]);
  fs.writeFileSync(file, riff('RIFF', body));
}

test.before(() => {
  writeVideo(fixtures.clip, CLIP_FRAMES, 256, 256);
  writeOddMjpeg(fixtures.odd, 5, 321, 241);
  // The first half of an AVI: its header still announces every frame.
  const bytes = fs.readFileSync(fixtures.clip);
  fs.writeFileSync(fixtures.cut, bytes.subarray(0, bytes.length >> 1));
  fs.mkdirSync(fixtures.many);
  for (let i = 0; i < 40; i++) fs.copyFileSync(fixtures.photo, at('many', `bryan-${String(i).padStart(2, '0')}.png`));
  fs.mkdirSync(fixtures.crops);
  const happy = fs.readdirSync(path.join(fer2013, 'happy')).sort();
  for (const name of happy.slice(0, 30)) fs.copyFileSync(path.join(fer2013, 'happy', name), at('crops', name));
  fs.mkdirSync(fixtures.empty);
  fs.writeFileSync(at('empty', 'notes.txt'), 'no images here\n');
  for (const label of ['happy', 'sad', 'surprise']) {
    fs.mkdirSync(at('dataset', label), { recursive: true });
    for (const name of fs.readdirSync(path.join(fer2013, label)).sort().slice(0, 12)) fs.copyFileSync(path.join(fer2013, label, name), at('dataset', label, name));
  }
});

test('Ctrl-C and SIGTERM stop detect, classify and explain after the current item: exit 130 / 143, not the whole batch', async () => {
  const total = fs.readdirSync(path.join(fer2013, 'happy')).length;
  const cases: [string[], NodeJS.Signals, number, number][] = [
    [['classify', path.join(fer2013, 'happy'), '--no-gender'], 'SIGINT', 130, total],
    [['detect', fixtures.many], 'SIGTERM', 143, 40],
    [['explain', fixtures.crops, '--crops'], 'SIGINT', 130, 30],
  ];
  for (const [args, signal, expected, inputs] of cases) {
    const r = await signalled(args, signal);
    assert.equal(r.status, expected, `${args[0]}: ${r.stderr}`);
    assert.ok(r.lines.length >= 1 && r.lines.length < inputs, `${args[0]}: ${r.lines.length} of ${inputs} results after the signal`);
    assert.match(r.stderr, new RegExp(`warning: stopping after the current item \\(signal=${signal}\\)`));
  }
});

test('a second Ctrl-C right after the first waits for the output video to be closed: a playable .mp4 with every frame printed', async () => {
  // The real 1080p clip: a frame takes long enough for the second signal to land inside the work.
  const out = at('double.mp4');
  const r = await signalled(['video', realClip, '--out', out, '--max-frames', '30'], 'SIGINT', { after: 3, times: 2, gapMs: 30 });
  assert.equal(r.status, 130, r.stderr);
  assert.ok(r.lines.length < 30, `${r.lines.length} frames`);
  assert.equal(frameCount(out).frames, r.lines.length, 'the file is closed (moov written) with every processed frame');
});

test('video --out that cannot be written, or a frame rate no writer takes: exit 2, one line naming the file, before any frame', () => {
  const cases: [string[], RegExp][] = [
    [['--out', '/proc/o.mp4'], /--out \/proc\/o\.mp4: its folder \/proc is not writable/],
    [['--out', '/sys/o.avi'], /--out \/sys\/o\.avi: its folder \/sys is not writable/],
    [['--out', at('slow.avi'), '--fps', '0.001'], /--fps must be a frame rate from 0\.01 to 1000, got "0\.001"/],
  ];
  for (const [flags, reason] of cases) {
    const r = run(['video', fixtures.clip, ...flags]);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, reason);
    assert.equal(r.stdout, '', 'no frame was processed');
  }
  assert.equal(fs.existsSync(at('slow.avi')), false);
});

test('a video cut off halfway: the frames it has, then one line naming the file and the frame where reading stopped, exit 1', () => {
  const r = run(['video', fixtures.cut]);
  assert.equal(r.status, 1, r.stderr);
  assert.ok(r.lines.length > 0 && r.lines.length < CLIP_FRAMES, `${r.lines.length} frames`);
  assert.equal(r.errors.length, 1, r.stderr);
  assert.match(r.errors[0]!, new RegExp(`error: video \\S*cut\\.avi: reading stopped at frame ${r.lines.length} of the ${CLIP_FRAMES} its header announces`));
  // A whole file and a --max-frames stop are not reported.
  const whole = run(['video', fixtures.clip, '--max-frames', '5']);
  assert.equal(whole.status, 0, whole.stderr);
  assert.equal(whole.stderr, '');
});

test('a photo given to video is refused, pointing to detect', () => {
  const r = run(['video', fixtures.photo]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.errors.length, 1, r.stderr);
  assert.match(r.errors[0]!, /video \S*MAX_Bryan\.png: is a PNG image, not a video \(photos go through `face-classification detect`/);
});

test('a folder with no images is one failed input: the others are still processed (detect, classify, explain), exit 1', () => {
  const face = path.join(fixtures.crops, fs.readdirSync(fixtures.crops).sort()[0]!);
  const cases: [string[], string][] = [
    [['detect', fixtures.photo, fixtures.empty], fixtures.photo],
    [['classify', face, fixtures.empty, '--no-gender'], face],
    [['explain', fixtures.empty, face, '--crops'], face],
  ];
  for (const [args, file] of cases) {
    const r = run(args);
    assert.equal(r.status, 1, `${args[0]}: ${r.stderr}`);
    assert.equal(r.lines.length, 1, `${args[0]}: ${r.stdout}`);
    assert.equal(r.lines[0]!['file'], file);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, new RegExp(`error: image ${fixtures.empty}: folder holds no images`));
  }
});

/** The `inference engine ready` line's engine, from --log-level info. */
const engineOf = (stderr: string): string | undefined => /info: inference engine ready \(engine=(\w+)/.exec(stderr)?.[1];

test('classify and evaluate run the heads on the configured engine (auto: onnxruntime), with the same answers as TF.js', () => {
  const answers: Record<string, Record<string, unknown>[]> = {};
  for (const engine of ['auto', 'onnxruntime', 'tfjs']) {
    const r = run(['classify', fixtures.crops, '--set', `inference.engine=${engine}`, '--log-level', 'info']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(engineOf(r.stderr), engine === 'auto' ? 'onnxruntime' : engine, r.stderr);
    assert.equal(r.lines.length, 30);
    answers[engine] = r.lines;
  }
  answers['onnxruntime']!.forEach((line, i) => {
    const reference = answers['tfjs']![i]!;
    assert.equal(line['file'], reference['file']);
    for (const task of ['emotion', 'gender'] as const) {
      const [a, b] = [line[task], reference[task]] as { label: string; scores: Record<string, number> }[];
      assert.equal(a!.label, b!.label, `${String(line['file'])} ${task}`);
      for (const [label, score] of Object.entries(a!.scores)) assert.ok(Math.abs(score - b!.scores[label]!) < 1e-4, `${task} ${label}: ${score} vs ${b!.scores[label]}`);
    }
  });
  const reports: Record<string, { accuracy: number; samples: number }> = {};
  for (const engine of ['onnxruntime', 'tfjs']) {
    const r = run(['evaluate', fixtures.dataset, '--json', '--set', `inference.engine=${engine}`, '--log-level', 'info']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(engineOf(r.stderr), engine, r.stderr);
    reports[engine] = r.lines[0] as { accuracy: number; samples: number };
  }
  assert.equal(reports['onnxruntime']!.samples, 36);
  assert.equal(reports['onnxruntime']!.accuracy, reports['tfjs']!.accuracy);
});

test('both heads off: detection only, no engine started and no warning about one', () => {
  const r = run(['detect', fixtures.photo, '--no-emotion', '--no-gender']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const faces = r.lines[0]!['faces'] as { box: unknown; emotion?: unknown }[];
  assert.equal(faces.length, 1);
  assert.equal(faces[0]!.emotion, undefined);
});

test('models marks selected only what the settings load: YuNet with detector.type yunet, a head\'s model while the head is on', () => {
  const selected = (flags: string[]): Record<string, boolean> => {
    const r = run(['models', ...flags]);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    return Object.fromEntries(r.lines.map((l) => [l['id'] as string, l['selected'] as boolean]));
  };
  const plain = selected(['--set', 'detector.type=haar']);
  assert.equal(plain['face_detection_yunet_2023mar'], false);
  assert.equal(plain['fer2013_mini_XCEPTION.102-0.66'], true);
  assert.equal(plain['gender_mini_XCEPTION.21-0.95'], true);
  const yunet = selected(['--set', 'detector.type=yunet', '--set', 'emotion.enabled=false']);
  assert.equal(yunet['face_detection_yunet_2023mar'], true);
  assert.equal(yunet['fer2013_mini_XCEPTION.102-0.66'], false);
});

test('settings: Infinity is named as given, a typo gets a "did you mean", a missing --models-dir is refused (exit 2, one line)', () => {
  const cases: [string[], RegExp][] = [
    [['--set', 'haar.scale_factor=Infinity'], /config haar\.scale_factor: must be a finite number, got Infinity/],
    [['--set', 'haar.scale_factr=1.2'], /config haar\.scale_factr: unknown setting \(did you mean haar\.scale_factor\?\)/],
    [['--models-dir', at('no-such-models')], /config models\.directory: folder "\S*no-such-models" does not exist/],
  ];
  for (const [flags, reason] of cases) {
    const r = run(['detect', fixtures.photo, ...flags]);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, reason);
  }
});

test('--out that cannot be written is bad usage for every command: exit 2 before the work, one line naming the path', () => {
  const cases: [string[], RegExp][] = [
    [['evaluate', fixtures.dataset, '--out', '/sys'], /--out \/sys: the folder is not writable \(EACCES\)/],
    [['evaluate', fixtures.dataset, '--out', '/proc/fc-report'], /--out \/proc\/fc-report: cannot create the folder \/proc\/fc-report/],
    [['export', '--out', '/proc/heads.onnx'], /--out \/proc\/heads\.onnx: its folder \/proc is not writable \(ENOENT\)/],
    [['detect', fixtures.photo, '--out', '/sys'], /--out \/sys: the folder is not writable/],
  ];
  for (const [args, reason] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, reason);
    assert.doesNotMatch(r.stderr, /unexpected/);
    assert.equal(r.stdout, '', 'nothing was evaluated or exported');
  }
});

const screen = terminalScreen;

const python = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;

test('on a terminal: JSON lines never share a line with the progress bar, whose total is --max-frames', { skip: python ? false : 'python3 with the pty module is needed to make a pseudo-terminal' }, () => {
  // stdout and stderr both on one pseudo-terminal, as in an interactive shell.
  const script = [
    'import os, pty, subprocess, sys',
    'master, slave = pty.openpty()',
    'p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)',
    'os.close(slave)',
    'out = b""',
    'while True:',
    '    try: data = os.read(master, 65536)',
    '    except OSError: break',
    '    if not data: break',
    '    out += data',
    'p.wait()',
    'sys.stdout.buffer.write(out)',
    'sys.stderr.write(str(p.returncode))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, process.execPath, cli, 'video', fixtures.clip, '--max-frames', '12'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.stderr, '0', r.stdout);
  const shown = screen(r.stdout).filter((l) => l !== '');
  const results = shown.filter((l) => l.includes('"frame":'));
  assert.equal(results.length, 12, shown.join('\n'));
  for (const line of results) assert.ok(line.startsWith('{"frame":'), `a result glued to the bar: ${line.slice(0, 120)}`);
  assert.match(shown[shown.length - 1]!, /^\[#{30}\] 100% 12\/12 frames/);
});

test('odd-sized frames: the output video gets one replicated column and row (and says so); .mp4 is H.264', () => {
  const cases: [string, string][] = [
    [at('odd.mp4'), 'avc1'],
    [at('odd-out.avi'), 'MJPG'],
  ];
  for (const [out, codec] of cases) {
    const r = run(['video', fixtures.odd, '--out', out, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, /warning: odd frame size: the output video gets one replicated column or row .*input=321x241, output=322x242/);
    const written = frameCount(out);
    assert.deepEqual({ ...written, fourcc: written.fourcc === fourcc(codec) }, { frames: 5, width: 322, height: 242, fourcc: true }, out);
  }
});
