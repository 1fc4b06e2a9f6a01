/**
 * The node's pino logger: one JSON line per event on stderr, like the CLI; warnings and errors also
 * go to the rclnodejs node logger, which publishes them on /rosout for rqt_console and `ros2 topic
 * echo /rosout`. The ROS logger is attached once the node exists (start-up errors before that only
 * reach stderr, which `ros2 launch` shows).
 */
import { createLogger, type Logger } from '../log.js';
import type { RclLogger } from './rclnodejs_api.js';

/** pino's numeric levels. */
const WARN = 40;
const ERROR = 50;

export interface RosLog {
  log: Logger;
  /** Forward warnings and errors to this ROS logger from now on. */
  attach(logger: RclLogger | undefined): void;
}

/** "message key=value ..." for /rosout, where readers expect one line of text rather than JSON. */
export function rosText(args: readonly unknown[]): string {
  const [first, ...rest] = args;
  if (typeof first === 'string') return [first, ...rest.map(String)].join(' ');
  const message = rest.length ? String(rest[0]) : '';
  if (first instanceof Error) return `${message ? `${message}: ` : ''}${first.message}`;
  if (first && typeof first === 'object') {
    const fields = Object.entries(first as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : v instanceof Error ? v.message : JSON.stringify(v)}`);
    return [message, ...fields].filter(Boolean).join(' ');
  }
  return message;
}

export function createRosLog(name = 'face_classification'): RosLog {
  let ros: RclLogger | undefined;
  const log = createLogger({
    name,
    hooks: {
      logMethod(args, method, levelValue) {
        if (ros && levelValue >= WARN) {
          const text = rosText(args);
          try {
            if (levelValue >= ERROR) ros.error(text);
            else ros.warn(text);
          } catch {
            // The ROS context may already be shut down; stderr still has the line.
          }
        }
        method.apply(this, args);
      },
    },
  });
  return { log, attach: (logger) => (ros = logger) };
}
