#!/usr/bin/env node
/**
 * `face-classification`: the command-line adapter over the library. Results go to stdout as JSON
 * lines; logs (pino) and errors go to stderr. Exit status: 0 done, 1 an input or the job failed,
 * 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../log.js';
import { FaceClassificationError, errorMessage } from '../errors.js';
import { UsageError, type CliContext, type Command } from './command.js';
import { COMMANDS } from './commands/index.js';

const PROGRAM = 'face-classification';

function formatOptions(command: Command): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(command.options)) {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ' VALUE' : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${command.help[name] ?? ''}`);
  }
  lines.push(`  ${'    --debug'.padEnd(30)} print stack traces and debug logs`);
  lines.push(`  ${'    --log-level LEVEL'.padEnd(30)} fatal | error | warn | info | debug | silent (default warn)`);
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
    `Run \`${PROGRAM} <command> --help\` for a command's options. Examples:`,
    `  ${PROGRAM} detect photo.jpg --out annotated/`,
    `  ${PROGRAM} classify face1.png faces/ --emotion-model fer2013_big_XCEPTION.54-0.66`,
    `  ${PROGRAM} video --camera 0 --out session.avi`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp() + '\n');
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`${PROGRAM}: unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  const debug = rest.includes('--debug');
  let exitCode = 0;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, 'help': { type: 'boolean', short: 'h' }, 'debug': { type: 'boolean' }, 'log-level': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (values['help']) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    const level = (values['log-level'] as string | undefined) ?? (debug ? 'debug' : 'warn');
    const log = createLogger({ level: level as 'info', name: PROGRAM });
    const interrupted = { value: false };
    process.once('SIGINT', () => {
      interrupted.value = true;
      log.warn({ signal: 'SIGINT' }, 'stopping after the current item');
    });
    const context: CliContext = {
      log,
      debug,
      interrupted,
      emit: (value) => process.stdout.write(JSON.stringify(value) + '\n'),
      reportError: (error) => {
        exitCode = 1;
        process.stderr.write(`${PROGRAM} ${command.name}: error: ${errorMessage(error)}\n`);
        if (debug && error instanceof Error && error.stack) process.stderr.write(error.stack + '\n');
      },
    };
    const status = await command.run(values, positionals, context);
    return Math.max(status, exitCode);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${PROGRAM} ${command.name}: ${errorMessage(error)}\nRun \`${PROGRAM} ${command.name} --help\` for usage.\n`);
      return 2;
    }
    const known = error instanceof FaceClassificationError;
    process.stderr.write(`${PROGRAM} ${command.name}: error: ${known ? errorMessage(error) : `unexpected: ${errorMessage(error)}`}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(error.stack + '\n');
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${PROGRAM}: error: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  },
);
