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
}

/** Run the real `face-classification` binary as a child process. */
export function runCli(args: readonly string[], options: { timeout?: number; cwd?: string } = {}): CliRun {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: options.timeout ?? 180_000, cwd: options.cwd ?? repoRoot });
  const lines = result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, lines };
}
