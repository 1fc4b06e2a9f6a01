import { ConfigError } from '../errors.js';
import { CONFIG_KEYS, SCHEMA, defaultConfig, type Config, type ConfigKey, type ConfigValue, type Setting } from './schema.js';

function closest(key: string, keys: readonly string[]): string | undefined {
  const tail = key.split('.').pop()!;
  return keys.find((k) => k.endsWith(`.${tail}`) || k === tail);
}

/** Check one value against its setting; returns the value in its canonical type or throws ConfigError naming the key. */
export function validateValue(key: string, setting: Setting, value: unknown): ConfigValue {
  const fail = (reason: string): never => {
    throw new ConfigError(key, `${reason}, got ${JSON.stringify(value)}`);
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
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('must be a number');
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
        if (typeof item !== 'number' || !Number.isFinite(item)) fail('must hold numbers only');
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
      const hint = closest(key, CONFIG_KEYS);
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

export function makeConfig(overrides: Record<string, unknown> = {}): Config {
  return checkConsistency(applyOverrides(defaultConfig(), overrides));
}
