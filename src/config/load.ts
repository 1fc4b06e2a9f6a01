import fs from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, errorMessage } from '../errors.js';
import { applyOverrides, checkConsistency } from './validate.js';
import { defaultConfig, type Config } from './schema.js';
import { ROS_ONLY_KEYS } from './ros_schema.js';

/**
 * The settings held in a YAML file: plain (`haar: {scale_factor: 1.3}`) or a ROS 2 parameter file
 * (`face_classification_node: {ros__parameters: {...}}` or `/**: {ros__parameters: ...}`).
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
  for (const value of Object.values(record)) {
    if (value && typeof value === 'object' && 'ros__parameters' in value) {
      return (value as { ros__parameters: Record<string, unknown> }).ros__parameters ?? {};
    }
  }
  return record;
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
