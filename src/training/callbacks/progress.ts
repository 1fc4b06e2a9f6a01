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

/** Seconds left in the epoch at the pace so far. */
export function epochEta(p: BatchProgress): number {
  return (p.elapsed / Math.max(1, p.batch)) * (p.batches - p.batch);
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** Keras-style status line: `epoch 3/100 [#####.....] 412/898 loss 1.2345 acc 0.5123 ETA 4:12`. */
export function progressText(p: BatchProgress, width = 24): string {
  const filled = Math.round((p.batch / p.batches) * width);
  return `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(4)} ETA ${clock(epochEta(p))}`;
}

/** True at the batches that end each tenth of an epoch (for logs where no status line can be redrawn). */
export function isTenth(p: BatchProgress): boolean {
  return p.batch < p.batches && Math.floor((p.batch * 10) / p.batches) > Math.floor(((p.batch - 1) * 10) / p.batches);
}
