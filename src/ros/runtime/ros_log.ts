/**
 * The node's logger: pino (one event per line, fields not prose), written the way ROS users read
 * logs. Format `ros` (default): each line goes to the node's rclnodejs logger, so rcutils prints it
 * on the console in ROS's format ("[INFO] [time] [node]: message key=value") and publishes it on
 * /rosout, once; the node's level is ROS's (`--ros-args --log-level debug`). Before the node exists
 * (start-up errors) lines go to stderr in the same shape. Format `json`
 * (FACE_CLASSIFICATION_LOG_FORMAT=json): pino's JSON lines on stderr only. FACE_CLASSIFICATION_LOG_LEVEL
 * overrides the level in both. No write can throw: a closed terminal at shutdown (`ros2 launch`
 * gone) must not stop the cleanup.
 */
import fs from 'node:fs';
import { pino, type Level, type Logger } from 'pino';
import type { RclLogger } from './rclnodejs_api.js';

export type LogFormat = 'ros' | 'json';

export interface RosLog {
  log: Logger;
  /** Send lines to this ROS logger from now on, and take its effective level (unless the environment sets one). */
  attach(logger: RclLogger | undefined): void;
}

/** pino level number -> name, and rcutils severities (10 debug ... 50 fatal) -> pino levels. */
const PINO_NAMES: Record<number, Level> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const FROM_RCUTILS: Record<number, Level> = { 10: 'debug', 20: 'info', 30: 'warn', 40: 'error', 50: 'fatal' };
const FIELDS_LEFT_OUT = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

/** A pino JSON line -> "message key=value ..." (error objects by their message). */
export function rosText(record: Record<string, unknown>): string {
  const fields = Object.entries(record)
    .filter(([key, value]) => !FIELDS_LEFT_OUT.has(key) && value !== undefined)
    .map(([key, value]) => {
      if (typeof value === 'string') return `${key}=${value}`;
      if (value && typeof value === 'object' && 'message' in value && 'stack' in value) return `${key}=${String((value as { message: unknown }).message)}`;
      return `${key}=${JSON.stringify(value)}`;
    });
  return [typeof record['msg'] === 'string' ? record['msg'] : '', ...fields].filter(Boolean).join(' ');
}

function writeStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    // stderr closed (terminal gone): nothing left to tell.
  }
}

export function logFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  return env.FACE_CLASSIFICATION_LOG_FORMAT === 'json' ? 'json' : 'ros';
}

export function createRosLog(options: { format?: LogFormat; nodeName?: string; env?: NodeJS.ProcessEnv } = {}): RosLog {
  const env = options.env ?? process.env;
  const format = options.format ?? logFormat(env);
  const fixedLevel = env.FACE_CLASSIFICATION_LOG_LEVEL as Level | undefined;
  const nodeName = options.nodeName ?? 'face_classification_node';
  let ros: RclLogger | undefined;

  const write = (line: string): void => {
    if (format === 'json') return writeStderr(line.endsWith('\n') ? line : `${line}\n`);
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return writeStderr(line);
    }
    const level = PINO_NAMES[Number(record['level'])] ?? 'info';
    const text = rosText(record);
    if (ros) {
      try {
        const method = level === 'trace' ? 'debug' : level;
        ros[method](text);
        return;
      } catch {
        // The ROS context is shut down: stderr below.
      }
    }
    const seconds = (Number(record['time'] ?? Date.now()) / 1000).toFixed(9);
    writeStderr(`[${level.toUpperCase()}] [${seconds}] [${nodeName}]: ${text}\n`);
  };

  const log = pino({ name: 'face_classification', level: fixedLevel ?? 'info', base: { pid: undefined, hostname: undefined } }, { write });
  return {
    log,
    attach(logger) {
      ros = logger;
      if (fixedLevel || !logger) return;
      try {
        const level = FROM_RCUTILS[logger.loggerEffectiveLevel ?? 20];
        if (level) log.level = level;
      } catch {
        // rclnodejs without the level query: keep info.
      }
    },
  };
}
