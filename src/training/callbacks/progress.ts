/** What the trainer reports after each batch. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Running means over the epoch so far. */
  loss: number;
  accuracy: number;
  /** Seconds since the epoch started. */
  elapsed: number;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/**
 * Keras-style progress line for a terminal, redrawn in place at most 10 times a second:
 * `epoch 3/100 [#####.....] 412/898 loss 1.2345 acc 0.5123 ETA 4:12`. When the stream is not a
 * terminal (a background run's log), `onTick` gets the same numbers at every tenth of an epoch.
 */
export class TrainingProgress {
  private lastDraw = 0;
  private lastTenth = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly onTick?: (p: BatchProgress & { eta: number }) => void,
  ) {}

  update(p: BatchProgress): void {
    if (!this.stream.isTTY) {
      const tenth = Math.floor((p.batch * 10) / p.batches);
      if (p.batch === 1) this.lastTenth = 0;
      if (tenth > this.lastTenth && tenth < 10) {
        this.lastTenth = tenth;
        this.onTick?.({ ...p, eta: (p.elapsed / p.batch) * (p.batches - p.batch) });
      }
      return;
    }
    const now = performance.now();
    if (p.batch < p.batches && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((p.batch / p.batches) * width);
    const eta = (p.elapsed / Math.max(1, p.batch)) * (p.batches - p.batch);
    this.stream.write(
      `\repoch ${p.epoch}/${p.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(4)} ETA ${clock(eta)}  `,
    );
  }

  /** End the line (before a log line or the next epoch). */
  done(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
