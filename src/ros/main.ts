/**
 * The ROS 2 entry point (`ros2 run face_classification face_classification_node [--lifecycle]`): with
 * the ROS benchmark's processes, the only code that loads rclnodejs (load_rclnodejs.ts), so the
 * library, the CLI and the tests never need ROS. Checks that rclnodejs is built and knows this
 * package's messages, then starts the plain or the lifecycle node.
 */
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { packageRoot } from '../paths.js';
import { createRosLog } from './ros_log.js';
import { FaceClassificationCore } from './node.js';
import { startLifecycleNode } from './lifecycle_node.js';
import { checkInterfaces, loadRclnodejs } from './load_rclnodejs.js';
import type { RclNode, Rclnodejs } from './rclnodejs_api.js';

export const NODE_NAME = 'face_classification_node';

async function main(): Promise<number> {
  const { log, attach } = createRosLog();
  let rcl: Rclnodejs;
  try {
    rcl = loadRclnodejs();
    await rcl.init();
    checkInterfaces(rcl);
  } catch (error) {
    log.fatal({ reason: errorMessage(error) }, 'cannot start the ROS node');
    return 1;
  }
  const args = rcl.removeROSArgs(process.argv.slice(2));
  const lifecycle = args.includes('--lifecycle');
  let node: RclNode;
  let core: FaceClassificationCore;
  try {
    if (lifecycle) {
      ({ node, core } = startLifecycleNode(rcl, NODE_NAME, log));
      attach(node.getLogger());
    } else {
      node = new rcl.Node(NODE_NAME);
      attach(node.getLogger());
      core = new FaceClassificationCore(rcl, node, log);
      // A bad model file stops start-up here, with the error naming the file.
      core.setPipeline(await core.load());
      core.createOutputs(undefined);
      core.activate();
    }
  } catch (error) {
    log.fatal({ reason: errorMessage(error) }, 'start-up failed');
    rcl.shutdown();
    return 1;
  }
  node.spin();
  log.info({ node: node.getFullyQualifiedName(), lifecycle, package: path.basename(packageRoot) }, 'node running');

  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      try {
        core.destroy();
        node.destroy();
        if (!rcl.isShutdown()) rcl.shutdown();
      } catch (error) {
        log.warn({ reason: errorMessage(error) }, 'unclean shutdown');
      }
      resolve(0);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

// Exit explicitly: native handles (OpenCV, TensorFlow) may keep the event loop alive after shutdown.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`face_classification_node: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
