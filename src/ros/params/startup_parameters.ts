/**
 * The node's start-up parameter values from its parameter files and -p rules (resolved by
 * src/config/params_file.ts): each value checked against the schemas with the file, section and
 * key in the message. At start-up an integer is accepted for a double (`scale_factor: 2`,
 * `offsets: [20, 40]`, as people write YAML); at run time ROS's fixed types apply. Unknown keys that
 * are clearly meant for this node (a near miss of one of its names, or under one of its groups) stop
 * start-up with a "did you mean"; other unknown keys (a shared `/**` section holds other nodes'
 * parameters too) are warnings. Pure.
 */
import { ConfigError, errorMessage } from '../../errors.js';
import { suggestKey } from '../../config/suggest.js';
import { ROS_STANDARD_PREFIXES } from '../../config/ros_schema.js';
import type { ResolvedParameters, RosValue } from '../../config/ros_params.js';
import { PARAMETER_KEYS, PARAMETER_SETTINGS, isParameterKey, type ParameterKey, type ParameterValue } from './parameters.js';
import { validateValue } from '../../config/validate.js';

export interface StartupValues {
  /** Canonical values of this node's parameters that the sources set. */
  values: Partial<Record<ParameterKey, ParameterValue>>;
  /** One line each: unknown keys ignored, files that gave this node nothing. */
  warnings: string[];
}

/** Parameters rcl and rclnodejs handle themselves. */
const STANDARD = [...ROS_STANDARD_PREFIXES, 'start_type_description_service'];
const GROUPS = new Set(PARAMETER_KEYS.map((key) => key.split('.')[0]!));

function describe(value: RosValue): string {
  if (Array.isArray(value)) {
    const kind = typeof value[0] === 'bigint' ? 'integer' : typeof value[0] === 'number' ? 'double' : typeof value[0] === 'boolean' ? 'bool' : 'string';
    return `${kind} list [${value.map(String).join(', ')}]`;
  }
  const kind = typeof value === 'bigint' ? 'integer' : typeof value === 'number' ? 'double' : typeof value === 'boolean' ? 'bool' : 'string';
  return `${kind} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}

/** A ROS-typed value -> the setting's canonical value; throws with the reason. */
function canonical(key: ParameterKey, value: RosValue): ParameterValue {
  const setting = PARAMETER_SETTINGS[key];
  const widen = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);
  let plain: unknown = Array.isArray(value) ? value.map(widen) : widen(value);
  if (setting.type === 'integer' && typeof value === 'number' && Number.isFinite(value)) {
    throw new Error(`must be an integer, got ${describe(value)}${Number.isInteger(value) ? ` (write ${value})` : ''}`);
  }
  if ((setting.type === 'double' || setting.type === 'integer') && Array.isArray(value)) throw new Error(`must be a single number, got a ${describe(value)}`);
  if (setting.type === 'double_array' && !Array.isArray(value)) throw new Error(`must be a list of ${setting.length} numbers, got ${describe(value)}`);
  if ((setting.type === 'bool' || setting.type === 'string') && typeof value !== (setting.type === 'bool' ? 'boolean' : 'string')) {
    throw new Error(`must be ${setting.type === 'bool' ? 'true or false' : 'a string'}, got ${describe(value)}`);
  }
  if (typeof plain === 'number' && !Number.isSafeInteger(plain) && typeof value === 'bigint') plain = Number.NaN;
  try {
    return validateValue(key, setting, plain) as ParameterValue;
  } catch (error) {
    throw new Error(errorMessage(error).replace(/^config [^:]+: /, ''));
  }
}

export function startupValues(resolved: ResolvedParameters): StartupValues {
  const values: Partial<Record<ParameterKey, ParameterValue>> = {};
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const [name, { value, origin }] of resolved.values) {
    if (isParameterKey(name)) {
      try {
        values[name] = canonical(name, value);
      } catch (error) {
        problems.push(`${name} ${errorMessage(error)} (${origin})`);
      }
      continue;
    }
    if (STANDARD.some((prefix) => name === prefix || name.startsWith(`${prefix}.`))) continue;
    const hint = suggestKey(name, PARAMETER_KEYS);
    if (hint || GROUPS.has(name.split('.')[0]!)) problems.push(`unknown parameter ${name}${hint ? ` (did you mean ${hint}?)` : ''} (${origin})`);
    else warnings.push(`${name} is not a parameter of this node; ignored (${origin})`);
  }
  for (const { file, patterns } of resolved.unmatchedFiles) warnings.push(`params file ${file}: no section applies to this node (sections: ${patterns.join(', ')})`);
  if (problems.length) throw new ConfigError('parameters', problems.join('; '));
  return { values, warnings };
}
