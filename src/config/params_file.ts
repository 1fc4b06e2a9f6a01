/**
 * Renders config/face_classification.yaml, the node's params file (also read by the CLI), from the
 * two schemas: every key with its default and a comment from its description, range and choices.
 * `npm run params-file` writes it; a test checks the committed file is what this renders.
 */
import type { Setting } from './schema.js';
import { SCHEMA } from './schema.js';
import { ROS_SCHEMA } from './ros_schema.js';

const HEADER = `# Parameters of the face_classification node, in the ROS 2 params-file format. The CLI reads the same
# file (--config) and ignores the node-only keys (topics, QoS, debug outputs, diagnostics).
# Every key of the pipeline schema (src/config/schema.ts) and of the node (src/config/ros_schema.ts) is
# here with its default. Keys marked [runtime] can be changed while the node runs
# (ros2 param set /face_classification_node haar.min_neighbors 3); the others are read at start-up.
# Doubles are written with a decimal point: ROS types 1 as an integer and rejects it for a double.
# Generated from the schemas by \`npm run params-file\`: edit the schemas, not this file.
`;

/** A double as ROS reads it back as a double: always with a decimal point. */
function double(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

function value(setting: Setting): string {
  switch (setting.type) {
    case 'string':
      return `'${setting.default.replace(/'/g, "''")}'`;
    case 'double':
      return double(setting.default);
    case 'double_array':
      return `[${setting.default.map(double).join(', ')}]`;
    default:
      return String(setting.default);
  }
}

function notes(setting: Setting): string {
  const parts: string[] = [];
  if (setting.type === 'string' && setting.choices) parts.push(`one of: ${setting.choices.join(', ')}`);
  if (setting.type === 'double' || setting.type === 'integer') parts.push(`range [${setting.min}, ${setting.max}]`);
  if (setting.type === 'double_array') parts.push(`${setting.length} values in [${setting.min}, ${setting.max}]`);
  if (setting.runtime) parts.push('runtime');
  return parts.length > 0 ? ` [${parts.join('; ')}]` : '';
}

function section(schema: Record<string, Setting>): string[] {
  return Object.entries(schema).flatMap(([key, setting]) => [`    # ${setting.description}${notes(setting)}`, `    ${key}: ${value(setting)}`]);
}

export function renderParamsFile(): string {
  return [HEADER.trimEnd(), '/**:', '  ros__parameters:', '    # --- pipeline (shared with the CLI) ---', ...section(SCHEMA), '    # --- ROS node only ---', ...section(ROS_SCHEMA), ''].join('\n');
}
