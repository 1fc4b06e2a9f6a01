/**
 * The install space's node_modules (cmake/stage_node_modules.mjs, run by colcon build): production
 * packages of package-lock.json only, nested ones included, without dev packages, extraneous ones,
 * source maps, native build intermediates and rclnodejs's generated code; linked packages staged
 * from their target. Also: the build compiles src/ only, into the folder it is told.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, scratchDir } from './helpers.js';

const script = path.join(repoRoot, 'cmake', 'stage_node_modules.mjs');

function write(file: string, text = 'x'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

test('only production packages are staged, without maps, build intermediates or generated code', () => {
  const dir = scratchDir('stage');
  try {
    const src = path.join(dir, 'pkg');
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': { name: 'pkg' },
        'node_modules/lib': { version: '1.0.0' },
        'node_modules/lib/node_modules/inner': { version: '2.0.0' },
        'node_modules/typescript': { version: '5.0.0', dev: true },
        'node_modules/rclnodejs': { version: '2.2.0', optional: true },
        'node_modules/@scope/native': { version: '1.0.0' },
        'node_modules/missing-optional': { version: '1.0.0', optional: true },
      },
    };
    write(path.join(src, 'package-lock.json'), JSON.stringify(lock));
    write(path.join(src, 'node_modules/lib/index.js'), 'module.exports = 1;');
    write(path.join(src, 'node_modules/lib/index.js.map'));
    write(path.join(src, 'node_modules/lib/node_modules/inner/index.js'));
    write(path.join(src, 'node_modules/typescript/bin/tsc'));
    write(path.join(src, 'node_modules/extraneous/index.js'));
    write(path.join(src, 'node_modules/@scope/native/build/Release/native.node'));
    write(path.join(src, 'node_modules/@scope/native/build/Release/obj.target/native/a.o'));
    write(path.join(src, 'node_modules/.cache/x'));
    // rclnodejs built elsewhere and linked in, with code generated for another workspace.
    write(path.join(dir, 'elsewhere/rclnodejs/index.js'));
    write(path.join(dir, 'elsewhere/rclnodejs/generated/std_msgs/x.js'));
    fs.symlinkSync(path.join(dir, 'elsewhere/rclnodejs'), path.join(src, 'node_modules/rclnodejs'));
    const dest = path.join(dir, 'staged');
    write(path.join(dest, 'stale.js'));
    const run = spawnSync(process.execPath, [script, src, dest], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /staged 4 production packages/);
    const files: string[] = [];
    const walk = (d: string, rel: string): void => {
      for (const name of fs.readdirSync(d)) {
        const full = path.join(d, name);
        if (fs.lstatSync(full).isDirectory()) walk(full, `${rel}${name}/`);
        else files.push(`${rel}${name}`);
      }
    };
    walk(dest, '');
    assert.deepEqual(files.sort(), ['@scope/native/build/Release/native.node', 'lib/index.js', 'lib/node_modules/inner/index.js', 'rclnodejs/index.js']);
    assert.equal(fs.lstatSync(path.join(dest, 'rclnodejs')).isSymbolicLink(), false, 'a linked package is staged as a folder');
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
