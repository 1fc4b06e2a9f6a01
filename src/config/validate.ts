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

export function makeConfig(overrides: Record<string, unknown> = {}): Config {
  return applyOverrides(defaultConfig(), overrides);
}
