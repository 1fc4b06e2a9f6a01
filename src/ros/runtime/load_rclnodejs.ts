/**
 * Loading rclnodejs: only the ROS entry points (the node's main.ts, the ROS benchmark's processes)
 * import this, so the library, the CLI and the tests never need ROS.
 */
import { createRequire } from 'node:module';
import { errorMessage } from '../../errors.js';
import { packageRoot } from '../../paths.js';
import { FACE_CLASSIFICATION_ARRAY_TYPE } from '../../messages/face_classification.js';
import type { Rclnodejs } from './rclnodejs_api.js';
import { CLASSIFY_SERVICE_TYPE } from '../services/classify_request.js';

/** Interfaces the node uses; each must have rclnodejs code generated. */
const REQUIRED_INTERFACES = [FACE_CLASSIFICATION_ARRAY_TYPE, CLASSIFY_SERVICE_TYPE, 'sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage', 'diagnostic_msgs/msg/DiagnosticArray', 'lifecycle_msgs/srv/ChangeState'];

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
