/**
 * The library and the settings as a newcomer uses them (issue 12): a disabled head is not loaded and
 * cannot be switched on under a running pipeline (nor through a ROS parameter); errors are Error
 * objects; a disposed pipeline says so; rules between settings; no shell anywhere in the source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FacePipeline } from '../src/pipeline/pipeline.js';
import { makeConfig } from '../src/config/validate.js';
import { defaultConfig, type Config } from '../src/config/schema.js';
import * as library from '../src/index.js';
import type { FaceStream, PreparedFrame } from '../src/index.js';
import { defaultRosConfig } from '../src/config/ros_schema.js';
import { ConfigError, FaceClassificationError, ImageError } from '../src/errors.js';
import { readColor, writeImage } from '../src/vision/image.js';
import { ParameterType, validateParameterChanges } from '../src/ros/params/parameters.js';
import { watchParameters } from '../src/ros/params/parameter_server.js';
import type { RclNode, RclParameter, RclSetParametersResult } from '../src/ros/runtime/rclnodejs_api.js';
import { silentLogger } from '../src/log.js';
import { photos, repoRoot, scratchDir } from './helpers/common.js';

const dir = scratchDir('library-defects');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a disabled head is not loaded; switching it on under the running pipeline is refused with the reason; process() after dispose() throws', async () => {
  const config = makeConfig({ 'gender.enabled': false, 'gender.model': path.join(dir, 'no-such-gender.hdf5'), 'models.download': false });
  const pipeline = await FacePipeline.create(config);
  assert.ok(pipeline.heads.emotion);
  assert.equal(pipeline.heads.gender, undefined);
  const frame = readColor(path.join(photos, 'skimage_astronaut.png'));
  const faces = pipeline.process(frame).faces;
  assert.equal(faces[0]!.emotion?.label, 'happy');
  assert.equal(faces[0]!.gender, undefined);
  const on = { ...config, 'gender.enabled': true };
  assert.match(pipeline.configRefusal(on)?.reason ?? '', /gender model was not loaded because the head was disabled at start/);
  assert.throws(() => (pipeline.config = on), (error: unknown) => error instanceof ConfigError && error.key === 'gender.enabled');
  assert.equal(pipeline.config['gender.enabled'], false, 'the refused settings were not applied');
  pipeline.config = { ...config, 'emotion.enabled': false };
  assert.equal(pipeline.process(frame).faces[0]!.emotion, undefined, 'a loaded head still switches off and on');
  pipeline.config = config;
  pipeline.dispose();
  assert.throws(() => pipeline.process(frame), (error: unknown) => error instanceof FaceClassificationError && /after dispose\(\)/.test(error.message));
});

test('the ROS parameter callback refuses what the pipeline refuses, with its reason', () => {
  let callback: ((parameters: RclParameter[]) => RclSetParametersResult) | undefined;
  const node = { addOnSetParametersCallback: (cb: typeof callback) => (callback = cb) } as unknown as RclNode;
  let settings = { config: { ...defaultConfig(), 'gender.enabled': false }, ros: defaultRosConfig() };
  watchParameters(node, () => settings, (next) => (settings = next), silentLogger, (next) => (next.config['gender.enabled'] ? 'gender.enabled cannot be switched on while running' : undefined));
  const refused = callback!([{ name: 'gender.enabled', type: ParameterType.BOOL, value: true } as RclParameter]);
  assert.deepEqual(refused, { successful: false, reason: 'gender.enabled cannot be switched on while running' });
  assert.equal(settings.config['gender.enabled'], false);
  const accepted = callback!([{ name: 'haar.min_neighbors', type: ParameterType.INTEGER, value: 3n } as RclParameter]);
  assert.equal(accepted.successful, true);
  assert.equal(settings.config['haar.min_neighbors'], 3);
});

test('rules between settings: fraction offsets, face size limits (library and ROS parameters alike); yunet.input_size steps of 32', () => {
  assert.throws(() => makeConfig({ 'crop.offset_unit': 'fraction' }), (e: unknown) => e instanceof ConfigError && e.key === 'emotion.offsets' && /2000% and 4000%/.test(e.message));
  assert.equal(makeConfig({ 'crop.offset_unit': 'fraction', 'emotion.offsets': [0.2, 0.4], 'gender.offsets': [0.3, 0.6] })['crop.offset_unit'], 'fraction');
  assert.throws(() => makeConfig({ 'detector.min_face_size': 200, 'detector.max_face_size': 100 }), (e: unknown) => e instanceof ConfigError && e.key === 'detector.min_face_size');
  assert.equal(makeConfig({ 'detector.min_face_size': 200 })['detector.max_face_size'], 0, 'no upper limit: any minimum');
  assert.throws(() => makeConfig({ 'yunet.input_size': 100 }), /must be a multiple of 32, got 100/);
  assert.equal(makeConfig({ 'yunet.input_size': 320 })['yunet.input_size'], 320);
  const current = { ...defaultConfig(), ...defaultRosConfig() };
  const unit = validateParameterChanges([{ name: 'crop.offset_unit', type: ParameterType.STRING, value: 'fraction' }], { current });
  assert.equal(unit.successful, false);
  assert.match(unit.reason, /emotion\.offsets: \[20,40\] read as fractions/);
  const sizes = validateParameterChanges([{ name: 'detector.max_face_size', type: ParameterType.INTEGER, value: 10n }], { current: { ...current, 'detector.min_face_size': 50 } });
  assert.match(sizes.reason, /detector\.min_face_size: \(50\) is larger than detector\.max_face_size \(10\)/);
});

test('writeImage throws ImageError objects naming the file: unknown extension, missing folder', () => {
  const image = readColor(path.join(photos, 'MAX_Bryan.png'));
  assert.throws(() => writeImage(path.join(dir, 'x.xyz'), image), (e: unknown) => e instanceof ImageError && /x\.xyz: cannot be written: OpenCV has no encoder for \.xyz/.test(e.message));
  assert.throws(() => writeImage(path.join(dir, 'missing', 'x.png'), image), (e: unknown) => e instanceof ImageError && /cannot be written \(ENOENT\)/.test(e.message));
  writeImage(path.join(dir, 'ok.png'), image);
  assert.equal(readColor(path.join(dir, 'ok.png')).cols, image.cols);
});

test('no shell anywhere in the shipped source; child processes only in the benchmark tools, never with a shell', () => {
  const files = fs.readdirSync(path.join(repoRoot, 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 20);
  for (const file of files) {
    const text = fs.readFileSync(path.join(repoRoot, 'src', file), 'utf8');
    // exec/execSync always run a shell; spawn/execFile do with `shell: true`.
    assert.doesNotMatch(text, /(?<![.\w])exec(Sync)?\(|shell:\s*true/, file);
    if (!file.split(path.sep).includes('bench')) assert.doesNotMatch(text, /child_process/, `${file}: a child process outside the benchmark tools`);
  }
});

test('every write to pipeline.config is validated like --set: property writes, whole objects, bad offsets; only ConfigErrors, nothing applied', async () => {
  await assert.rejects(FacePipeline.create({ ...defaultConfig(), 'haar.scale_factor': 99 }), (e: unknown) => e instanceof ConfigError && e.key === 'haar.scale_factor');
  await assert.rejects(FacePipeline.create({ ...defaultConfig(), 'haar.scale_factr': 1.2 } as Config), (e: unknown) => e instanceof ConfigError && /did you mean haar\.scale_factor/.test(e.message));
  const pipeline = await FacePipeline.create(makeConfig({ 'gender.enabled': false, 'models.download': false }));
  const frame = readColor(path.join(photos, 'skimage_astronaut.png'));
  try {
    const isConfigError = (key: string) => (e: unknown): boolean => e instanceof ConfigError && e.key === key;
    assert.throws(() => (pipeline.config['gender.enabled'] = true), isConfigError('gender.enabled'));
    assert.throws(() => (pipeline.config['haar.scale_factor'] = 99), isConfigError('haar.scale_factor'));
    for (const factor of [0.5, 1.0]) assert.throws(() => (pipeline.config = { ...pipeline.config, 'haar.scale_factor': factor }), isConfigError('haar.scale_factor'));
    assert.throws(() => (pipeline.config['emotion.offsets'] = [-5, 10]), isConfigError('emotion.offsets'));
    assert.throws(() => (pipeline.config = { ...pipeline.config, 'emotion.offsets': [20] }), isConfigError('emotion.offsets'));
    assert.throws(() => ((pipeline.config as Record<string, unknown>)['haar.scale_factr'] = 1.2), (e: unknown) => e instanceof ConfigError && /did you mean haar\.scale_factor/.test(e.message));
    assert.throws(() => delete (pipeline.config as Partial<Config>)['haar.scale_factor'], isConfigError('haar.scale_factor'));
    assert.equal(pipeline.config['haar.scale_factor'], 1.3, 'nothing refused was applied');
    assert.deepEqual(pipeline.config['emotion.offsets'], [20, 40]);
    assert.equal(pipeline.process(frame).faces[0]!.emotion?.label, 'happy');
    // A good write applies at once, as a whole new object does.
    pipeline.config['emotion.enabled'] = false;
    assert.equal(pipeline.process(frame).faces[0]!.emotion, undefined);
    const held = pipeline.config;
    pipeline.config = { ...held, 'emotion.enabled': true };
    held['haar.min_neighbors'] = 6;
    assert.equal(pipeline.config['haar.min_neighbors'], 6, 'a write through an earlier view applies to the current settings');
    assert.equal(pipeline.config['emotion.enabled'], true);
  } finally {
    frame.release();
    pipeline.dispose();
  }
});

test('the package exports FaceStream and PreparedFrame; a disposed stream throws a FaceClassificationError', async () => {
  const pipeline = await FacePipeline.create(makeConfig({ 'emotion.enabled': false, 'gender.enabled': false, 'models.download': false }));
  const frame = readColor(path.join(photos, 'skimage_astronaut.png'));
  try {
    const stream: FaceStream = pipeline.stream();
    assert.ok(stream instanceof library.FaceStream);
    const result = await stream.process(frame);
    const prepared: PreparedFrame = result.prepared;
    assert.ok(prepared instanceof library.PreparedFrame);
    assert.equal(result.faces.length, 1);
    prepared.release();
    stream.dispose();
    await assert.rejects(stream.process(frame), (e: unknown) => e instanceof FaceClassificationError && /after dispose\(\)/.test(e.message));
  } finally {
    frame.release();
    pipeline.dispose();
  }
});
