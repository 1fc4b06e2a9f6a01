/**
 * The typed config schemas (core SCHEMA + node-only ROS_SCHEMA) as ROS parameters: descriptors with
 * description, range and read-only flag, and the checks of a set-parameters request with a readable
 * reason. Pure; the rclnodejs wiring is in parameter_server.ts.
 */
import { SCHEMA, type Config, type ConfigKey, type Setting } from '../../config/schema.js';
import { ROS_SCHEMA, type RosConfig, type RosKey } from '../../config/ros_schema.js';
import { checkConsistency, validateValue } from '../../config/validate.js';
import { errorMessage } from '../../errors.js';

/** rcl_interfaces/msg/ParameterType values. */
export const ParameterType = {
  NOT_SET: 0,
  BOOL: 1,
  INTEGER: 2,
  DOUBLE: 3,
  STRING: 4,
  BYTE_ARRAY: 5,
  BOOL_ARRAY: 6,
  INTEGER_ARRAY: 7,
  DOUBLE_ARRAY: 8,
  STRING_ARRAY: 9,
} as const;
export type ParameterTypeValue = (typeof ParameterType)[keyof typeof ParameterType];

const TYPE_NAMES: Record<number, string> = {
  0: 'not set', 1: 'bool', 2: 'integer', 3: 'double', 4: 'string', 5: 'byte array', 6: 'bool array', 7: 'integer array', 8: 'double array', 9: 'string array',
};

const article = (noun: string): string => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

export type ParameterKey = ConfigKey | RosKey;

/** Every declared parameter of the node, in declaration order: the core's, then the node's. */
export const PARAMETER_SETTINGS: Readonly<Record<ParameterKey, Setting>> = { ...SCHEMA, ...ROS_SCHEMA };
export const PARAMETER_KEYS = Object.keys(PARAMETER_SETTINGS) as ParameterKey[];

export function isParameterKey(name: string): name is ParameterKey {
  return Object.prototype.hasOwnProperty.call(PARAMETER_SETTINGS, name);
}

export function parameterType(setting: Setting): ParameterTypeValue {
  switch (setting.type) {
    case 'bool': return ParameterType.BOOL;
    case 'integer': return ParameterType.INTEGER;
    case 'double': return ParameterType.DOUBLE;
    case 'string': return ParameterType.STRING;
    case 'double_array': return ParameterType.DOUBLE_ARRAY;
  }
}

export interface FloatingPointRangeMsg {
  from_value: number;
  to_value: number;
  step: number;
}
export interface IntegerRangeMsg {
  from_value: bigint;
  to_value: bigint;
  step: bigint;
}

/** rcl_interfaces/msg/ParameterDescriptor */
export interface ParameterDescriptorMsg {
  name: string;
  type: ParameterTypeValue;
  description: string;
  additional_constraints: string;
  read_only: boolean;
  dynamic_typing: boolean;
  floating_point_range: FloatingPointRangeMsg[];
  integer_range: IntegerRangeMsg[];
}

function constraints(setting: Setting): string {
  switch (setting.type) {
    case 'string': return setting.choices ? `one of: ${setting.choices.join(', ')}` : '';
    case 'double_array': return `${setting.length} values, each in [${setting.min}, ${setting.max}]`;
    case 'integer':
    case 'double': return `in [${setting.min}, ${setting.max}]`;
    case 'bool': return '';
  }
}

/**
 * The descriptor of one parameter. Settings without `runtime` are read-only: they are read when the
 * node starts (or a lifecycle node configures) and need a restart to change.
 */
export function descriptorMessage(name: ParameterKey): ParameterDescriptorMsg {
  const setting = PARAMETER_SETTINGS[name];
  const runtime = 'runtime' in setting && setting.runtime === true;
  const msg: ParameterDescriptorMsg = {
    name,
    type: parameterType(setting),
    description: setting.description + (runtime ? '' : ' (read-only: set it in the params file or with -p at start)'),
    additional_constraints: constraints(setting),
    read_only: !runtime,
    dynamic_typing: false,
    floating_point_range: [],
    integer_range: [],
  };
  // Step 0: any value in the range (rcl_interfaces convention).
  if (setting.type === 'double' || setting.type === 'double_array') msg.floating_point_range = [{ from_value: setting.min, to_value: setting.max, step: 0 }];
  if (setting.type === 'integer') msg.integer_range = [{ from_value: BigInt(setting.min), to_value: BigInt(setting.max), step: 1n }];
  return msg;
}

export function isRuntime(name: ParameterKey): boolean {
  const setting = PARAMETER_SETTINGS[name];
  return 'runtime' in setting && setting.runtime === true;
}

/** A parameter as the client library hands it over: integers may be bigint, arrays typed arrays. */
export interface ParameterLike {
  name: string;
  type: number;
  value: unknown;
}

export type ParameterValue = string | number | boolean | number[];

/** Client-library value -> the config's canonical value; throws with the reason. */
export function fromParameterValue(name: ParameterKey, type: number, value: unknown): ParameterValue {
  const setting = PARAMETER_SETTINGS[name];
  const expected = parameterType(setting);
  if (type !== expected) {
    const hint = expected === ParameterType.DOUBLE && type === ParameterType.INTEGER ? ` (write ${String(value)}.0)` : expected === ParameterType.DOUBLE_ARRAY && type === ParameterType.INTEGER_ARRAY ? ' (write the numbers with a decimal point, e.g. [20.0, 40.0])' : '';
    throw new Error(`${name} must be ${article(TYPE_NAMES[expected] ?? '')}, got ${article(TYPE_NAMES[type] ?? `type ${type}`)}${hint}`);
  }
  let plain: unknown = value;
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new Error(`${name}: ${value} is out of range`);
    plain = Number(value);
  } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    plain = Array.from(value as unknown as ArrayLike<number>);
  }
  try {
    return validateValue(name, setting, plain);
  } catch (error) {
    // ConfigError reads "config <key>: <reason>"; for a parameter the key is enough.
    throw new Error(errorMessage(error).replace(/^config /, ''));
  }
}

export interface SetParametersResult {
  successful: boolean;
  reason: string;
  /** The accepted values, canonical (only parameters of this node's schemas). */
  changes: Partial<Record<ParameterKey, ParameterValue>>;
}

/**
 * Check a set-parameters request as a whole (ROS applies all or none). Parameters this node did not
 * declare from its schemas (use_sim_time, qos_overrides...) are left to the client library.
 */
export function validateParameterChanges(parameters: readonly ParameterLike[], options: { startup?: boolean; current?: Readonly<Record<string, unknown>> } = {}): SetParametersResult {
  const changes: Partial<Record<ParameterKey, ParameterValue>> = {};
  const reasons: string[] = [];
  for (const parameter of parameters) {
    if (!isParameterKey(parameter.name)) continue;
    if (!options.startup && !isRuntime(parameter.name)) {
      reasons.push(`${parameter.name} is read-only at run time; set it in the params file (or -p) and restart the node`);
      continue;
    }
    try {
      changes[parameter.name] = fromParameterValue(parameter.name, parameter.type, parameter.value);
    } catch (error) {
      reasons.push(errorMessage(error));
    }
  }
  const merged = { ...options.current, ...changes } as Record<string, unknown>;
  const warn = merged['diagnostics.latency_warn_ms'];
  const err = merged['diagnostics.latency_error_ms'];
  if (typeof warn === 'number' && typeof err === 'number' && err > 0 && warn > err) reasons.push(`diagnostics.latency_warn_ms (${warn}) must not exceed diagnostics.latency_error_ms (${err})`);
  // The core's rules between settings (face size limits, offsets that make no sense for their unit).
  if (reasons.length === 0 && (options.current || options.startup)) {
    try {
      checkConsistency(merged as unknown as Config);
    } catch (error) {
      reasons.push(errorMessage(error).replace(/^config /, ''));
    }
  }
  if (reasons.length) return { successful: false, reason: reasons.join('; '), changes: {} };
  return { successful: true, reason: '', changes };
}

/** Split accepted changes into the core config's and the node's. */
export function applyChanges(config: Config, ros: RosConfig, changes: Partial<Record<ParameterKey, ParameterValue>>): { config: Config; ros: RosConfig } {
  const nextConfig = { ...config } as Record<string, ParameterValue>;
  const nextRos = { ...ros } as Record<string, ParameterValue>;
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (key in SCHEMA) nextConfig[key] = Array.isArray(value) ? [...value] : value;
    else nextRos[key] = value;
  }
  return { config: nextConfig as Config, ros: nextRos as RosConfig };
}

/** The value a parameter is declared with, in the client library's representation (integers as bigint). */
export function toParameterValue(name: ParameterKey, value: ParameterValue): string | boolean | number | bigint | number[] {
  const setting = PARAMETER_SETTINGS[name];
  if (setting.type === 'integer') return BigInt(value as number);
  if (Array.isArray(value)) return [...value];
  return value;
}
