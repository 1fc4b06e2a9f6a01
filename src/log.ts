import { pino, type Logger, type Level, type LoggerOptions as PinoOptions } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: Level | 'silent';
  name?: string;
  /** File descriptor to write to; the CLI keeps stdout for results and logs to stderr (2). */
  fd?: number;
  /** pino hooks, e.g. the ROS node's copy of warnings to /rosout. */
  hooks?: PinoOptions['hooks'];
}

/** One JSON line per event; per-frame timings go at debug level. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.FACE_CLASSIFICATION_LOG_LEVEL as Level | undefined) ?? 'info';
  return pino(
    { name: options.name ?? 'face-classification', level, base: { pid: undefined, hostname: undefined }, ...(options.hooks ? { hooks: options.hooks } : {}) },
    pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}

/** A logger that drops everything: the default for library users who pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
