/**
 * Ending the node on SIGINT, SIGTERM or SIGHUP: clean up first (subscriptions, publishers, timers,
 * the node, rclnodejs), log afterwards (a log line to a terminal that is already gone must not skip
 * the cleanup), then exit 0. `ros2 launch` closes the node's pseudo-terminal as it exits; Node.js
 * then aborts at exit while restoring that terminal's settings (an assertion on tcsetattr's EIO in
 * ResetStdio), so terminal descriptors are pointed at /dev/null before exiting: Node skips
 * descriptors that no longer refer to the file it started with. The cleanup is synchronous (a frame
 * is never half-processed when a signal handler runs: frames run to completion on the event loop),
 * so the node is gone within milliseconds of the signal. Further signals are ignored: Ctrl-C on
 * `ros2 launch` reaches the node twice (from the terminal, then forwarded by launch), and the second
 * must not turn a clean exit into a failure.
 */
import fs from 'node:fs';
import tty from 'node:tty';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';

export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** Which of stdin, stdout, stderr were terminals when the process started. */
const STARTED_ON_TTY = [0, 1, 2].map((fd) => tty.isatty(fd));

/** Point descriptors that were terminals at /dev/null (see the file comment); never throws. */
export function releaseTerminal(): void {
  for (const fd of [0, 1, 2]) {
    if (!STARTED_ON_TTY[fd]) continue;
    try {
      fs.closeSync(fd);
      // open() takes the lowest free descriptor: the one just closed.
      const reopened = fs.openSync('/dev/null', fd === 0 ? 'r' : 'w');
      if (reopened !== fd) fs.closeSync(reopened);
    } catch {
      // Closed is as good as /dev/null for Node's exit-time check.
    }
  }
}

export interface ShutdownOptions {
  /** Frees everything, synchronously; what it throws is logged. */
  cleanup: () => void;
  log: Logger;
}

/** Resolves with the exit status (0) once a signal came and the cleanup ran. */
export function untilShutdown(options: ShutdownOptions): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: ShutdownSignal): void => {
      if (stopping) return;
      stopping = true;
      let clean = true;
      const started = performance.now();
      try {
        options.cleanup();
      } catch (error) {
        clean = false;
        safeLog(options.log, 'warn', { signal, reason: errorMessage(error) }, 'unclean shutdown');
      }
      if (clean) safeLog(options.log, 'info', { signal, ms: Math.round(performance.now() - started) }, 'shut down');
      resolve(0);
    };
    for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => onSignal(signal));
  });
}

function safeLog(log: Logger, level: 'info' | 'warn' | 'error', fields: object, message: string): void {
  try {
    log[level](fields, message);
  } catch {
    // Nothing can be told any more; the exit status still can.
  }
}
