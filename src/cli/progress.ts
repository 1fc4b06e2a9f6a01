import { stderrLines, type StderrLines } from './terminal.js';

/** A one-line progress bar on stderr, redrawn in place; silent when stderr is not a terminal. */
export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly lines: StderrLines = stderrLines,
  ) {}

  update(done: number, force = false): void {
    if (!this.lines.isTTY) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const fps = done / Math.max(1e-3, (now - this.started) / 1000);
    const width = 30;
    if (this.total > 0) {
      const fraction = Math.min(1, done / this.total);
      const filled = Math.round(fraction * width);
      this.lines.draw(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${this.total} frames ${fps.toFixed(1)} fps`);
    } else {
      this.lines.draw(`${done} frames ${fps.toFixed(1)} fps`);
    }
  }

  finish(done: number): void {
    this.update(done, true);
    this.lines.endStatus();
  }
}
