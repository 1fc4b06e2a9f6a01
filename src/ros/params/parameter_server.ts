/**
 * Declares every setting of SCHEMA and ROS_SCHEMA as a ROS parameter (values from the params file or
 * -p overrides, else the schema default) and validates set-parameters requests. The rules are in the
 * pure parameters.ts; this file is the rclnodejs wiring.
 */
import { defaultConfig, type Config } from '../../config/schema.js';
import { defaultRosConfig, type RosConfig } from '../../config/ros_schema.js';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../log.js';
import {
  PARAMETER_KEYS,
  PARAMETER_SETTINGS,
  applyChanges,
  descriptorMessage,
  parameterType,
  toParameterValue,
  validateParameterChanges,
  type ParameterKey,
  type ParameterValue,
} from './parameters.js';
import type { RclNode, Rclnodejs } from '../runtime/rclnodejs_api.js';

export interface Settings {
  config: Config;
  ros: RosConfig;
}

export type ChangeListener = (next: Settings, changed: Partial<Record<ParameterKey, ParameterValue>>) => void;

/**
 * Declare all parameters with their start-up values (from startupValues(): the node's parameter
 * files and -p rules, already checked; the schema default otherwise) and return the settings.
 * rclnodejs's own lookup of overrides is bypassed (ignoreOverride): it knows only some section
 * forms, and its type check aborts on an integer list for a double list.
 */
export function declareParameters(rcl: Rclnodejs, node: RclNode, startup: Partial<Record<ParameterKey, ParameterValue>> = {}): Settings {
  for (const key of PARAMETER_KEYS) {
    const setting = PARAMETER_SETTINGS[key];
    const message = descriptorMessage(key);
    const descriptor = new rcl.ParameterDescriptor(key, parameterType(setting), message.description, message.read_only);
    // rclnodejs (1.x-2.x) answers describe_parameters without the ranges (it reads a field it never
    // sets), so the descriptor answers with the message built from the schema.
    descriptor.toMessage = () => descriptorMessage(key);
    // Its own range check rejects with an unreadable reason; the set callback below checks the same
    // ranges and says what is wrong.
    descriptor.validateParameter = () => undefined;
    const value = startup[key] ?? (setting.default as ParameterValue);
    if (!node.hasParameter(key)) node.declareParameter(new rcl.Parameter(key, parameterType(setting), toParameterValue(key, value)), descriptor, true);
  }
  const declared = PARAMETER_KEYS.map((key) => {
    const p = node.getParameter(key);
    return { name: key, type: p.type, value: p.value };
  });
  const result = validateParameterChanges(declared, { startup: true });
  if (!result.successful) throw new ConfigError('parameters', result.reason);
  return applyChanges(defaultConfig(), defaultRosConfig(), result.changes);
}

/**
 * Accept or reject set-parameters requests; accepted changes go to `listener` before ROS stores
 * them. Read-only parameters are refused by rclnodejs itself; `veto` may refuse a valid change with a reason.
 */
export function watchParameters(node: RclNode, current: () => Settings, listener: ChangeListener, log: Logger, veto: (next: Settings) => string | undefined = () => undefined): void {
  node.addOnSetParametersCallback((parameters) => {
    const { config, ros } = current();
    let result = validateParameterChanges(
      parameters.map((p) => ({ name: p.name, type: p.type, value: p.value })),
      { current: { ...config, ...ros } },
    );
    // What the running pipeline cannot take (a head switched on whose model was not loaded).
    const vetoed = result.successful ? veto(applyChanges(config, ros, result.changes)) : undefined;
    if (vetoed) result = { successful: false, reason: vetoed, changes: {} };
    if (!result.successful) {
      log.warn({ parameters: parameters.map((p) => p.name), reason: result.reason }, 'parameter change rejected');
      return { successful: false, reason: result.reason };
    }
    if (Object.keys(result.changes).length) {
      const next = applyChanges(config, ros, result.changes);
      listener(next, result.changes);
      log.info({ changes: result.changes }, 'parameters changed');
    }
    return { successful: true, reason: '' };
  });
}
