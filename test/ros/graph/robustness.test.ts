/**
 * ROS 2 integration: the installed node under bad input, silence, faults and signals (issues 10 and
 * 12). Malformed frames mixed with good ones: every good one answered, the counters per reason in
 * /diagnostics; the input goes silent (WARN "no input") and comes back (OK); parameter files keyed
 * by the full node name, integer lists for double lists, `ros2 param set` of a wrong type refused
 * with the node alive, parameter events on /parameter_events, ROS-format logs on the console and
 * /rosout; `ros2 param dump` restarts the node as it was; SIGTERM ends it cleanly within 2 s; start-up
 * and configure faults name the file and the reason; the launch file's arguments override the params
 * file (false included) without temp files, and SIGTERM or Ctrl-C on `ros2 launch` leave no node
 * behind, also SIGTERM to the launch process alone (the node notices its parent is gone); the install space holds only what runs. Skips loudly without ROS 2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readColor } from '../../../src/vision/image.js';
import { matToImageMessage } from '../../../src/messages/face_classification.js';
import { scratchDir } from '../../helpers/common.js';
import {
  TestClient, rosGraphFile, astronautPng, installedLauncher, packagePrefix, processesWith, repoRoot, ros2, sharedRoot, sleep,
  startProcess, statusValue, statusesOf, uniqueStamp, waitFor, type FacesMsg, type NodeProcess,
} from '../../helpers/ros_harness.js';

const MODELS = `${sharedRoot}/models`;
const { rcl, skip } = await rosGraphFile('ROS 2 robustness tests');
const launcher = installedLauncher();

const FIRST_ANSWER_MS = 120_000;
const ANSWER_MS = 30_000;
const IMAGE = 'sensor_msgs/msg/Image';
const FACES = 'face_classification/msg/FaceClassificationArray';

const scratch = !skip ? scratchDir('ros-robust') : '';
after(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  if (!skip && !rcl.isShutdown()) rcl.shutdown();
});

/** A small frame (best-effort delivery of large images over loopback is not what is tested here). */
function goodFrame(frameId = 'good') {
  const bgr = readColor(astronautPng).resize(256, 256);
  return matToImageMessage(bgr, { stamp: uniqueStamp(), frame_id: frameId });
}

/** Start the installed node itself (no `ros2 run` wrapper in between), so signals reach it. */
function startNode(args: string[], env: NodeJS.ProcessEnv = {}): NodeProcess {
  return startProcess(launcher!, args, env);
}

async function exitOf(proc: NodeProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return { code: proc.child.exitCode, signal: proc.child.signalCode };
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    proc.child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

const dumpFile = (): string => path.join(scratch, 'dump.yaml');

describe('a running node under malformed input, silence and parameter changes (ROS 2)', { skip, timeout: 600_000 }, () => {
  const ns = `/fc_robust_${process.pid}`;
  const fq = `${ns}/face_classification_node`;
  let node: NodeProcess | undefined;
  let client: TestClient | undefined;

  before(() => {
    // Keyed by the full node name (what `ros2 param dump` writes), with an integer list for a double list.
    const params = path.join(scratch, 'robust.yaml');
    fs.writeFileSync(params, [
      `${fq}:`,
      '  ros__parameters:',
      '    haar.min_neighbors: 4',
      '    emotion.offsets: [20, 40]',
      // Only the input timeout decides the level in these tests (not latency or drops on a loaded machine).
      '    diagnostics.input_timeout_s: 2.0',
      '    diagnostics.latency_warn_ms: 0.0',
      '    diagnostics.latency_error_ms: 0.0',
      '    diagnostics.drop_ratio_warn: 1.0',
      '',
    ].join('\n'));
    client = new TestClient(rcl, `fc_robust_client_${process.pid}`);
    client.subscribe(FACES, `${fq}/faces`);
    client.subscribe('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics');
    client.subscribe('rcl_interfaces/msg/ParameterEvent', '/parameter_events');
    client.subscribe('rcl_interfaces/msg/Log', '/rosout');
    node = startNode(['--ros-args', '-r', `__ns:=${ns}`, '-r', `image:=${ns}/camera/image`, '-p', `models.directory:=${MODELS}`, '--params-file', params]);
  });

  after(async () => {
    client?.destroy();
    await node?.stop();
    if (process.env.FC_TEST_VERBOSE) process.stdout.write(node?.output() ?? '');
  });

  test('malformed frames are skipped and counted per reason in /diagnostics; every good frame is answered', async () => {
    const pub = client!.publisher(IMAGE, `${ns}/camera/image`);
    const first = goodFrame();
    assert.ok(await client!.exchange<FacesMsg>(pub, first, `${fq}/faces`, FIRST_ANSWER_MS), 'first good frame answered');
    const bad = (change: object) => ({ ...goodFrame('bad'), ...change });
    const good = goodFrame();
    const malformed = [
      bad({ data: good.data.subarray(0, good.data.length - 7) }),
      bad({ encoding: '32FC1' }),
      bad({ step: 10 }),
      bad({ width: 100_000, height: 100_000, step: 300_000 }),
      bad({ data: new Uint8Array(good.data.length + 3) }),
    ];
    let answered = 0;
    for (const message of malformed) {
      pub.publish(message);
      await sleep(300);
      if (await client!.exchange<FacesMsg>(pub, goodFrame(), `${fq}/faces`, ANSWER_MS)) answered++;
    }
    assert.equal(answered, malformed.length, 'every good frame after a malformed one answered');
    assert.equal(client!.messages<FacesMsg>(`${fq}/faces`).filter((m) => m.header.frame_id === 'bad').length, 0, 'no answer for a malformed frame');
    const counted = await waitFor(() => {
      const last = statusesOf(client!, fq).at(-1);
      return Number(statusValue(last, 'skipped.data_size')) >= 2 && Number(statusValue(last, 'skipped.unsupported_encoding')) >= 1 && Number(statusValue(last, 'skipped.bad_step')) >= 1 && Number(statusValue(last, 'skipped.too_large')) >= 1 ? last : undefined;
    }, 10_000);
    assert.ok(counted, `counters in /diagnostics: ${JSON.stringify(statusesOf(client!, fq).at(-1)?.values)}`);
    assert.equal(node!.child.exitCode, null, 'node still running');
    assert.match(node!.output(), /\[WARN\] \[[\d.]+\] \[fc_robust_\d+\.face_classification_node\]: frame skipped topic=\S+ reason=unsupported_encoding/);
  });

  test('the input goes silent: WARN "no input for N s"; it comes back: OK', async () => {
    const silent = await waitFor(() => statusesOf(client!, fq).find((s) => s.level === 1 && /no input on \S+ for [\d.]+ s/.test(s.message)), 15_000);
    assert.ok(silent, 'WARN while no frame arrives');
    const since = statusesOf(client!, fq).length;
    const pub = client!.publisher(IMAGE, `${ns}/camera/image`);
    const ok = await waitFor(() => {
      pub.publish(goodFrame());
      return statusesOf(client!, fq).slice(since).find((s) => s.level === 0);
    }, 30_000);
    assert.ok(ok, `OK again once frames arrive: ${JSON.stringify(statusesOf(client!, fq).slice(since).map((s) => s.message))}`);
    assert.equal(ok.message, 'ok');
  });

  test('parameters: full-name section and integer list applied; a wrong type refused with the node up; events on /parameter_events', async () => {
    assert.match(ros2(['param', 'get', fq, 'haar.min_neighbors']).out, /Integer value is: 4/);
    assert.match(ros2(['param', 'get', fq, 'emotion.offsets']).out, /20\.0, 40\.0/);
    const wrong = ros2(['param', 'set', fq, 'emotion.offsets', '[10, 20]'], 30_000);
    assert.match(wrong.out, /Setting parameter failed: emotion.offsets must be a double array, got an integer array/);
    assert.equal(node!.child.exitCode, null, 'node survives an integer list');
    assert.match(ros2(['param', 'set', fq, 'haar.scale_factr', '1.2']).out, /haar.scale_factr is not a parameter of this node \(did you mean haar.scale_factor\?\)/);
    assert.match(ros2(['param', 'set', fq, 'haar.min_neighbors', '7']).out, /Set parameter successful/);
    const event = await waitFor(() => client!.messages<{ node: string } & never>('/parameter_events').find((e) => (e as { node: string }).node === fq), 10_000);
    assert.ok(event, 'a parameter event from the node on the absolute /parameter_events');
    assert.doesNotMatch(ros2(['topic', 'list']).out, new RegExp(`${ns}/parameter_events`));
    const rosout = await waitFor(() => client!.messages('/rosout').find((m) => /parameters changed/.test((m as unknown as { msg: string }).msg)), 10_000);
    assert.ok(rosout, 'INFO lines reach /rosout');
  });

  test('logs: ROS format on the console, no JSON, each warning once; the dump is saved for the restart test', () => {
    const output = node!.output();
    assert.match(output, /\[INFO\] \[[\d.]+\] \[fc_robust_\d+\.face_classification_node\]: listening /);
    assert.doesNotMatch(output, /^\{"level"/m);
    assert.equal(output.split('parameter change rejected').length - 1, 1, 'the rejected change is logged once');
    assert.doesNotMatch(output, /Publisher already registered/);
    const dump = ros2(['param', 'dump', fq]);
    assert.equal(dump.status, 0, dump.out);
    fs.writeFileSync(dumpFile(), dump.stdout);
    assert.match(fs.readFileSync(dumpFile(), 'utf8'), /min_neighbors: 7/);
  });
});

describe('restart from a dump, and SIGTERM (ROS 2)', { skip, timeout: 300_000 }, () => {
  const ns = `/fc_robust_${process.pid}`;
  const fq = `${ns}/face_classification_node`;

  test('the dump restores every setting; --log-level debug applies; SIGTERM: cleanup, exit 0 within 2 s', async () => {
    assert.ok(fs.existsSync(dumpFile()), 'the dump of the first node');
    const node = startNode(['--ros-args', '-r', `__ns:=${ns}`, '-r', `image:=${ns}/camera/image`, '--params-file', dumpFile(), '--log-level', 'debug']);
    const client = new TestClient(rcl, `fc_restart_client_${process.pid}`);
    try {
      client.subscribe(FACES, `${fq}/faces`);
      assert.ok(await waitFor(() => /node running/.test(node.output()), 120_000), `node started: ${node.output().slice(-2000)}`);
      assert.match(ros2(['param', 'get', fq, 'haar.min_neighbors']).out, /Integer value is: 7/);
      assert.match(ros2(['param', 'get', fq, 'diagnostics.input_timeout_s']).out, /Double value is: 2\.0/);
      assert.ok(await client.exchange<FacesMsg>(client.publisher(IMAGE, `${ns}/camera/image`), goodFrame(), `${fq}/faces`, FIRST_ANSWER_MS), 'answers');
      assert.match(node.output(), /\[DEBUG\] \[[\d.]+\] \[fc_robust_\d+\.face_classification_node\]: frame /, 'debug lines with --log-level debug');
      const started = Date.now();
      node.child.kill('SIGTERM');
      const exit = await exitOf(node, 10_000);
      const ms = Date.now() - started;
      assert.deepEqual(exit, { code: 0, signal: null }, node.output().slice(-2000));
      assert.ok(ms < 2000, `ended within 2 s (took ${ms} ms)`);
      assert.match(node.output(), /shut down signal=SIGTERM/);
    } finally {
      client.destroy();
      await node.stop();
    }
  });
});

describe('start-up and configure faults (ROS 2)', { skip, timeout: 600_000 }, () => {
  const ns = `/fc_fault_${process.pid}`;
  const fq = `${ns}/face_classification_node`;

  async function startupFailure(args: string[]): Promise<string> {
    const node = startNode(['--ros-args', '-r', `__ns:=${ns}`, ...args]);
    const exit = await exitOf(node, 120_000);
    await node.stop();
    assert.ok(exit, 'the node exits');
    assert.equal(exit.code, 1, node.output());
    assert.doesNotMatch(node.output(), /node running/, 'never a half-working node');
    return node.output();
  }

  test('an unknown parameter in the params file, a missing models folder, a corrupt model: exit 1 naming file and reason', async () => {
    const typo = path.join(scratch, 'typo.yaml');
    fs.writeFileSync(typo, '/**:\n  ros__parameters:\n    haar.scale_factr: 1.2\n');
    assert.match(await startupFailure(['--params-file', typo]), /\[FATAL\] .*start-up failed reason=.*unknown parameter haar.scale_factr \(did you mean haar.scale_factor\?\) \(params file .*typo.yaml/);
    const broken = path.join(scratch, 'broken.yaml');
    fs.writeFileSync(broken, '/**:\n  ros__parameters:\n    a: [1, 2\n');
    assert.match(await startupFailure(['--params-file', broken]), /cannot start the ROS node reason=config .*broken.yaml: is not valid YAML/);
    const missing = path.join(scratch, 'no_such_folder');
    assert.match(await startupFailure(['-p', `models.directory:=${missing}`]), new RegExp(`config models.directory: folder "${missing}" does not exist`));
    const corrupt = path.join(scratch, 'corrupt.hdf5');
    fs.writeFileSync(corrupt, 'not an HDF5 file');
    assert.match(await startupFailure(['-p', `models.directory:=${MODELS}`, '-p', `emotion.model:=${corrupt}`]), new RegExp(`model file ${corrupt}`));
  });

  test('lifecycle: a failed configure is ERROR with the reason in /diagnostics; after finalize STALE', async () => {
    const node = startNode(['--lifecycle', '--ros-args', '-r', `__ns:=${ns}`, '-p', `models.directory:=${MODELS}`, '-p', `emotion.model:=${path.join(scratch, 'absent.hdf5')}`]);
    const client = new TestClient(rcl, `fc_fault_client_${process.pid}`);
    try {
      client.subscribe('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics');
      assert.ok(await waitFor(() => /waiting for configure/.test(node.output()), 120_000), node.output());
      assert.match(ros2(['lifecycle', 'set', fq, 'configure'], 120_000).out, /Transitioning failed/);
      assert.match(ros2(['lifecycle', 'get', fq]).out, /unconfigured \[1\]/);
      const error = await waitFor(() => statusesOf(client, fq).find((s) => s.level === 2), 10_000);
      assert.ok(error, 'ERROR after the failed configure');
      assert.match(error.message, /configure failed: model file .*absent.hdf5/);
      assert.match(ros2(['lifecycle', 'set', fq, 'shutdown']).out, /Transitioning successful/);
      const stale = await waitFor(() => statusesOf(client, fq).find((s) => s.level === 3), 10_000);
      assert.ok(stale, 'STALE after finalize');
      assert.match(stale.message, /finalized/);
    } finally {
      client.destroy();
      await node.stop();
    }
  });
});

describe('face_classification.launch.py arguments and shutdown (ROS 2)', { skip, timeout: 600_000 }, () => {
  const tempFiles = (): string[] => fs.readdirSync('/tmp').filter((name) => /^(face_classification_.*\.yaml|launch_params_)/.test(name));

  async function launchAndStop(signal: 'SIGTERM' | 'SIGINT', extra: string[], check: (fq: string) => Promise<void>): Promise<string> {
    const name = `fc_launch_${signal.toLowerCase()}_${process.pid}`;
    const fq = `/${name}/face_classification_node`;
    const before = tempFiles();
    const launch = startProcess('ros2', ['launch', 'face_classification', 'face_classification.launch.py', `namespace:=${name}`, `models_directory:=${MODELS}`, ...extra]);
    try {
      assert.ok(await waitFor(() => /node running/.test(launch.output()), 120_000), launch.output());
      await check(fq);
      // What Ctrl-C in the terminal (SIGINT) or a supervisor (SIGTERM) sends: the whole process group.
      process.kill(-launch.child.pid!, signal);
      assert.ok(await exitOf(launch, 30_000), 'ros2 launch exits');
      // On SIGTERM launch exits at once; the node, its terminal gone, finishes on its own.
      assert.ok(await waitFor(() => processesWith(name).length === 0, 5000), `no process left behind: ${processesWith(name).join('; ')}`);
      assert.deepEqual(tempFiles(), before, 'no temporary parameter files left');
      const output = launch.output();
      // The node's own word (launch's "finished cleanly" is not always there: after SIGTERM launch
      // is gone first, and its asyncio child watcher sometimes loses the exit status, "Unknown
      // child process pid ... will report returncode 255").
      if (signal === 'SIGINT') assert.match(output, /shut down signal=SIGINT/, output);
      assert.doesNotMatch(output, /Assertion|Segmentation fault|EIO|unclean shutdown/);
      assert.doesNotMatch(output, /Publisher already registered/);
      return output;
    } finally {
      await launch.stop();
    }
  }

  test('launch arguments given as false override a params file that says true; SIGTERM to the launch group ends cleanly', async () => {
    const params = path.join(scratch, 'launch.yaml');
    fs.writeFileSync(params, '/**:\n  ros__parameters:\n    gbp_image.enabled: true\n    debug_image.force: true\n    image_transport: compressed\n');
    await launchAndStop('SIGTERM', [`params_file:=${params}`, 'gbp_image:=false', 'compressed:=false'], async (fq) => {
      assert.match(ros2(['param', 'get', fq, 'gbp_image.enabled']).out, /Boolean value is: False/);
      assert.match(ros2(['param', 'get', fq, 'image_transport']).out, /String value is: raw/);
      assert.match(ros2(['param', 'get', fq, 'debug_image.force']).out, /Boolean value is: True/, 'not given: the params file decides');
    });
  });

  test('SIGTERM to ros2 launch alone (a supervisor): the orphaned node shuts down cleanly within 2 s', async () => {
    const name = `fc_launch_orphan_${process.pid}`;
    // ros2 launch under a child subreaper (as under systemd or a container's init): the orphaned
    // node becomes its child, so its exit status and time are seen. It prints `exit PID CODE`.
    const reaper = [
      'import ctypes, os, subprocess, sys',
      'ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER',
      'launch = subprocess.Popen(sys.argv[1:])',
      'print(f"launch {launch.pid}", flush=True)',
      'while True:',
      '    try:',
      '        pid, status = os.waitpid(-1, 0)',
      '    except ChildProcessError:',
      '        break',
      '    print(f"exit {pid} {os.waitstatus_to_exitcode(status)}", flush=True)',
    ].join('\n');
    const proc = startProcess('python3', ['-c', reaper, 'ros2', 'launch', 'face_classification', 'face_classification.launch.py', `namespace:=${name}`, `models_directory:=${MODELS}`]);
    const exitOf = (pid: number): number | undefined => {
      const code = new RegExp(`^exit ${pid} (-?\\d+)$`, 'm').exec(proc.output())?.[1];
      return code === undefined ? undefined : Number(code);
    };
    let nodePid: number | undefined;
    try {
      assert.ok(await waitFor(() => /node running/.test(proc.output()), 120_000), proc.output());
      const launchPid = Number(/^launch (\d+)$/m.exec(proc.output())?.[1]);
      nodePid = Number(processesWith(name).find((line) => line.includes('main.js'))?.split(' ')[0]);
      assert.ok(launchPid > 0 && nodePid > 0, `launch ${launchPid}, node ${nodePid}: ${processesWith(name).join('; ')}`);
      process.kill(launchPid, 'SIGTERM');
      assert.ok(await waitFor(() => exitOf(launchPid) !== undefined, 30_000), 'ros2 launch exits on SIGTERM');
      const launchGone = Date.now();
      const ended = await waitFor(() => exitOf(nodePid!) !== undefined, 5000);
      const ms = Date.now() - launchGone;
      assert.ok(ended, `the node still runs 5 s after ros2 launch ended: ${processesWith(name).join('; ')}`);
      assert.equal(exitOf(nodePid), 0, 'a clean exit');
      assert.ok(ms < 2000, `ended ${ms} ms after the launch`);
      assert.deepEqual(processesWith(name).filter((line) => !line.includes('python3 -c')), [], 'no process left behind');
    } finally {
      if (nodePid && exitOf(nodePid) === undefined) {
        try {
          process.kill(nodePid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await proc.stop();
    }
  });

  test('Ctrl-C (SIGINT to the group) on ros2 launch of the lifecycle node leaves no process', async () => {
    await launchAndStop('SIGINT', ['lifecycle:=true'], async (fq) => {
      assert.ok(await waitFor(() => /active \[3\]/.test(ros2(['lifecycle', 'get', fq]).out), 60_000), 'auto-activated');
    });
  });
});

describe('the install space (ROS 2)', { skip }, () => {
  test('holds the compiled node and only the node_modules that run', () => {
    const share = path.join(packagePrefix()!, 'share', 'face_classification');
    const main = path.join(share, 'dist', 'src', 'ros', 'main.js');
    assert.ok(fs.existsSync(main));
    assert.ok(!fs.realpathSync(main).startsWith(path.join(repoRoot, 'dist')), 'not compiled into the source tree');
    assert.ok(!fs.existsSync(path.join(share, 'node_modules', 'typescript')), 'no dev dependency');
    assert.ok(fs.existsSync(path.join(share, 'node_modules', 'rclnodejs', 'package.json')));
    assert.ok(!fs.existsSync(path.join(share, 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.js.map')), 'no source maps');
  });
});
