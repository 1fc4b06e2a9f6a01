/**
 * The managed (lifecycle) variant: configure loads the models and creates the publishers, activate
 * subscribes, deactivate stops taking frames, cleanup frees models and publishers, shutdown frees all.
 * `ros2 lifecycle set <node> configure` etc., or the launch file's auto-start, drive it.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { FacePipeline } from '../pipeline/pipeline.js';
import { FaceClassificationCore } from './node.js';
import type { ChangeStateRequest, RclLifecycleNode, Rclnodejs } from './runtime/rclnodejs_api.js';

/** lifecycle_msgs/msg/Transition and State ids. */
const TRANSITION_CONFIGURE = 1;
const STATE_UNCONFIGURED = 1;

type Prepared = { ok: true; pipeline: FacePipeline } | { ok: false; reason: string };

/** Wire the lifecycle transitions of `node` (created by the caller) to a new core; returns the core. */
export function startLifecycleNode(rcl: Rclnodejs, node: RclLifecycleNode, log: Logger): FaceClassificationCore {
  const core = new FaceClassificationCore(rcl, node, log);
  const { SUCCESS, FAILURE } = rcl.lifecycle.CallbackReturnCode;
  let prepared: Prepared | undefined;

  // rclnodejs runs transition callbacks synchronously, but loading models is asynchronous. The
  // change_state handler is wrapped so that a configure request first loads the models (the caller
  // waits for the service answer meanwhile), then runs the transition, whose callback only commits.
  const changeState = node._onChangeState.bind(node);
  node._onChangeState = async (request: ChangeStateRequest, response: object) => {
    const { id, label } = request.transition;
    if ((id === TRANSITION_CONFIGURE || label === 'configure') && node.currentState.id === STATE_UNCONFIGURED) {
      log.info('configuring: loading models');
      prepared = await core.load().then(
        (pipeline): Prepared => ({ ok: true, pipeline }),
        (error: unknown): Prepared => ({ ok: false, reason: errorMessage(error) }),
      );
    }
    return changeState(request, response);
  };

  node.registerOnConfigure(() => {
    if (!prepared) {
      log.error('configure: models were not loaded (use the ~/change_state service, e.g. `ros2 lifecycle set`)');
      return FAILURE;
    }
    const outcome = prepared;
    prepared = undefined;
    if (!outcome.ok) {
      log.error({ reason: outcome.reason }, 'configure failed');
      // Nothing half-made stays behind: no pipeline, no publishers; /diagnostics says why.
      core.failure = `configure failed: ${outcome.reason}`;
      return FAILURE;
    }
    core.setPipeline(outcome.pipeline);
    core.createOutputs(node);
    log.info('configured');
    return SUCCESS;
  });
  node.registerOnActivate(() => {
    core.activate();
    log.info('activated');
    return SUCCESS;
  });
  node.registerOnDeactivate(() => {
    core.deactivate();
    log.info('deactivated');
    return SUCCESS;
  });
  node.registerOnCleanup(() => {
    core.cleanup();
    log.info('cleaned up');
    return SUCCESS;
  });
  node.registerOnShutdown(() => {
    core.cleanup();
    core.finalized = true;
    log.info('shut down');
    return SUCCESS;
  });
  node.registerOnError(() => {
    core.cleanup();
    log.error('lifecycle error: models freed, back to unconfigured');
    return SUCCESS;
  });
  log.info({ node: node.getFullyQualifiedName() }, 'lifecycle node waiting for configure');
  return core;
}
