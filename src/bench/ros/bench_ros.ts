/**
 * `npm run bench:ros` (ROS 2 sourced): the node in a real ROS 2 graph. Starts the node and a camera
 * (camera.ts) as separate processes, subscribes to ~/faces here, and after a warm-up measures for a
 * while: the answer rate, latency from each image's header stamp to its answer's arrival here, the
 * node process's CPU (utime + stime from /proc) and RSS, and what the node reports in /diagnostics.
 * Prints a summary, then one JSON line. Settings by flags: --seconds S (20), --warmup S (8),
 * --rate HZ (30), --size WxH (640x480), --faces K (1), --param key:=value (repeatable, to the node),
 * --node-script FILE (another build's dist/src/ros/main.js, to measure an older version the same way),
 * --pan (the camera pans, so no part of the picture stays still), --cameras N (1): N cameras, each
 * with its own node in its own namespace (/bench/cam0, /bench/cam1, ...: what the launch file's
 * cameras:= starts, one process per camera), reported per camera and in total; --classify-hz R (0):
 * meanwhile call each node's ~/classify with the empty request R times a second (the newest camera
 * frame through the photo path) and report its round trip beside the camera's latency.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot, sharedDir } from '../../paths.js';
import { percentiles, round2 } from '../stats.js';
import { loadRclnodejs } from '../../ros/runtime/load_rclnodejs.js';
import type { RclClient } from '../../ros/runtime/rclnodejs_api.js';
import { FACE_CLASSIFICATION_ARRAY_TYPE } from '../../messages/face_classification.js';
import { CLASSIFY_SERVICE_TYPE, type ClassifyResponse } from '../../ros/services/classify_request.js';
import { nodeEnvironment } from './node_environment.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '8' },
    rate: { type: 'string', default: '30' },
    size: { type: 'string', default: '640x480' },
    faces: { type: 'string', default: '1' },
    param: { type: 'string', multiple: true, default: [] },
    'node-script': { type: 'string' },
    pan: { type: 'boolean', default: false },
    cameras: { type: 'string', default: '1' },
    'classify-hz': { type: 'string', default: '0' },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const [width, height] = values.size!.split('x').map(Number) as [number, number];
const cameraCount = Number(values.cameras);
if (!Number.isInteger(cameraCount) || cameraCount < 1 || cameraCount > 8) throw new Error(`--cameras ${values.cameras}: a whole number from 1 to 8`);
/** One camera: the node's namespace as before; several: one namespace each, as the launch file's cameras:= gives them. */
const NAMESPACES = cameraCount === 1 ? ['/bench'] : Array.from({ length: cameraCount }, (_, i) => `/bench/cam${i}`);

interface Stamp {
  sec: number;
  nanosec: number;
}

/** utime + stime of a process in milliseconds, and its RSS in MB, from /proc. */
function procUsage(pid: number): { cpuMs: number; rssMb: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at index 2 of this split.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are in clock ticks: USER_HZ, 100 on Linux.
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuMs: (ticks * 1000) / 100, rssMb: (rssPages * 4096) / 1e6 };
}

function start(script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const file = path.isAbsolute(script) ? script : path.join(packageRoot, 'dist', 'src', script);
  const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${path.basename(script, '.js')}] ${d}`));
  return child;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One camera, its node, and what arrived from it. */
interface Rig {
  ns: string;
  node: ChildProcess;
  camera: ChildProcess;
  arrivals: { at: number; latencyMs: number; faces: number }[];
  diagnostics: Record<string, string>;
  /** ~/classify calls (with --classify-hz): when sent, round trip, answered with success. */
  calls: { at: number; ms: number; success: boolean }[];
}

const classifyHz = Number(values['classify-hz']);
if (!(classifyHz >= 0 && classifyHz <= 30)) throw new Error(`--classify-hz ${values['classify-hz']}: from 0 (off) to 30`);

async function main(): Promise<void> {
  const shared = sharedDir();
  if (!shared) throw new Error('bench:ros needs ../shared (test photos and models) beside the checkout, or FACE_CLASSIFICATION_SHARED');
  const rcl = loadRclnodejs();
  await rcl.init();
  const params = ['-p', `models.directory:=${path.join(shared, 'models')}`, ...(values.param ?? []).flatMap((p) => ['-p', p])];
  const nodeScript = values['node-script'] ? path.resolve(values['node-script']) : path.join('ros', 'main.js');
  const rigs: Rig[] = NAMESPACES.map((ns) => ({
    ns,
    node: start(nodeScript, ['--ros-args', '-r', `__ns:=${ns}`, '-r', `image:=${ns}/camera/image`, ...params], { ...nodeEnvironment(), FACE_CLASSIFICATION_LOG_LEVEL: 'warn' }),
    camera: start(path.join('bench', 'ros', 'camera.js'), ['--ros-args', '-r', `__ns:=${ns}`], {
      BENCH_WIDTH: String(width), BENCH_HEIGHT: String(height), BENCH_RATE_HZ: values.rate!, BENCH_FACES: values.faces!, BENCH_PAN: values.pan ? '1' : '0', BENCH_PHOTOS: path.join(shared, 'testdata', 'photos'),
    }),
    arrivals: [],
    diagnostics: {},
    calls: [],
  }));
  const stop = (): void => {
    for (const rig of rigs) for (const child of [rig.camera, rig.node]) if (child.exitCode === null) child.kill('SIGINT');
  };
  process.once('SIGINT', () => {
    stop();
    process.exit(130);
  });

  const node = new rcl.Node('bench_subscriber');
  for (const rig of rigs) {
    node.createSubscription(FACE_CLASSIFICATION_ARRAY_TYPE, `${rig.ns}/face_classification_node/faces`, { enableTypedArray: true }, (message) => {
      const at = Date.now();
      const m = message as { header: { stamp: Stamp }; faces: unknown[] };
      rig.arrivals.push({ at, latencyMs: at - (m.header.stamp.sec * 1000 + m.header.stamp.nanosec / 1e6), faces: m.faces.length });
    });
  }
  node.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', {}, (message) => {
    for (const status of (message as { status: { name: string; values: { key: string; value: string }[] }[] }).status) {
      const rig = rigs.find((r) => status.name.endsWith(`${r.ns}/face_classification_node`));
      if (rig) rig.diagnostics = Object.fromEntries(status.values.map((v) => [v.key, v.value]));
    }
  });
  node.spin();
  let calling = true;
  const callers = classifyHz > 0 ? rigs.map((rig) => callRepeatedly(node.createClient(CLASSIFY_SERVICE_TYPE, `${rig.ns}/face_classification_node/classify`), rig, () => calling)) : [];

  // Wait for every node's first answer (model loading, backend warm-up), then the warm-up, then measure.
  const deadline = Date.now() + 180_000 * rigs.length;
  while (rigs.some((r) => r.arrivals.length === 0) && Date.now() < deadline && rigs.every((r) => r.node.exitCode === null)) await sleep(200);
  const silent = rigs.filter((r) => r.arrivals.length === 0);
  if (silent.length) {
    stop();
    throw new Error(`no answer from the node on ${silent.map((r) => `${r.ns}/face_classification_node/faces`).join(', ')}`);
  }
  await sleep(warmup * 1000);
  const from = Date.now();
  const before = rigs.map((r) => procUsage(r.node.pid!));
  const loadBefore = os.loadavg()[0]!;
  await sleep(seconds * 1000);
  const after = rigs.map((r) => procUsage(r.node.pid!));
  const to = Date.now();
  calling = false;
  await Promise.all(callers);
  const perCamera = rigs.map((rig, i) => {
    const window = rig.arrivals.filter((a) => a.at >= from && a.at < to);
    const latency = percentiles(window.map((a) => a.latencyMs));
    return {
      namespace: rig.ns,
      answers_hz: round2((window.length / (to - from)) * 1000),
      latency_ms: { p50: latency.p50_ms, p95: latency.p95_ms, p99: latency.p99_ms, max: latency.max_ms },
      node_cpu_percent_of_one_core: round2(((after[i]!.cpuMs - before[i]!.cpuMs) / (to - from)) * 100),
      node_rss_mb: Math.round(after[i]!.rssMb),
      faces_per_answer: round2(window.reduce((n, a) => n + a.faces, 0) / Math.max(1, window.length)),
      latencies: window.map((a) => a.latencyMs),
      ...(classifyHz > 0 ? { classify: classifySummary(rig.calls.filter((c) => c.at >= from && c.at < to)) } : {}),
      node_diagnostics: rig.diagnostics,
    };
  });
  const all = percentiles(perCamera.flatMap((c) => c.latencies));
  const setup = { size: `${width}x${height}`, camera_hz: Number(values.rate), cameras: rigs.length, classify_hz: classifyHz, faces: Number(values.faces), camera: values.pan ? 'pan' : 'still', seconds, warmup, cpus: os.cpus().length, load_avg_1m: round2(loadBefore), node_malloc_arena_max: nodeEnvironment().MALLOC_ARENA_MAX, params: values.param };
  const cameras = perCamera.map(({ latencies, ...rest }) => rest);
  const total = {
    answers_hz: round2(cameras.reduce((n, c) => n + c.answers_hz, 0)),
    latency_ms: { p50: all.p50_ms, p95: all.p95_ms, p99: all.p99_ms, max: all.max_ms },
    node_cpu_percent_of_one_core: round2(cameras.reduce((n, c) => n + c.node_cpu_percent_of_one_core, 0)),
    node_rss_mb: cameras.reduce((n, c) => n + c.node_rss_mb, 0),
  };
  // One camera: the report as before (its fields at the top level); several: per camera and in total.
  const report = rigs.length === 1 ? { setup, ...cameras[0]!, namespace: undefined } : { setup, cameras, total };
  for (const c of cameras) {
    process.stdout.write(
      `${rigs.length > 1 ? `${c.namespace}: ` : ''}answers ${c.answers_hz} Hz for a ${setup.camera_hz} Hz ${setup.size} camera; stamp -> answer p50 ${c.latency_ms.p50} ms, p99 ${c.latency_ms.p99} ms; ` +
        `node CPU ${c.node_cpu_percent_of_one_core}% of one core, RSS ${c.node_rss_mb} MB; load ${setup.load_avg_1m}\n`,
    );
    if (c.classify) process.stdout.write(`  ~/classify at ${classifyHz} Hz: ${c.classify.succeeded}/${c.classify.calls} answered, round trip p50 ${c.classify.round_trip_ms.p50} ms, p99 ${c.classify.round_trip_ms.p99} ms\n`);
  }
  if (rigs.length > 1) {
    process.stdout.write(`total (${rigs.length} cameras): answers ${total.answers_hz} Hz; stamp -> answer p50 ${total.latency_ms.p50} ms, p99 ${total.latency_ms.p99} ms; nodes CPU ${total.node_cpu_percent_of_one_core}% of one core, RSS ${total.node_rss_mb} MB\n`);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  stop();
  node.destroy();
  rcl.shutdown();
  await sleep(500);
  process.exit(0);
}

/** Call ~/classify (the empty request) every 1/classifyHz s until `more` says stop; one call at a time. */
async function callRepeatedly(client: RclClient, rig: Rig, more: () => boolean): Promise<void> {
  await client.waitForService(180_000);
  const period = 1000 / classifyHz;
  while (more()) {
    const at = Date.now();
    try {
      const response = (await client.sendRequestAsync({}, { timeout: 10_000 })) as ClassifyResponse;
      rig.calls.push({ at, ms: Date.now() - at, success: response.success });
    } catch {
      rig.calls.push({ at, ms: Date.now() - at, success: false });
    }
    await sleep(Math.max(0, period - (Date.now() - at)));
  }
}

function classifySummary(calls: Rig['calls']): { calls: number; succeeded: number; round_trip_ms: { p50: number; p95: number; p99: number; max: number } } {
  const trip = percentiles(calls.map((c) => c.ms));
  return { calls: calls.length, succeeded: calls.filter((c) => c.success).length, round_trip_ms: { p50: trip.p50_ms, p95: trip.p95_ms, p99: trip.p99_ms, max: trip.max_ms } };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ros: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
