/**
 * Ending the node on SIGINT, SIGTERM or SIGHUP, or when the process that started it is gone: clean
 * up first (subscriptions, publishers, timers, the node, rclnodejs), log afterwards (a log line to
 * a terminal that is already gone must not skip the cleanup), then exit 0. `ros2 launch` closes the
 * node's pseudo-terminal as it exits; Node.js then aborts at exit while restoring that terminal's
 * settings (an assertion on tcsetattr's EIO in ResetStdio), so terminal descriptors are pointed at
 * /dev/null before exiting: Node skips descriptors that no longer refer to the file it started
 * with. The cleanup is synchronous (a frame is never half-processed when a signal handler runs:
 * frames run to completion on the event loop), so the node is gone within milliseconds of the
 * signal. Further signals are ignored: Ctrl-C on `ros2 launch` reaches the node twice (from the
 * terminal, then forwarded by launch), and the second must not turn a clean exit into a failure.
 *
 * The parent: SIGTERM to `ros2 launch` alone (what a supervisor sends to the pid it started) ends
 * Humble's launch at once without stopping its children, and `ros2 run` killed the same way leaves
 * its child too. The node would run on, orphaned, still subscribed to the camera. So the node polls
 * its parent pid (4 Hz) and, once it has been re-parented (to init or a subreaper), shuts down as
 * on a signal. `ros2 run` and `ros2 launch` stay the parent for the node's whole life, so a normal
 * run never trips it; a node started straight from a shell that then exits ends with that shell.
 * Node.js's process.ppid is read once at start-up, hence /proc/self/stat (Linux; where it cannot be
 * read, or the node was started by init itself, there is nothing to watch).
 */
import fs from 'node:fs';
import tty from 'node:tty';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';

export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];
/** How often the parent pid is checked: well inside the 2 s a supervisor may wait. */
export const PARENT_POLL_MS = 250;

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

/** The parent pid as the kernel has it now (field 4 of /proc/self/stat); undefined where unreadable. */
export function currentParentPid(): number | undefined {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // After the command name, which is in parentheses and may hold spaces: "S <ppid> ...".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `onGone` once the parent has changed; returns the stop function. */
function watchParent(onGone: (parent: number) => void): () => void {
  const parent = currentParentPid();
  if (parent === undefined || parent <= 1) return () => undefined;
  const timer = setInterval(() => {
    const now = currentParentPid();
    if (now === undefined || now === parent) return;
    clearInterval(timer);
    onGone(parent);
  }, PARENT_POLL_MS);
  // The node's own handles keep it alive; the watch must not.
  timer.unref();
  return () => clearInterval(timer);
}

/** Resolves with the exit status (0) once a signal came or the parent went, and the cleanup ran. */
export function untilShutdown(options: ShutdownOptions): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (cause: { signal: ShutdownSignal } | { parent_exited: number }): void => {
      if (stopping) return;
      stopping = true;
      stopWatch();
      let clean = true;
      const started = performance.now();
      try {
        options.cleanup();
      } catch (error) {
        clean = false;
        safeLog(options.log, 'warn', { ...cause, reason: errorMessage(error) }, 'unclean shutdown');
      }
      if (clean) safeLog(options.log, 'info', { ...cause, ms: Math.round(performance.now() - started) }, 'shut down');
      resolve(0);
    };
    const stopWatch = watchParent((parent) => stop({ parent_exited: parent }));
    for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => stop({ signal }));
  });
}

function safeLog(log: Logger, level: 'info' | 'warn' | 'error', fields: object, message: string): void {
  try {
    log[level](fields, message);
  } catch {
    // Nothing can be told any more; the exit status still can.
  }
}
