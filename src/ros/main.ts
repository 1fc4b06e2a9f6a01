/**
 * The ROS 2 entry point (`ros2 run face_classification face_classification_node [--lifecycle]`): with
 * the ROS benchmark's processes, the only code that loads rclnodejs (runtime/load_rclnodejs.ts), so the
 * library, the CLI and the tests never need ROS. Checks that rclnodejs is built and knows this
 * package's messages, then starts the plain or the lifecycle node.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { packageRoot } from '../paths.js';
import { readParamsFile, rosArgSources } from '../config/ros_params.js';
import { createRosLog } from './runtime/ros_log.js';
import { FaceClassificationCore } from './node.js';
import { startLifecycleNode } from './lifecycle_node.js';
import { checkInterfaces, loadRclnodejs } from './runtime/load_rclnodejs.js';
import { releaseTerminal, untilShutdown } from './runtime/shutdown.js';
import { acceptIntegerLists, nodeOptions, safeSetParameterServices, useAbsoluteParameterEvents } from './runtime/rclnodejs_fixes.js';
import type { RclNode, Rclnodejs } from './runtime/rclnodejs_api.js';

export const NODE_NAME = 'face_classification_node';

/** rclnodejs's folder of generated message code, when it has one yet (none before the first start). */
function generatedCodeFolder(): string | undefined {
  try {
    const folder = path.join(path.dirname(createRequire(import.meta.url).resolve('rclnodejs/package.json')), 'generated');
    return fs.existsSync(folder) ? folder : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const { log, attach } = createRosLog();
  let rcl: Rclnodejs | undefined;
  let node: RclNode | undefined;
  let core: FaceClassificationCore | undefined;
  // Signals are handled from the start: Ctrl-C while the models load ends the node cleanly too.
  const stopped = untilShutdown({
    log,
    cleanup: () => {
      core?.destroy();
      node?.destroy();
      if (rcl && !rcl.isShutdown()) rcl.shutdown();
    },
  });
  const start = async (): Promise<boolean> => {
    try {
      // Parameter files are read here first, so a broken one is named with its reason (rcl's own
      // parser would fail inside rclnodejs.init with a less helpful message).
      for (const source of rosArgSources(process.argv)) if (source.kind === 'file') readParamsFile(source.path);
      rcl = loadRclnodejs();
      // Its SIGINT handler shuts every context down before ours can destroy the node: ours does it all.
      rcl.removeSignalHandlers?.();
      if (!generatedCodeFolder()) log.info('first start: rclnodejs generates JavaScript for every ROS message type on AMENT_PREFIX_PATH (about 10 s, once)');
      await rcl.init();
      checkInterfaces(rcl);
      acceptIntegerLists(rcl);
    } catch (error) {
      log.fatal({ reason: errorMessage(error) }, 'cannot start the ROS node');
      return false;
    }
    const lifecycle = rcl.removeROSArgs(process.argv.slice(2)).includes('--lifecycle');
    try {
      if (lifecycle) {
        const managed = new rcl.lifecycle.LifecycleNode(NODE_NAME, undefined, undefined, nodeOptions());
        node = managed;
        prepare(rcl, managed, attach);
        core = startLifecycleNode(rcl, managed, log);
      } else {
        node = new rcl.Node(NODE_NAME, undefined, undefined, nodeOptions());
        prepare(rcl, node, attach);
        const plain = new FaceClassificationCore(rcl, node, log);
        core = plain;
        // A bad model file stops start-up here, with the error naming the file: never a half-working node.
        plain.setPipeline(await plain.load());
        plain.createOutputs(undefined);
        plain.activate();
      }
    } catch (error) {
      log.fatal({ reason: errorMessage(error) }, 'start-up failed');
      try {
        node?.destroy();
        rcl.shutdown();
      } catch {
        // Exiting anyway.
      }
      return false;
    }
    node.spin();
    log.info({ node: node.getFullyQualifiedName(), lifecycle, root: packageRoot }, 'node running');
    return true;
  };
  const first = await Promise.race([start().then((ok) => (ok ? 'running' : 'failed')), stopped.then(() => 'stopped')]);
  if (first === 'failed') return 1;
  return stopped;
}

/** Logging to ROS, and the rclnodejs workarounds, before anything else is created on the node. */
function prepare(rcl: Rclnodejs, node: RclNode, attach: (logger: ReturnType<RclNode['getLogger']>) => void): void {
  attach(node.getLogger());
  useAbsoluteParameterEvents(node);
  safeSetParameterServices(rcl, node);
}

// Exit explicitly: native handles (OpenCV, TensorFlow) may keep the event loop alive after shutdown.
main().then(
  (code) => {
    releaseTerminal();
    process.exit(code);
  },
  (error: unknown) => {
    try {
      process.stderr.write(`face_classification_node: ${errorMessage(error)}\n`);
    } catch {
      // stderr gone
    }
    releaseTerminal();
    process.exit(1);
  },
);
