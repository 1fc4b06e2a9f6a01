#!/usr/bin/env node
/**
 * `face-classification`: the command-line adapter over the library. Results go to stdout as JSON
 * lines; logs (pino) and errors go to stderr, one line each. Exit status: 0 done (or stdout's reader
 * left), 1 an input or the job failed, 2 bad usage, 130/143 stopped by SIGINT/SIGTERM.
 */
// First: quiets native libraries before OpenCV loads (see the module).
import './quiet_native.js';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, FaceClassificationError, errorMessage } from '../errors.js';
import { packageRoot } from '../paths.js';
import { UsageError, type CliContext, type Command, type StopReason } from './command.js';
import { COMMANDS } from './commands/index.js';
import { LOG_FORMATS, LOG_LEVELS, createCliLog, type LogFormat, type LogLevel } from './cli_log.js';
import { ResultOutput, stderrLines } from './terminal.js';

const PROGRAM = 'face-classification';

function formatOptions(command: Command): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(command.options)) {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ' VALUE' : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${command.help[name] ?? ''}`);
  }
  lines.push(`  ${'    --debug'.padEnd(30)} print stack traces and debug logs`);
  lines.push(`  ${'    --log-level LEVEL'.padEnd(30)} ${LOG_LEVELS.join(' | ')} (default warn; errors are always shown)`);
  lines.push(`  ${'    --log-format FORMAT'.padEnd(30)} text (one plain line per event, default) | json (one JSON object per line)`);
  return lines.join('\n');
}

function commandHelp(command: Command): string {
  return [`Usage: ${PROGRAM} ${command.name} ${command.usage}`, '', command.summary, command.details ? `\n${command.details}` : '', '', 'Options:', formatOptions(command)].join('\n');
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Faces in images, video and camera streams: Haar-cascade detection, then emotion (FER-2013, 7 classes)',
    'and gender classification with the mini-Xception models of Arriaga et al. 2017.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`${PROGRAM} <command> --help\` for a command's options, \`${PROGRAM} --version\` for the version. Examples:`,
    `  ${PROGRAM} detect photo.jpg --out annotated/`,
    `  ${PROGRAM} classify face1.png faces/ --emotion-model fer2013_big_XCEPTION.54-0.66`,
    `  ${PROGRAM} video --camera 0 --out session.avi`,
  ].join('\n');
}

/** Exit status of a command stopped early: 128 + signal number, as shells report it; 0 when the reader of stdout went away. */
const STOP_STATUS: Record<StopReason, number> = { SIGINT: 130, SIGTERM: 143, 'output closed': 0 };

function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

function choice<T extends string>(flag: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // Results and help go to stdout; a reader that leaves early (`| head -1`) ends the work quietly.
  const stop: { reason?: StopReason } = {};
  const interrupted = { value: false };
  const results = new ResultOutput(() => {
    stop.reason ??= 'output closed';
    interrupted.value = true;
  });
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    results.line(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    results.line(`${PROGRAM} ${version()}`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    stderrLines.line(`${PROGRAM}: unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return 2;
  }
  const debug = rest.includes('--debug');
  // Until the flags are read, problems are reported as plain text.
  let cli = createCliLog({ program: PROGRAM, command: command.name, level: 'warn', format: 'text', lines: stderrLines });
  let exitCode = 0;
  const showStack = (error: unknown): void => {
    if (debug && error instanceof Error && error.stack) stderrLines.line(error.stack);
  };
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, 'help': { type: 'boolean', short: 'h' }, 'debug': { type: 'boolean' }, 'log-level': { type: 'string' }, 'log-format': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (values['help']) {
      results.line(commandHelp(command));
      return 0;
    }
    const level = choice<LogLevel>('log-level', values['log-level'], LOG_LEVELS, debug ? 'debug' : 'warn');
    const format = choice<LogFormat>('log-format', values['log-format'], LOG_FORMATS, 'text');
    cli = createCliLog({ program: PROGRAM, command: command.name, level, format, lines: stderrLines });
    const { log } = cli;
    if (command.interruptible) {
      // Ctrl-C or SIGTERM: stop after the current item, close outputs properly, then exit 130 / 143.
      // A second signal (an impatient double Ctrl-C) waits for that too: exiting there would leave an
      // output video without its index (an .mp4 without its moov atom plays nowhere). A third exits
      // at once and says what it abandons. Other commands keep the default action (they end at once).
      let signals = 0;
      const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
        signals++;
        stop.reason ??= signal;
        interrupted.value = true;
        if (signals === 1) log.warn({ signal }, 'stopping after the current item');
        else if (signals === 2) log.warn({ signal }, 'still stopping: waiting for the current item and for the outputs to be closed; a third signal exits at once');
        else {
          cli.error('exiting at once: outputs being written (an output video) may be incomplete', { signal });
          process.exit(STOP_STATUS[stop.reason]);
        }
      };
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
    }
    const context: CliContext = {
      log,
      debug,
      interrupted,
      // A macrotask turn: signal handlers and stdout's drain run there, so a loop of synchronous
      // items (decode, detect, classify) still hears Ctrl-C between two of them.
      shouldStop: () => new Promise((resolve) => setImmediate(() => resolve(interrupted.value))),
      emit: (value) => results.line(JSON.stringify(value)),
      reportError: (error) => {
        exitCode = 1;
        cli.error(errorMessage(error));
        showStack(error);
      },
    };
    const status = await command.run(values, positionals, context);
    if (stop.reason) return Math.max(exitCode, STOP_STATUS[stop.reason]);
    return Math.max(status, exitCode);
  } catch (error) {
    // Bad flags and bad settings (given by flag, --set or --config) are bad usage: exit 2.
    if (error instanceof UsageError || error instanceof ConfigError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      cli.error(`${errorMessage(error)}; run \`${PROGRAM} ${command.name} --help\` for usage`);
      showStack(error);
      return 2;
    }
    const known = error instanceof FaceClassificationError;
    cli.error(known ? errorMessage(error) : `unexpected: ${errorMessage(error)}`);
    showStack(error);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    stderrLines.line(`${PROGRAM}: error: ${errorMessage(error)}`);
    process.exitCode = 1;
  },
);
