/** Track ids on the command line: `video --json` per face per frame, `detect` per photo (the real binary). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Scene, loadFacePatches, photoBackground, type FacePath } from '../../src/bench/scene.js';
import { VideoSink } from '../../src/video/source.js';
import { photos, repoRoot, scratchDir } from '../helpers/common.js';

const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const dir = scratchDir('cli-tracking');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface FaceJson {
  track_id: number;
  confirmed: boolean;
  box: { x: number; y: number; width: number; height: number };
  emotion?: { label: string };
  raw?: { emotion?: { label: string } };
}

function jsonLines(args: string[]): { status: number | null; lines: { faces: FaceJson[] }[] } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { status: result.status, lines: result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { faces: FaceJson[] }) };
}

test('video --json: each face carries a track_id that stays with the moving face, confirmed after 3 frames', () => {
  const patches = loadFacePatches(photos);
  const frames = 24;
  const face: FacePath = { patch: patches.length - 1, from: { x: 0.3, y: 0.4, size: 160 }, to: { x: 0.65, y: 0.55, size: 210 }, enter: 0, leave: frames };
  const scene = new Scene({ width: 640, height: 480, frames, faces: [face] }, patches, photoBackground(path.join(photos, 'skimage_astronaut.png'), 640, 480));
  const file = path.join(dir, 'moving.avi');
  const sink = VideoSink.open(file, 30, 640, 480);
  for (let i = 0; i < frames; i++) sink.write(scene.frame(i));
  sink.release();

  const { status, lines } = jsonLines(['video', file, '--json']);
  assert.equal(status, 0);
  assert.equal(lines.length, frames);
  const faces = lines.map((l) => l.faces);
  assert.ok(faces.filter((f) => f.length === 1).length >= frames - 1, 'one face in (nearly) every frame');
  const ids = new Set(faces.flat().map((f) => f.track_id));
  assert.equal(ids.size, 1, `track ids: ${[...ids].join(', ')}`);
  assert.ok(Number.isInteger([...ids][0]) && [...ids][0]! >= 1);
  assert.deepEqual(faces.slice(0, 3).map((f) => f[0]?.confirmed), [false, false, true]);
  // Smoothing is on by default: the frame's own answer is there too.
  assert.ok(faces.flat().every((f) => f.emotion && f.raw?.emotion));
});

test('detect: each face of each photo gets its own track id, never repeated', () => {
  const { status, lines } = jsonLines(['detect', path.join(photos, 'skimage_astronaut.png'), path.join(photos, 'MAX_Chris.jpeg'), path.join(photos, 'MAX_Paul.jpeg')]);
  assert.equal(status, 0);
  const ids = lines.flatMap((l) => l.faces.map((f) => f.track_id));
  assert.equal(ids.length, 3);
  assert.equal(new Set(ids).size, 3);
  assert.ok(lines.every((l) => l.faces.every((f) => f.confirmed && f.raw === undefined)));
});
