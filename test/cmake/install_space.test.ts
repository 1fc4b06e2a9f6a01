/**
 * The install space's node_modules (cmake/stage_node_modules.mjs, run by colcon build): the
 * dependencies that run, found as Node.js finds them, without dev packages, extraneous ones, source
 * maps, native build intermediates and rclnodejs's generated code; linked packages staged from their
 * target with the dependencies beside it. Also: the build compiles src/ only, into the build folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, scratchDir } from '../helpers/common.js';

const script = path.join(repoRoot, 'cmake', 'stage_node_modules.mjs');

function write(file: string, text = 'x'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

test('only what runs is staged: dependencies found as Node finds them, no dev or extraneous packages, maps or intermediates', () => {
  const dir = scratchDir('stage');
  try {
    const src = path.join(dir, 'pkg');
    const pkg = (folder: string, name: string, deps: Record<string, string> = {}, extra: object = {}): void =>
      write(path.join(folder, 'package.json'), JSON.stringify({ name, version: '1.0.0', dependencies: deps, ...extra }));
    pkg(src, 'pkg', { lib: '1', '@scope/native': '1' }, { optionalDependencies: { rclnodejs: '2', 'missing-optional': '1' }, devDependencies: { typescript: '5' } });
    pkg(path.join(src, 'node_modules/lib'), 'lib', { inner: '2', shared: '1' });
    write(path.join(src, 'node_modules/lib/index.js'), 'module.exports = 1;');
    write(path.join(src, 'node_modules/lib/index.js.map'));
    // lib needs inner@2 while the top level has inner@1 (needed by @scope/native): nested beside lib.
    pkg(path.join(src, 'node_modules/lib/node_modules/inner'), 'inner');
    write(path.join(src, 'node_modules/lib/node_modules/inner/v2.js'));
    pkg(path.join(src, 'node_modules/inner'), 'inner');
    write(path.join(src, 'node_modules/inner/v1.js'));
    pkg(path.join(src, 'node_modules/shared'), 'shared');
    pkg(path.join(src, 'node_modules/typescript'), 'typescript');
    pkg(path.join(src, 'node_modules/extraneous'), 'extraneous');
    pkg(path.join(src, 'node_modules/@scope/native'), '@scope/native', { inner: '1' });
    write(path.join(src, 'node_modules/@scope/native/build/Release/native.node'));
    write(path.join(src, 'node_modules/@scope/native/build/Release/obj.target/native/a.o'));
    write(path.join(src, 'node_modules/.cache/x'));
    // rclnodejs built elsewhere and linked in, its dependency beside it there, code generated for another workspace.
    pkg(path.join(dir, 'elsewhere/node_modules/rclnodejs'), 'rclnodejs', { debug: '4' });
    write(path.join(dir, 'elsewhere/node_modules/rclnodejs/generated/std_msgs/x.js'));
    pkg(path.join(dir, 'elsewhere/node_modules/debug'), 'debug');
    fs.symlinkSync(path.join(dir, 'elsewhere/node_modules/rclnodejs'), path.join(src, 'node_modules/rclnodejs'));
    const dest = path.join(dir, 'staged');
    write(path.join(dest, 'stale.js'));
    const run = spawnSync(process.execPath, [script, src, dest], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /staged 7 packages that run .*optional, not installed: missing-optional/);
    const files: string[] = [];
    const walk = (d: string, rel: string): void => {
      for (const name of fs.readdirSync(d)) {
        const full = path.join(d, name);
        if (fs.lstatSync(full).isDirectory()) walk(full, `${rel}${name}/`);
        else files.push(`${rel}${name}`);
      }
    };
    walk(dest, '');
    assert.deepEqual(files.filter((f) => !f.endsWith('package.json')).sort(), ['@scope/native/build/Release/native.node', 'inner/v1.js', 'lib/index.js', 'lib/node_modules/inner/v2.js']);
    assert.deepEqual(files.filter((f) => f.endsWith('package.json')).map((f) => path.dirname(f)).sort(), ['@scope/native', 'debug', 'inner', 'lib', 'lib/node_modules/inner', 'rclnodejs', 'shared']);
    assert.equal(fs.lstatSync(path.join(dest, 'rclnodejs')).isSymbolicLink(), false, 'a linked package is staged as a folder');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing required dependency stops the build with its name', () => {
  const dir = scratchDir('stage-missing');
  try {
    write(path.join(dir, 'package.json'), JSON.stringify({ name: 'pkg', dependencies: { absent: '1' } }));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    const run = spawnSync(process.execPath, [script, dir, path.join(dir, 'out')], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /absent, a dependency of pkg, is not installed: run npm install/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CMakeLists compiles with tsconfig.build.json (src only) into the build folder and installs the staged modules', () => {
  const cmake = fs.readFileSync(path.join(repoRoot, 'CMakeLists.txt'), 'utf8');
  assert.match(cmake, /tsc -p \$\{FC_SOURCE\}\/tsconfig\.build\.json --outDir \$\{FC_BUILD\}\/dist/);
  assert.doesNotMatch(cmake, /install\(DIRECTORY \$\{FC_SOURCE\}\/node_modules/);
  assert.doesNotMatch(cmake, /\$\{FC_SOURCE\}\/dist/);
  const build = JSON.parse(fs.readFileSync(path.join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  assert.deepEqual(build.include, ['src/**/*.ts']);
});
