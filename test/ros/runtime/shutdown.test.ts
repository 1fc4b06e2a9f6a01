/**
 * Shutdown without ROS: SIGINT and SIGTERM run the cleanup and exit 0, also when the process's
 * terminal has gone away first (what `ros2 launch` does to its nodes: without releaseTerminal,
 * Node.js aborts at exit with status -6 restoring the dead terminal). The pseudo-terminal comes
 * from Python's pty module; without python3 the terminal case is skipped, loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from '../../helpers/common.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'helpers', 'shutdown_child.js');
const python = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;

async function waitFor(file: string, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${file} never said ${text}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal}: cleanup runs, the exit status is 0`, async () => {
    const dir = scratchDir('shutdown');
    const marker = path.join(dir, 'marker');
    try {
      const proc = spawn(process.execPath, [child], { env: { ...process.env, FC_SHUTDOWN_CHILD: '1', FC_SHUTDOWN_MARKER: marker }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      await waitFor(marker, 'running');
      proc.kill(signal);
      assert.equal(await exited, 0);
      assert.match(fs.readFileSync(marker, 'utf8'), /cleaned up/);
      assert.match(err, new RegExp(`\\[INFO\\] \\[[\\d.]+\\] \\[face_classification_node\\]: shut down signal=${signal}`), 'one ROS-format line after the cleanup');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('SIGTERM after the terminal closed (ros2 launch exiting first): cleanup, exit 0, no abort', { skip: python ? false : 'python3 with the pty module is needed to make a pseudo-terminal' }, () => {
  const dir = scratchDir('shutdown-tty');
  const marker = path.join(dir, 'marker');
  try {
    const script = [
      'import os, pty, subprocess, signal, sys, time',
      'master, slave = pty.openpty()',
      `p = subprocess.Popen([sys.argv[1], sys.argv[2]], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)`,
      'os.close(slave)',
      'deadline = time.time() + 10',
      'while time.time() < deadline and not (os.path.exists(sys.argv[3]) and "running" in open(sys.argv[3]).read()): time.sleep(0.05)',
      'os.close(master)',
      'time.sleep(0.2)',
      'p.send_signal(signal.SIGTERM)',
      'print(p.wait())',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script, process.execPath, child, marker], { encoding: 'utf8', env: { ...process.env, FC_SHUTDOWN_CHILD: '1', FC_SHUTDOWN_MARKER: marker }, timeout: 30_000 });
    assert.equal(run.stdout.trim(), '0', `exit status of the node (-6 is Node's abort): ${run.stderr}`);
    assert.match(fs.readFileSync(marker, 'utf8'), /cleaned up/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
