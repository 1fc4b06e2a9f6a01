/**
 * The arrows between the source folders run one way: the core, the library, the CLI and the message
 * builders (src/messages/) never import the ROS layer (src/ros/); only the ROS tools beside the
 * other benchmarks (src/bench/ros/) may. Read from the real sources' import statements.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers/common.js';

const src = path.join(repoRoot, 'src');
const files = fs.readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));

/** The source files `file` imports (relative specifiers only), as paths under src/. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(src, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specifiers.map((s) => path.relative(src, path.resolve(path.dirname(path.join(src, file)), s)));
}

const inRos = (file: string): boolean => file.split(path.sep)[0] === 'ros';
const mayUseRos = (file: string): boolean => inRos(file) || file.startsWith(path.join('bench', 'ros') + path.sep);

test('nothing outside src/ros/ and the ROS benchmark imports src/ros/', () => {
  assert.ok(files.length > 50 && files.some(inRos));
  const wrong = files.filter((file) => !mayUseRos(file)).flatMap((file) => importsOf(file).filter(inRos).map((target) => `${file} -> ${target}`));
  assert.deepEqual(wrong, []);
});

test('the ROS node does use src/messages/ (the check above sees real imports)', () => {
  assert.ok(importsOf(path.join('ros', 'node.ts')).includes(path.join('messages', 'face_classification.js')));
});
