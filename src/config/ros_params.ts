/**
 * ROS 2 parameter files and `-p` rules, read the way rcl reads them, for the node's own parameters.
 * rclnodejs (<= 2.2) applies only sections keyed exactly `/**` or by the bare node name, so a file
 * keyed `/face_classification_node:`, `/robot1/face_classification_node:`, `/**\/face_classification_node:`
 * or nested by namespace (what `ros2 param dump` and launch_ros write) was dropped silently. This
 * module parses the files and rules itself and matches every section by rcl's rule: a leading `/`
 * is implied, `/*` stands for one name token, `/**` for any number of them.
 *
 * Precedence: sources apply in command-line order, sections within a file in file order, and what
 * comes later wins, so a `-p` after `--params-file` (the launch file's arguments) overrides the file.
 * Values keep ROS's types (an integer `20` is not a double `20.0`); the node decides what it accepts.
 */
import fs from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, errorMessage } from '../errors.js';

/** A parameter value typed as rcl types YAML scalars: integers are bigint, doubles number. */
export type RosValue = boolean | bigint | number | string | boolean[] | bigint[] | number[] | string[];

export interface ParamsSection {
  /** The node-name pattern, with its leading `/` (`/**`, `/ns/node`, `/**\/node`). */
  pattern: string;
  /** Parameters by their dotted name. */
  parameters: Map<string, RosValue>;
}

/** Where a parameter value came from, for messages. */
export interface ValueOrigin {
  value: RosValue;
  /** `params file /x.yaml (section /**)` or `-p haar.scale_factor:=1.2`. */
  origin: string;
}

export type RosArgSource = { kind: 'file'; path: string } | { kind: 'rule'; node: string | undefined; name: string; value: RosValue; text: string };

const PARAMS_KEY = 'ros__parameters';

function typed(value: unknown, where: string): RosValue {
  if (typeof value === 'boolean' || typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 0) throw new Error(`${where}: an empty list has no type; give at least one value`);
    const kinds = new Set(value.map((item) => typeof item));
    if (kinds.size === 1 && ['boolean', 'bigint', 'number', 'string'].includes([...kinds][0]!)) return value as RosValue;
    // rcl refuses mixed lists; a list of integers and doubles is a list of doubles to anyone reading it.
    if ([...kinds].every((kind) => kind === 'bigint' || kind === 'number')) return value.map(Number);
    throw new Error(`${where}: a list must hold values of one type (booleans, integers, doubles or strings)`);
  }
  if (value === null || value === undefined) throw new Error(`${where}: has no value`);
  throw new Error(`${where}: nested lists and other structures are not parameter values`);
}

/** Flatten a ros__parameters mapping into dotted names, as rcl does. */
function flattenParameters(value: unknown, prefix: string, out: Map<string, RosValue>, where: string): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: ${PARAMS_KEY} must be a mapping of parameter names to values`);
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) flattenParameters(item, name, out, where);
    else out.set(name, typed(item, `${where}: ${name}`));
  }
}

/** Sections of a parsed parameter file: mapping keys descend as namespaces until `ros__parameters`. */
function sectionsOf(data: Record<string, unknown>, file: string): ParamsSection[] {
  const sections: ParamsSection[] = [];
  const walk = (node: Record<string, unknown>, path: string[]): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key === PARAMS_KEY) {
        if (!path.length) throw new ConfigError(file, `${PARAMS_KEY} needs a node name above it (e.g. "/**:")`);
        const pattern = `/${path.join('/')}`.replace(/\/+/g, '/');
        const parameters = new Map<string, RosValue>();
        try {
          flattenParameters(value, '', parameters, `section ${pattern}`);
        } catch (error) {
          throw new ConfigError(file, errorMessage(error));
        }
        sections.push({ pattern, parameters });
      } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, [...path, ...key.split('/').filter(Boolean)]);
      } else {
        throw new ConfigError(file, `"${[...path, key].join('/')}" is not under a node name and ${PARAMS_KEY} (expected "<node>: {${PARAMS_KEY}: {...}}")`);
      }
    }
  };
  walk(data, []);
  return sections;
}

/** YAML as rcl reads it: YAML 1.1 booleans (yes/no/on/off), integers apart from doubles. */
function parseYaml(text: string): unknown {
  return parse(text, { schema: 'yaml-1.1', intAsBigInt: true });
}

/** Read a ROS 2 parameter file; throws ConfigError naming the file and the reason. */
export function readParamsFile(file: string): ParamsSection[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, `cannot read the parameter file (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError(file, `is not valid YAML (${errorMessage(error).split('\n')[0]})`);
  }
  if (data === null || data === undefined) return [];
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(file, 'must hold a mapping of node names to ros__parameters');
  return sectionsOf(data as Record<string, unknown>, file);
}

/** Does the section pattern apply to the node `fqn` (`/ns/name`)? rcl's rule, as rclpy and rclcpp apply it. */
export function patternMatches(pattern: string, fqn: string): boolean {
  const withSlash = pattern.startsWith('/') ? pattern : `/${pattern}`;
  // Escape everything but the wildcards, then "/*" -> one token and "/**" -> any number of tokens.
  const escaped = withSlash.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const regex = escaped.replace(/\/\*\*/g, '\u0000').replace(/\/\*/g, '(/\\w+)').replace(/\u0000/g, '(/\\w+)*');
  return new RegExp(`^${regex}$`).test(fqn);
}

/** The parameter sources of a command line, in order: every `--params-file` and `-p` inside `--ros-args`. */
export function rosArgSources(argv: readonly string[]): RosArgSource[] {
  const sources: RosArgSource[] = [];
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--ros-args') inRos = true;
    else if (arg === '--') inRos = false;
    else if (!inRos) continue;
    else if (arg === '--params-file' && i + 1 < argv.length) sources.push({ kind: 'file', path: argv[++i]! });
    else if ((arg === '-p' || arg === '--param') && i + 1 < argv.length) sources.push(parseRule(argv[++i]!));
  }
  return sources;
}

/** `[node:]name:=yaml` -> a rule. */
export function parseRule(text: string): RosArgSource {
  const at = text.indexOf(':=');
  if (at < 0) throw new ConfigError(`-p ${text}`, 'a parameter rule is name:=value');
  const left = text.slice(0, at);
  const colon = left.lastIndexOf(':');
  const node = colon >= 0 ? left.slice(0, colon) : undefined;
  const name = colon >= 0 ? left.slice(colon + 1) : left;
  let value: RosValue;
  try {
    value = typed(parseYaml(text.slice(at + 2)), name);
  } catch (error) {
    throw new ConfigError(`-p ${text}`, errorMessage(error).split('\n')[0]!);
  }
  return { kind: 'rule', node, name, value, text };
}

export interface ResolvedParameters {
  values: Map<string, ValueOrigin>;
  /** Files none of whose sections apply to the node (with their section patterns), worth a warning. */
  unmatchedFiles: { file: string; patterns: string[] }[];
}

/** Every parameter value for the node `fqn` from `sources`, later sources winning. */
export function resolveParameters(sources: readonly RosArgSource[], fqn: string, read: (file: string) => ParamsSection[] = readParamsFile): ResolvedParameters {
  const values = new Map<string, ValueOrigin>();
  const unmatchedFiles: ResolvedParameters['unmatchedFiles'] = [];
  for (const source of sources) {
    if (source.kind === 'rule') {
      if (source.node === undefined || patternMatches(source.node, fqn)) values.set(source.name, { value: source.value, origin: `-p ${source.text}` });
      continue;
    }
    const sections = read(source.path);
    const matching = sections.filter((section) => patternMatches(section.pattern, fqn));
    if (sections.length && !matching.length) unmatchedFiles.push({ file: source.path, patterns: sections.map((s) => s.pattern) });
    for (const section of matching) {
      for (const [name, value] of section.parameters) values.set(name, { value, origin: `params file ${source.path} (section ${section.pattern})` });
    }
  }
  return { values, unmatchedFiles };
}
