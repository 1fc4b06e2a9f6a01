import fs from 'node:fs';

/**
 * The per-epoch CSV log (Keras's CSVLogger, append mode): one header, one row per epoch. On resume
 * the rows of epochs that will run again are dropped first, so every epoch appears once.
 */
export class CsvLog {
  constructor(readonly file: string, readonly columns: readonly string[]) {}

  /** Keep the header and the rows of epochs before `epoch` (numbered from 1); start a new file if needed. */
  resumeAt(epoch: number): void {
    let lines: string[] = [];
    if (fs.existsSync(this.file)) lines = fs.readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
    const header = this.columns.join(',');
    if (lines[0] !== header) lines = [header];
    const kept = [header, ...lines.slice(1).filter((line) => Number(line.split(',')[0]) < epoch)];
    fs.writeFileSync(this.file, kept.join('\n') + '\n');
  }

  append(row: Record<string, number | string>): void {
    const cells = this.columns.map((c) => {
      const v = row[c];
      return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : (v ?? '');
    });
    fs.appendFileSync(this.file, cells.join(',') + '\n');
  }
}
