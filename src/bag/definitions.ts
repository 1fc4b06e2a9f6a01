/**
 * Message definitions (.msg text) without ROS: the package's own (msg/) and the standard ones the bag
 * command reads and writes (third_party/ros_msgs/). Gives each type's full text as rosbag2's MCAP
 * storage plugin writes it into a schema (the type's text, then every dependency once, depth first,
 * in sorted order, each after a line of 80 '=' and `MSG: pkg/Name`), and the parsed form that the
 * CDR reader and writer take.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { packageRoot } from '../paths.js';
import { FaceClassificationError } from '../errors.js';

export type ParsedDefinitions = ReturnType<typeof parse>;

const OWN_PACKAGE = 'face_classification';
const PRIMITIVES = new Set(['bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'string', 'wstring']);
/** rosbag2 Humble's MSG_FIELD_TYPE_REGEX: the field type at the start of a line ("foo_msgs/Bar" in "foo_msgs/Bar[] bar"). */
const FIELD_TYPE = /(?:^|\n)\s*([a-zA-Z0-9_/]+)(?:\[[^\]]*\])?\s+/g;
const DELIMITER = `${'='.repeat(80)}\n`;

/** `pkg/msg/Name` or `pkg/Name` -> { pkg, name }; undefined for anything else. */
export function splitTypeName(type: string): { pkg: string; name: string } | undefined {
  const match = /^([a-zA-Z][a-zA-Z0-9_]*)\/(?:msg\/)?([a-zA-Z][a-zA-Z0-9_]*)$/.exec(type);
  return match ? { pkg: match[1]!, name: match[2]! } : undefined;
}

function definitionFile(pkg: string, name: string): string {
  return pkg === OWN_PACKAGE ? path.join(packageRoot, 'msg', `${name}.msg`) : path.join(packageRoot, 'third_party', 'ros_msgs', pkg, 'msg', `${name}.msg`);
}

/** Whether the definition of `type` ships with this package. */
export function hasDefinition(type: string): boolean {
  const parts = splitTypeName(type);
  return !!parts && fs.existsSync(definitionFile(parts.pkg, parts.name));
}

function readDefinition(pkg: string, name: string): string {
  const file = definitionFile(pkg, name);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new FaceClassificationError(`message definition ${pkg}/msg/${name}: cannot be read from ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** The types a .msg text uses, as rosbag2 names them ("std_msgs/Header"; same-package types get the package). */
function dependencies(text: string, pkg: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(FIELD_TYPE)) {
    const type = match[1]!;
    if (PRIMITIVES.has(type)) continue;
    found.add(type.includes('/') ? type : `${pkg}/${type}`);
  }
  // std::set order, as rosbag2 iterates it.
  return [...found].sort();
}

const fullTexts = new Map<string, string>();

/** The full definition of `type` (pkg/msg/Name), with its dependencies, as a ros2msg schema holds it. */
export function fullDefinition(type: string): string {
  const cached = fullTexts.get(type);
  if (cached !== undefined) return cached;
  const root = splitTypeName(type);
  if (!root) throw new FaceClassificationError(`message type ${JSON.stringify(type)}: not a pkg/msg/Name type name`);
  const seen = new Set<string>();
  const append = (pkg: string, name: string, depth: number): string => {
    if (depth <= 0) throw new FaceClassificationError(`message definition ${type}: dependencies nest too deep`);
    const text = readDefinition(pkg, name);
    let result = text;
    for (const dep of dependencies(text, pkg)) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      const parts = splitTypeName(dep);
      if (!parts) throw new FaceClassificationError(`message definition ${pkg}/msg/${name}: field type ${JSON.stringify(dep)} is not understood`);
      result += `\n${DELIMITER}MSG: ${dep}\n${append(parts.pkg, parts.name, depth - 1)}`;
    }
    return result;
  };
  const text = append(root.pkg, root.name, 50);
  fullTexts.set(type, text);
  return text;
}

/** `fullDefinition(type)` parsed (ROS 2 rules), for the CDR reader and writer. */
export function parsedDefinition(type: string): ParsedDefinitions {
  return parse(fullDefinition(type), { ros2: true });
}
