import { ConfigError } from '../errors.js';
import { suggestKey } from './suggest.js';
import { CONFIG_KEYS, SCHEMA, defaultConfig, type Config, type ConfigKey, type ConfigValue, type Setting } from './schema.js';

/** A value as the user wrote it: JSON, except numbers JSON cannot hold (Infinity, NaN). */
function shown(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map(shown).join(',')}]`;
  return JSON.stringify(value) ?? String(value);
}

/** Check one value against its setting; returns the value in its canonical type or throws ConfigError naming the key. */
export function validateValue(key: string, setting: Setting, value: unknown): ConfigValue {
  const fail = (reason: string): never => {
    throw new ConfigError(key, `${reason}, got ${shown(value)}`);
  };
  switch (setting.type) {
    case 'bool':
      if (typeof value !== 'boolean') fail('must be true or false');
      return value as boolean;
    case 'string':
      if (typeof value !== 'string') fail('must be a string');
      if (setting.choices && !setting.choices.includes(value as string)) fail(`must be one of ${setting.choices.join(', ')}`);
      return value as string;
    case 'integer':
    case 'double': {
      if (typeof value !== 'number') fail('must be a number');
      if (!Number.isFinite(value)) fail('must be a finite number');
      const n = value as number;
      if (setting.type === 'integer' && !Number.isInteger(n)) fail('must be an integer');
      if (n < setting.min || n > setting.max) fail(`must be between ${setting.min} and ${setting.max}`);
      if (setting.type === 'integer' && setting.step && (n - setting.min) % setting.step !== 0) fail(`must be a multiple of ${setting.step}`);
      return n;
    }
    case 'double_array': {
      if (!Array.isArray(value) || value.length !== setting.length) fail(`must be a list of ${setting.length} numbers`);
      const list = value as unknown[];
      for (const item of list) {
        if (typeof item !== 'number' || !Number.isFinite(item)) fail('must hold finite numbers only');
        if ((item as number) < setting.min || (item as number) > setting.max) fail(`items must be between ${setting.min} and ${setting.max}`);
      }
      return [...(list as number[])];
    }
  }
}

export function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(SCHEMA, key);
}

/** Flatten nested objects into dotted keys (arrays are values). */
export function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

/**
 * Apply overrides (flat dotted keys, or nested objects) on a base config, validating each. Unknown keys
 * are errors, with a hint when the last part of the key matches a known one.
 */
export function applyOverrides(base: Config, overrides: Record<string, unknown>, ignoreKeys: readonly string[] = []): Config {
  const next: Config = { ...base };
  for (const [key, value] of Object.entries(flatten(overrides))) {
    if (ignoreKeys.some((prefix) => key === prefix || key.startsWith(`${prefix}.`))) continue;
    if (!isConfigKey(key)) {
      const hint = suggestKey(key, CONFIG_KEYS);
      throw new ConfigError(key, `unknown setting${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
    (next as Record<ConfigKey, ConfigValue>)[key] = validateValue(key, SCHEMA[key], value);
  }
  return next;
}

/** Offsets larger than this many box sizes per side make no sense as fractions: the crop is the whole frame. */
export const MAX_FRACTION_OFFSET = 2;

/**
 * Rules between settings, checked on a whole config (each value is already valid on its own). Throws a
 * ConfigError naming the key to change.
 */
export function checkConsistency(config: Config): Config {
  const min = config['detector.min_face_size'];
  const max = config['detector.max_face_size'];
  if (max > 0 && min > max) throw new ConfigError('detector.min_face_size', `(${min}) is larger than detector.max_face_size (${max}): no face could pass`);
  if (config['crop.offset_unit'] === 'fraction') {
    for (const key of ['emotion.offsets', 'gender.offsets'] as const) {
      const offsets = config[key];
      if (offsets.some((v) => v > MAX_FRACTION_OFFSET)) {
        throw new ConfigError(key, `${JSON.stringify(offsets)} read as fractions of the face box (crop.offset_unit: fraction) add ${offsets.map((v) => `${Math.round(v * 100)}%`).join(' and ')} of it on each side, which crops the whole frame; give fractions (at most ${MAX_FRACTION_OFFSET}), e.g. ${key}: [0.2, 0.4], or set crop.offset_unit: pixels`);
      }
    }
  }
  return config;
}

/**
 * A whole settings object checked as `--set` checks one value: every key of the schema present and
 * valid, no other key, then the rules between settings. Returns a fresh copy (so later writes to
 * the caller's object change nothing behind the check). For objects of unknown origin (a library
 * caller's `{ ...config, key: value }`).
 */
export function checkConfig(candidate: unknown): Config {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) throw new ConfigError('config', 'must be an object of settings (start from defaultConfig() or makeConfig())');
  const record = candidate as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!isConfigKey(key)) {
      const hint = suggestKey(key, CONFIG_KEYS);
      throw new ConfigError(key, `unknown setting${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
  }
  const next: Partial<Record<ConfigKey, ConfigValue>> = {};
  for (const key of CONFIG_KEYS) {
    if (!(key in record)) throw new ConfigError(key, 'is missing: give every setting (start from defaultConfig(), makeConfig() or the current config)');
    next[key] = validateValue(key, SCHEMA[key], record[key]);
  }
  return checkConsistency(next as Config);
}

export function makeConfig(overrides: Record<string, unknown> = {}): Config {
  return checkConsistency(applyOverrides(defaultConfig(), overrides));
}
