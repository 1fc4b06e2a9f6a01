/**
 * Shutdown without ROS: SIGINT and SIGTERM run the cleanup and exit 0, also when the process's
 * terminal has gone away first (what `ros2 launch` does to its nodes: without releaseTerminal,
 * Node.js aborts at exit with status -6 restoring the dead terminal). When the parent is killed
 * (SIGTERM to `ros2 launch` alone), the orphan shuts down the same way within 2 s. The
 * pseudo-terminal comes from Python's pty module, the orphan's exit status from a Linux child
 * subreaper (prctl through ctypes); without python3 those cases are skipped, loudly.
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

test('the parent killed (SIGTERM to ros2 launch alone): the orphan cleans up and exits 0 within 2 s', { skip: python && process.platform === 'linux' ? false : 'Linux and python3 are needed (a child subreaper collects the orphan)' }, () => {
  const dir = scratchDir('shutdown-orphan');
  const marker = path.join(dir, 'marker');
  try {
    // We become the orphan's new parent (as systemd or a container's init would), so its exit
    // status reaches us. The middle process stands for ros2 launch: it starts the child and is killed.
    const middle = 'import subprocess, sys, time; print(subprocess.Popen(sys.argv[1:3]).pid, flush=True); time.sleep(60)';
    const script = [
      'import ctypes, os, subprocess, sys, time',
      'ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER',
      `launch = subprocess.Popen([sys.executable, '-c', ${JSON.stringify(middle)}, sys.argv[1], sys.argv[2]], stdout=subprocess.PIPE)`,
      'node = int(launch.stdout.readline())',
      'deadline = time.time() + 20',
      'while time.time() < deadline and not (os.path.exists(sys.argv[3]) and "running" in open(sys.argv[3]).read()): time.sleep(0.05)',
      'launch.terminate(); launch.wait(); gone = time.monotonic()',
      'while time.monotonic() < gone + 5:',
      '    pid, status = os.waitpid(node, os.WNOHANG)',
      '    if pid: print(os.waitstatus_to_exitcode(status), round((time.monotonic() - gone) * 1000)); sys.exit(0)',
      '    time.sleep(0.02)',
      'os.kill(node, 9); os.waitpid(node, 0); print("still running")',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script, process.execPath, child, marker], { encoding: 'utf8', env: { ...process.env, FC_SHUTDOWN_CHILD: '1', FC_SHUTDOWN_MARKER: marker }, timeout: 60_000 });
    const [code, ms] = run.stdout.trim().split(' ');
    assert.equal(code, '0', `exit status of the orphan (${run.stdout.trim()}): ${run.stderr}`);
    assert.ok(Number(ms) < 2000, `exited ${ms} ms after its parent`);
    assert.match(fs.readFileSync(marker, 'utf8'), /cleaned up/);
    assert.match(run.stderr, /\[INFO\] \[[\d.]+\] \[face_classification_node\]: shut down parent_exited=\d+/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
