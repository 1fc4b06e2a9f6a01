/**
 * The ROS 2 entry point (`ros2 run face_classification face_classification_node [--lifecycle]`): the
 * only module that loads rclnodejs, so the library, the CLI and the tests never need ROS. Checks that
 * rclnodejs is built and knows this package's messages, then starts the plain or the lifecycle node.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { packageRoot } from '../paths.js';
import { createRosLog } from './ros_log.js';
import { FaceClassificationCore } from './node.js';
import { startLifecycleNode } from './lifecycle_node.js';
import { FACE_CLASSIFICATION_ARRAY_TYPE } from './messages.js';
import type { RclNode, Rclnodejs } from './rclnodejs_api.js';

export const NODE_NAME = 'face_classification_node';

/** Interfaces the node uses; each must have rclnodejs code generated. */
const REQUIRED_INTERFACES = [FACE_CLASSIFICATION_ARRAY_TYPE, 'sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage', 'diagnostic_msgs/msg/DiagnosticArray', 'lifecycle_msgs/srv/ChangeState'];

const GENERATE_HINT =
  'source the workspace (source install/setup.bash) and run `ros2 run face_classification generate_messages` ' +
  `(or \`npx generate-ros-messages\` in ${packageRoot})`;

export function loadRclnodejs(): Rclnodejs {
  if (!process.env.AMENT_PREFIX_PATH) throw new Error('ROS 2 is not sourced (AMENT_PREFIX_PATH is empty): source /opt/ros/<distro>/setup.bash and the workspace first');
  const require = createRequire(import.meta.url);
  try {
    return require('rclnodejs') as Rclnodejs;
  } catch (error) {
    throw new Error(
      `rclnodejs cannot be loaded (${errorMessage(error).split('\n')[0]}); it is an optional dependency built only where ROS 2 is sourced: ` +
        `source ROS 2, run \`npm install\` in ${packageRoot} and rebuild the workspace (colcon build)`,
    );
  }
}

/** Throws with what to run when rclnodejs has no generated code for an interface the node uses. */
export function checkInterfaces(rcl: Rclnodejs): void {
  const missing = REQUIRED_INTERFACES.filter((name) => {
    try {
      rcl.require(name);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new Error(`rclnodejs has no message code for ${missing.join(', ')}: ${GENERATE_HINT}`);
}

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
