/**
 * The command line's two output streams, written synchronously so that an error is known at once:
 * stdout carries results (JSON lines) and notices when its reader has gone (`| head -1`), stderr
 * carries one line per event and a progress bar's status line, which those lines never glue onto.
 */
import fs from 'node:fs';
import tty from 'node:tty';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Write all of `text` to `fd`; a full non-blocking pipe (EAGAIN) is waited for. Throws other errors (EPIPE). */
function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

const isGone = (error: unknown): boolean => ['EPIPE', 'ECONNRESET', 'EBADF'].includes((error as NodeJS.ErrnoException).code ?? '');

/** Result lines on stdout. When the reader closes the pipe, `closed` is set, `onClose` runs once and later lines are dropped. */
export class ResultOutput {
  closed = false;

  constructor(
    private readonly onClose: () => void,
    private readonly write: (text: string) => void = (text) => writeAll(1, text),
    /** stderr's lines when both streams show on one terminal: a result line must not land on its status line. */
    private readonly terminal: StderrLines | undefined = tty.isatty(1) ? stderrLines : undefined,
  ) {}

  line(text: string): void {
    if (this.closed) return;
    try {
      const send = (): void => this.write(text + '\n');
      if (this.terminal) this.terminal.beside(send);
      else send();
    } catch (error) {
      if (!isGone(error)) throw error;
      this.closed = true;
      this.onClose();
    }
  }
}

/** Event lines and one redrawn status line on stderr. */
export class StderrLines {
  private status = '';

  constructor(
    readonly isTTY: boolean = tty.isatty(2),
    private readonly write: (text: string) => void = (text) => writeAll(2, text),
  ) {}

  /** One event line; a status line on screen is cleared first and drawn again below it. */
  line(text: string): void {
    this.send(this.status ? `\r\x1b[2K${text}\n${this.status}` : `${text}\n`);
  }

  /** Replace the status line (terminals only). */
  draw(status: string): void {
    if (!this.isTTY) return;
    this.status = status;
    this.send(`\r\x1b[2K${status}`);
  }

  /**
   * Let `write` put a line on the same terminal through another stream (stdout's results): a status
   * line on screen is cleared first and drawn again below that line, so they never share a line.
   */
  beside(write: () => void): void {
    if (!this.status) {
      write();
      return;
    }
    this.send('\r\x1b[2K');
    write();
    this.send(this.status);
  }

  /** Leave the status line where it is and move below it. */
  endStatus(): void {
    if (!this.status) return;
    this.status = '';
    this.send('\n');
  }

  private send(text: string): void {
    try {
      this.write(text);
    } catch {
      // stderr is gone (closed pipe): there is no one left to tell.
    }
  }
}

/** The process's stderr, shared by the logger, the error lines and the progress bar. */
export const stderrLines = new StderrLines();
