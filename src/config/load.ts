import fs from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, errorMessage } from '../errors.js';
import { applyOverrides, checkConsistency } from './validate.js';
import { defaultConfig, type Config } from './schema.js';
import { ROS_ONLY_KEYS } from './ros_schema.js';
import { patternMatches, readParamsFile } from './ros_params.js';

/** The node name the CLI reads a ROS parameter file for (in any namespace). */
const NODE_NAME = 'face_classification_node';

/** Does a params-file section apply to the node in some namespace (`/**`, `/ns/face_classification_node`, `/ns/*`...)? */
function sectionForNode(pattern: string): boolean {
  const last = pattern.split('/').pop();
  return patternMatches(pattern, `/${NODE_NAME}`) || last === NODE_NAME || last === '*' || last === '**';
}

/**
 * The settings held in a YAML file: plain (`haar: {scale_factor: 1.3}`) or a ROS 2 parameter file
 * (`face_classification_node: {ros__parameters: {...}}`, `/**: {ros__parameters: ...}`, a
 * `ros2 param dump`): there, every section that applies to face_classification_node in any
 * namespace, merged in file order.
 */
export function readSettingsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, `cannot read (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new ConfigError(file, `is not valid YAML (${errorMessage(error).split('\n')[0]})`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(file, 'must hold a mapping of settings');
  const record = data as Record<string, unknown>;
  if (!isRosParamsFile(record)) return record;
  const merged: Record<string, unknown> = {};
  for (const section of readParamsFile(file).filter((s) => sectionForNode(s.pattern))) {
    for (const [key, value] of section.parameters) merged[key] = Array.isArray(value) ? value.map(plainNumber) : plainNumber(value);
  }
  return merged;
}

/**
 * Settings that belong to the ROS adapter only (src/config/ros_schema.ts: topics, QoS, debug outputs,
 * diagnostics thresholds, plus rcl's use_sim_time and qos_overrides.*); the shared YAML file holds
 * them and the core ignores exactly these. Any other unknown key is still an error.
 */
export const ROS_ONLY_PREFIXES: readonly string[] = ROS_ONLY_KEYS;

/** Defaults, then the file, then the explicit overrides (e.g. command-line flags). */
export function loadConfig(file?: string, overrides: Record<string, unknown> = {}): Config {
  let config = defaultConfig();
  if (file) config = applyOverrides(config, readSettingsFile(file), ROS_ONLY_PREFIXES);
  // Rules between settings are checked once the file and the overrides are both applied.
  return checkConsistency(applyOverrides(config, overrides));
}

/** A mapping whose values lead (possibly through namespaces) to `ros__parameters`. */
function isRosParamsFile(record: Record<string, unknown>): boolean {
  return Object.values(record).some((value) => value !== null && typeof value === 'object' && !Array.isArray(value) && ('ros__parameters' in value || isRosParamsFile(value as Record<string, unknown>)));
}

/** ROS integers are read as bigint; settings are plain numbers. */
function plainNumber(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
