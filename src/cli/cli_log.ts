/**
 * The command line's stderr language: one line per event, either plain text (default) or JSON
 * (--log-format json), the same for log events (pino) and for errors. Plain:
 *   face-classification detect: warning: no face found (file=a.png)
 *   face-classification detect: error: image b.jpg: is truncated: ...
 */
import { pino } from 'pino';
import type { Logger } from '../log.js';
import type { StderrLines } from './terminal.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
/** pino's own fields, not shown as key=value in plain text. */
const HIDDEN = new Set(['level', 'time', 'name', 'msg', 'command', 'pid', 'hostname']);

function fieldText(value: unknown): string {
  return typeof value === 'string' && /^[^\s"=,()]+$/.test(value) ? value : JSON.stringify(value);
}

/** A pino record as one plain line. */
export function plainLine(prefix: string, record: Record<string, unknown>): string {
  const level = LEVEL_NAMES[Number(record['level'])] ?? String(record['level']);
  const fields = Object.entries(record).filter(([key]) => !HIDDEN.has(key));
  const tail = fields.length ? ` (${fields.map(([k, v]) => `${k}=${fieldText(v)}`).join(', ')})` : '';
  return `${prefix}: ${level}: ${String(record['msg'] ?? '')}${tail}`;
}

export interface CliLog {
  log: Logger;
  /** An error line, whatever the log level (errors are the command's answer, not chatter). */
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createCliLog(options: { program: string; command: string; level: LogLevel; format: LogFormat; lines: StderrLines }): CliLog {
  const prefix = `${options.program} ${options.command}`;
  const emit = (record: Record<string, unknown>): void => options.lines.line(options.format === 'json' ? JSON.stringify(record) : plainLine(prefix, record));
  const stream = {
    write(chunk: string): void {
      for (const text of chunk.split('\n')) if (text) emit(JSON.parse(text) as Record<string, unknown>);
    },
  };
  const log = pino({ name: options.program, level: options.level, base: { command: options.command } }, stream);
  return {
    log,
    error: (message, fields = {}) => emit({ level: 50, time: Date.now(), name: options.program, command: options.command, msg: message, ...fields }),
  };
}
