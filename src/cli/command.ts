import type { ParseArgsConfig } from 'node:util';
import type { Logger } from '../log.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CliContext {
  log: Logger;
  /** Print one JSON line of results on stdout. */
  emit(value: unknown): void;
  /** Report a problem with one input (one line on stderr) and remember to exit non-zero; the command goes on. */
  reportError(error: unknown): void;
  /**
   * Set when the command should stop after the current item: Ctrl-C (SIGINT) or SIGTERM arrived (for
   * an `interruptible` command), or the reader of stdout went away.
   */
  readonly interrupted: { value: boolean };
  /**
   * Yield to the event loop (where signal handlers run), then say whether to stop. Commands await it
   * between items: a loop that never yields would never see Ctrl-C or SIGTERM.
   */
  shouldStop(): Promise<boolean>;
  debug: boolean;
}

/** One sub-command of `face-classification`: its flags, its help and its action. */
export interface Command {
  name: string;
  summary: string;
  /** Usage lines shown by --help, after `face-classification <name>`. */
  usage: string;
  /** Extra help text: what it prints, examples. */
  details?: string;
  options: OptionSpecs;
  /**
   * Checks `context.interrupted` between items and stops cleanly (e.g. closing an output video). For
   * the others, Ctrl-C ends the process at once.
   */
  interruptible?: boolean;
  /** Option descriptions for --help, by option name. */
  help: Record<string, string>;
  /** Returns the exit status: 0 done, 1 some input failed. Throws for errors that stop the command. */
  run(values: OptionValues, positionals: string[], context: CliContext): Promise<number>;
}

/** Why a command stopped before its inputs were done. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'output closed';

export class UsageError extends Error {}
