/**
 * `npm run bench:ros` (ROS 2 sourced): the node in a real ROS 2 graph. Starts the node and a camera
 * (camera.ts) as separate processes, subscribes to ~/faces here, and after a warm-up measures for a
 * while: the answer rate, latency from each image's header stamp to its answer's arrival here, the
 * node process's CPU (utime + stime from /proc) and RSS, and what the node reports in /diagnostics.
 * Prints a summary, then one JSON line. Settings by flags: --seconds S (20), --warmup S (8),
 * --rate HZ (30), --size WxH (640x480), --faces K (1), --param key:=value (repeatable, to the node),
 * --node-script FILE (another build's dist/src/ros/main.js, to measure an older version the same way),
 * --pan (the camera pans, so no part of the picture stays still).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot, sharedDir } from '../../paths.js';
import { percentiles, round2 } from '../stats.js';
import { loadRclnodejs } from '../../ros/runtime/load_rclnodejs.js';
import { FACE_CLASSIFICATION_ARRAY_TYPE } from '../../messages/face_classification.js';
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
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const [width, height] = values.size!.split('x').map(Number) as [number, number];
const NS = '/bench';
const FACES_TOPIC = `${NS}/face_classification_node/faces`;

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

async function main(): Promise<void> {
  const shared = sharedDir();
  if (!shared) throw new Error('bench:ros needs ../shared (test photos and models) beside the checkout, or FACE_CLASSIFICATION_SHARED');
  const rcl = loadRclnodejs();
  await rcl.init();
  const params = ['-p', `models.directory:=${path.join(shared, 'models')}`, ...(values.param ?? []).flatMap((p) => ['-p', p])];
  const nodeProcess = start(values['node-script'] ? path.resolve(values['node-script']) : path.join('ros', 'main.js'), ['--ros-args', '-r', `__ns:=${NS}`, '-r', `image:=${NS}/camera/image`, ...params], { ...nodeEnvironment(), FACE_CLASSIFICATION_LOG_LEVEL: 'warn' });
  const camera = start(path.join('bench', 'ros', 'camera.js'), ['--ros-args', '-r', `__ns:=${NS}`], {
    BENCH_WIDTH: String(width), BENCH_HEIGHT: String(height), BENCH_RATE_HZ: values.rate!, BENCH_FACES: values.faces!, BENCH_PAN: values.pan ? '1' : '0', BENCH_PHOTOS: path.join(shared, 'testdata', 'photos'),
  });
  const stop = (): void => {
    for (const child of [camera, nodeProcess]) if (child.exitCode === null) child.kill('SIGINT');
  };
  process.once('SIGINT', () => {
    stop();
    process.exit(130);
  });

  const node = new rcl.Node('bench_subscriber');
  const arrivals: { at: number; latencyMs: number; faces: number }[] = [];
  let diagnostics: Record<string, string> = {};
  node.createSubscription(FACE_CLASSIFICATION_ARRAY_TYPE, FACES_TOPIC, { enableTypedArray: true }, (message) => {
    const at = Date.now();
    const m = message as { header: { stamp: Stamp }; faces: unknown[] };
    arrivals.push({ at, latencyMs: at - (m.header.stamp.sec * 1000 + m.header.stamp.nanosec / 1e6), faces: m.faces.length });
  });
  node.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', {}, (message) => {
    const status = (message as { status: { name: string; values: { key: string; value: string }[] }[] }).status.find((s) => s.name.includes(`${NS}/face_classification_node`));
    if (status) diagnostics = Object.fromEntries(status.values.map((v) => [v.key, v.value]));
  });
  node.spin();

  // Wait for the first answer (model loading, backend warm-up), then the warm-up, then measure.
  const deadline = Date.now() + 180_000;
  while (arrivals.length === 0 && Date.now() < deadline && nodeProcess.exitCode === null) await sleep(200);
  if (arrivals.length === 0) {
    stop();
    throw new Error('no answer from the node on ' + FACES_TOPIC);
  }
  await sleep(warmup * 1000);
  const from = Date.now();
  const before = procUsage(nodeProcess.pid!);
  const loadBefore = os.loadavg()[0]!;
  await sleep(seconds * 1000);
  const after = procUsage(nodeProcess.pid!);
  const to = Date.now();
  const window = arrivals.filter((a) => a.at >= from && a.at < to);
  const latency = percentiles(window.map((a) => a.latencyMs));
  const report = {
    setup: { size: `${width}x${height}`, camera_hz: Number(values.rate), faces: Number(values.faces), camera: values.pan ? 'pan' : 'still', seconds, warmup, cpus: os.cpus().length, load_avg_1m: round2(loadBefore), node_malloc_arena_max: nodeEnvironment().MALLOC_ARENA_MAX, params: values.param },
    answers_hz: round2((window.length / (to - from)) * 1000),
    latency_ms: { p50: latency.p50_ms, p95: latency.p95_ms, p99: latency.p99_ms, max: latency.max_ms },
    node_cpu_percent_of_one_core: round2(((after.cpuMs - before.cpuMs) / (to - from)) * 100),
    node_rss_mb: Math.round(after.rssMb),
    faces_per_answer: round2(window.reduce((n, a) => n + a.faces, 0) / Math.max(1, window.length)),
    node_diagnostics: diagnostics,
  };
  process.stdout.write(
    `answers ${report.answers_hz} Hz for a ${report.setup.camera_hz} Hz ${report.setup.size} camera; stamp -> answer p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms; ` +
      `node CPU ${report.node_cpu_percent_of_one_core}% of one core, RSS ${report.node_rss_mb} MB; load ${report.setup.load_avg_1m}\n`,
  );
  process.stdout.write(`${JSON.stringify(report)}\n`);
  stop();
  node.destroy();
  rcl.shutdown();
  await sleep(500);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ros: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
