/**
 * Where the commands write their files (--out): a folder made safely, and output names that are
 * unique within a run, so that a/face.jpg, b/face.jpg and face.png never write the same file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './command.js';

const code = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

/**
 * Make the folder `dir` of option --`flag` (and its missing parents), one level at a time: Node's
 * recursive mkdir spins forever where mkdir answers ENOENT for an existing parent (under /proc).
 * Throws one UsageError naming the option and the reason.
 */
export function ensureFolder(flag: string, dir: string, forFile?: string): void {
  // Messages name what the user typed: the folder, or the file whose folder it is.
  const subject = forFile === undefined ? `--${flag} ${dir}: the folder` : `--${flag} ${forFile}: its folder ${dir}`;
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let at = absolute; ; ) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(at);
    } catch (error) {
      if (code(error) !== 'ENOENT' && code(error) !== 'ENOTDIR') throw new UsageError(`${subject} cannot be used (${code(error)})`);
      missing.unshift(at);
      at = path.dirname(at);
      continue;
    }
    if (!stat.isDirectory()) throw new UsageError(forFile === undefined ? `--${flag} ${dir}: ${at === absolute ? '' : `${at} `}is a file, not a folder` : `--${flag} ${forFile}: ${at} is a file, not a folder`);
    break;
  }
  for (const folder of missing) {
    try {
      fs.mkdirSync(folder);
    } catch (error) {
      throw new UsageError(`${forFile === undefined ? `--${flag} ${dir}:` : `--${flag} ${forFile}:`} cannot create the folder ${folder} (${code(error)})`);
    }
  }
  // A file is made and removed rather than asking access(2): root passes that check for folders no
  // one can write into (/sys, /proc, a read-only mount), which then failed after the whole job.
  const probe = path.join(absolute, `.face-classification-write-test-${process.pid}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.unlinkSync(probe);
  } catch (error) {
    if (code(error) !== 'EEXIST') throw new UsageError(`${subject} is not writable (${code(error)})`);
  }
}

/**
 * The file `file` of option --`flag` can be written: not a folder, its folder made (ensureFolder),
 * an existing file opened for writing without being truncated, a new one made and removed again.
 * Throws one UsageError naming the option, the path and the reason, before any work is done.
 */
export function ensureWritableFile(flag: string, file: string): void {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) throw new UsageError(`--${flag} ${file}: is a folder; give a file name`);
  ensureFolder(flag, path.dirname(path.resolve(file)), file);
  try {
    if (stat) fs.closeSync(fs.openSync(file, 'r+'));
    else {
      fs.closeSync(fs.openSync(file, 'wx'));
      fs.unlinkSync(file);
    }
  } catch (error) {
    throw new UsageError(`--${flag} ${file}: cannot be written (${code(error)})`);
  }
}

/**
 * Output names of one run. `base(relative)` gives the path, without extension, under the output
 * folder for an input (`relative`: its path under the folder given on the command line, or its
 * base name when the file was given itself): the input's path without extension, with the
 * extension kept when another input already took that (gray.png, gray.jpg), then a counter.
 * Callers add their suffixes (`.annotated.png`). A base is never given twice.
 */
export class OutputNames {
  private readonly used = new Set<string>();

  constructor(private readonly dir: string) {}

  base(relative: string): string {
    const extension = path.extname(relative);
    const stem = relative.slice(0, relative.length - extension.length);
    const candidates = [stem, relative];
    for (let n = 2; candidates.every((c) => this.used.has(c)); n++) candidates.push(`${stem}-${n}`);
    const chosen = candidates.find((c) => !this.used.has(c))!;
    this.used.add(chosen);
    const base = path.join(this.dir, chosen);
    // Inputs from sub-folders keep their sub-folder under the (already checked) output folder.
    fs.mkdirSync(path.dirname(base), { recursive: true });
    return base;
  }
}

/** The same file, whatever the paths say (links, `./`, hard links); false when either does not exist. */
export function sameFile(a: string, b: string): boolean {
  try {
    const [sa, sb] = [fs.statSync(a), fs.statSync(b)];
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}
