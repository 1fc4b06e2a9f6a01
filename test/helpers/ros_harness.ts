/**
 * What the ROS integration tests share: deciding whether ROS 2 is usable (else they skip, loudly),
 * starting node processes in their own process group and always stopping them, and a small
 * in-process rclnodejs client that publishes images and waits for answers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RclNode, RclPublisher, RclQoS, RclSubscription, Rclnodejs } from '../../src/ros/runtime/rclnodejs_api.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The shared test data and weights (../shared beside the checkout, or FACE_CLASSIFICATION_SHARED). */
export const sharedRoot = process.env.FACE_CLASSIFICATION_SHARED ?? path.resolve(repoRoot, '..', 'shared');
export const astronautPng = path.join(sharedRoot, 'testdata', 'photos', 'skimage_astronaut.png');

export interface RosAvailability {
  ok: boolean;
  reason: string;
  rcl?: Rclnodejs;
}

function findPackagePrefix(): string | undefined {
  return (process.env.AMENT_PREFIX_PATH ?? '')
    .split(':')
    .filter(Boolean)
    .find((prefix) => fs.existsSync(path.join(prefix, 'share', 'ament_index', 'resource_index', 'packages', 'face_classification')));
}

/**
 * ROS 2 is usable when it is sourced, the face_classification package is built and sourced, the
 * ros2 CLI runs, rclnodejs loads and has (or can generate) this package's message code.
 */
export async function rosAvailability(): Promise<RosAvailability> {
  if (!process.env.AMENT_PREFIX_PATH) return { ok: false, reason: 'ROS 2 is not sourced (AMENT_PREFIX_PATH is empty)' };
  if (!findPackagePrefix()) return { ok: false, reason: 'the face_classification package is not on AMENT_PREFIX_PATH: colcon build it in a workspace and source install/setup.bash' };
  if (!fs.existsSync(astronautPng)) return { ok: false, reason: `test photo ${astronautPng} is missing` };
  const ros2 = spawnSync('ros2', ['pkg', 'prefix', 'face_classification'], { encoding: 'utf8', timeout: 30_000 });
  if (ros2.status !== 0) return { ok: false, reason: `the ros2 CLI does not work (${(ros2.stderr || ros2.error?.message || '').trim().split('\n').pop()})` };
  let rcl: Rclnodejs;
  try {
    rcl = createRequire(import.meta.url)('rclnodejs') as Rclnodejs;
  } catch (error) {
    return { ok: false, reason: `rclnodejs does not load (${String(error).split('\n')[0]}): run npm install with ROS sourced` };
  }
  try {
    await rcl.init();
  } catch (error) {
    return { ok: false, reason: `rclnodejs.init failed: ${String(error).split('\n')[0]}` };
  }
  try {
    rcl.require('face_classification/msg/FaceClassificationArray');
  } catch {
    // This checkout's rclnodejs was generated before the package was built: generate it now.
    const generator = createRequire(import.meta.url).resolve('rclnodejs/package.json');
    const run = spawnSync(process.execPath, [path.join(path.dirname(generator), 'scripts', 'generate_messages.cjs')], { encoding: 'utf8', timeout: 300_000 });
    rcl.shutdown();
    return { ok: false, reason: `rclnodejs had no face_classification messages; generated them now (exit ${run.status}): run the ROS tests again` };
  }
  return { ok: true, reason: '', rcl };
}

/** What a ROS graph test file runs with: the client library, or why its tests are skipped. */
export interface RosGraphFile {
  /** Loaded and initialised when `skip` is false. */
  rcl: Rclnodejs;
  skip: string | false;
}

/**
 * What every ROS graph test file starts with: a DDS domain of its own on loopback (the test graph
 * stays apart from anything else on the machine), whether ROS 2 runs here, and when not the loud
 * line and one skipped test named `title`, so that the runner's summary counts the skip (skipped
 * suites alone are not counted). `extraReason` adds the file's own condition: why it cannot run, or
 * undefined.
 */
export async function rosGraphFile(title: string, extraReason?: (rcl: Rclnodejs) => string | undefined): Promise<RosGraphFile> {
  process.env.ROS_DOMAIN_ID ??= String(100 + (process.pid % 100));
  process.env.ROS_LOCALHOST_ONLY = '1';
  const availability = await rosAvailability();
  const rcl = availability.rcl as Rclnodejs;
  const reason = availability.ok ? extraReason?.(rcl) : availability.reason;
  if (!reason) return { rcl, skip: false };
  // Initialised but not used (the file's own condition failed): shut down, as its skipped suites' hooks will not.
  if (availability.ok) rcl.shutdown();
  announceSkip(reason);
  const skip = `ROS 2 graph not testable here: ${reason}`;
  test(title, { skip }, () => undefined);
  return { rcl, skip };
}

/** The loud line shown when the ROS tests cannot run. */
export function announceSkip(reason: string): void {
  const line = '='.repeat(100);
  process.stdout.write(`\n${line}\n  ROS 2 INTEGRATION TESTS SKIPPED: ${reason}\n  (source ROS 2 and the workspace holding face_classification, then: npm run test:ros)\n${line}\n\n`);
}

export interface NodeProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Start a command in its own process group (ros2 run/launch fork); stop() ends the whole group. */
export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): NodeProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals): void => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  return {
    child,
    output: () => text,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGINT');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        signal('SIGKILL');
        await exited;
      }
    },
  };
}

/** Run a ros2 CLI command to completion; `out` is stdout and stderr together. */
export function ros2(args: string[], timeoutMs = 60_000): { status: number | null; out: string; stdout: string } {
  const run = spawnSync('ros2', args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: run.status, out: `${run.stdout ?? ''}${run.stderr ?? ''}`, stdout: run.stdout ?? '' };
}

/**
 * Run a ros2 CLI command without blocking this process's event loop (its in-process client keeps
 * publishing and receiving meanwhile); `out` is stdout and stderr together.
 */
export function ros2Async(args: string[], timeoutMs = 60_000): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('ros2', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Header and FaceClassificationArray fields the tests read. */
export interface StampedMsg {
  header: { stamp: { sec: number; nanosec: number }; frame_id: string };
}
export interface FacesMsg extends StampedMsg {
  faces: { emotion: string; gender: string; emotion_scores: ArrayLike<number>; box: { x_offset: number; y_offset: number; width: number; height: number } }[];
  emotion_classes: string[];
  latency: { sec: number; nanosec: number };
}
export interface ImageMsgIn extends StampedMsg {
  width: number;
  height: number;
  encoding: string;
}

/** An in-process test client: publish and collect messages. */
export class TestClient {
  readonly node: RclNode;
  private readonly received = new Map<string, StampedMsg[]>();
  private readonly subscriptions: RclSubscription[] = [];
  private readonly publishers = new Map<string, RclPublisher>();

  constructor(readonly rcl: Rclnodejs, name: string) {
    this.node = new rcl.Node(name);
    this.node.spin();
  }

  subscribe(type: string, topic: string, qos?: RclQoS): void {
    this.received.set(topic, []);
    this.subscriptions.push(this.node.createSubscription(type, topic, { enableTypedArray: true, ...(qos ? { qos } : {}) }, (msg) => this.received.get(topic)!.push(msg as StampedMsg)));
  }

  publisher(type: string, topic: string): RclPublisher {
    const key = `${type} ${topic}`;
    let publisher = this.publishers.get(key);
    if (!publisher) {
      publisher = this.node.createPublisher(type, topic);
      this.publishers.set(key, publisher);
    }
    return publisher;
  }

  /** Publish `message` every `everyMs` until a message on `topic` carries its stamp; undefined on timeout. */
  async exchange<T extends StampedMsg>(publisher: RclPublisher, message: StampedMsg & object, topic: string, timeoutMs: number, everyMs = 1000): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    const matches = (m: StampedMsg): boolean => m.header.stamp.sec === message.header.stamp.sec && m.header.stamp.nanosec === message.header.stamp.nanosec;
    while (Date.now() < deadline) {
      publisher.publish(message);
      const until = Math.min(deadline, Date.now() + everyMs);
      while (Date.now() < until) {
        const hit = this.received.get(topic)?.find(matches);
        if (hit) return hit as T;
        await sleep(50);
      }
    }
    return undefined;
  }

  messages<T extends StampedMsg>(topic: string): T[] {
    return (this.received.get(topic) ?? []) as T[];
  }

  destroy(): void {
    for (const subscription of this.subscriptions) this.node.destroySubscription(subscription);
    this.node.destroy();
  }
}

let stampCounter = 0;
/** A unique stamp per message so answers can be matched to their input. */
export function uniqueStamp(): { sec: number; nanosec: number } {
  stampCounter++;
  return { sec: 1_700_000_000 + stampCounter, nanosec: (process.pid * 1000 + stampCounter) % 1_000_000_000 };
}

/** The installed launcher of the node (a shell script that execs node): signals reach the node itself. */
export function installedLauncher(): string | undefined {
  const prefix = findPackagePrefix();
  return prefix && path.join(prefix, 'lib', 'face_classification', 'face_classification_node');
}

/** The package's install prefix (the workspace's install folder with a merged install). */
export function packagePrefix(): string | undefined {
  return findPackagePrefix();
}

/** Poll `check` every 100 ms until it returns a value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(100);
  }
}

/** diagnostic_msgs/DiagnosticArray as the tests read it. */
export interface DiagnosticArrayMsg extends StampedMsg {
  status: { level: number; name: string; message: string; values: { key: string; value: string }[] }[];
}

/** The statuses of node `fqn` received on /diagnostics so far, oldest first. */
export function statusesOf(client: TestClient, fqn: string): DiagnosticArrayMsg['status'] {
  return client
    .messages<DiagnosticArrayMsg>('/diagnostics')
    .flatMap((m) => m.status)
    .filter((s) => s.name === `face_classification: ${fqn}`);
}

export function statusValue(status: DiagnosticArrayMsg['status'][number] | undefined, key: string): string | undefined {
  return status?.values.find((v) => v.key === key)?.value;
}

/** Processes whose command line contains `text` (to find nodes left behind). */
export function processesWith(text: string): string[] {
  const run = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return run.stdout
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'))
    .map((line) => line.trim());
}
