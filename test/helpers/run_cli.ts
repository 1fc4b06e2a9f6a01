import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './common.js';

export const cliPath = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout's JSON lines, parsed. */
  lines: Record<string, unknown>[];
  /** stderr's lines, without empty ones. */
  errors: string[];
}

/** The JSON lines of a command's stdout, parsed (other lines are left out). */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** What a terminal shows of `written`: \r returns to the line start, ESC[2K clears the line, \n starts a new one. */
export function terminalScreen(written: string): string[] {
  const lines: string[] = [''];
  for (const part of written.split(/(\r|\n|\x1b\[2K)/)) {
    if (part === '\n') lines.push('');
    else if (part === '\r') continue;
    else if (part === '\x1b[2K') lines[lines.length - 1] = '';
    else lines[lines.length - 1] += part;
  }
  return lines;
}

/** Run the real `face-classification` binary as a child process. */
export function runCli(args: readonly string[], options: { timeout?: number; cwd?: string } = {}): CliRun {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: options.timeout ?? 180_000, cwd: options.cwd ?? repoRoot });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, lines: jsonLines(result.stdout), errors: result.stderr.split('\n').filter((l) => l !== '') };
}
