/**
 * A one-slot mailbox between the image subscription and the worker: the newest frame wins. A frame
 * that arrives while another one waits replaces it (counted as dropped), so a slow pipeline never
 * builds an unbounded queue and always works on the freshest image. Pure; no ROS, no timers.
 */
/** One-off jobs that share the frame worker (see LatestFrame.drain). */
export interface SideLane {
  pending(): boolean;
  /** Runs the oldest waiting job; never rejects. */
  runNext(): Promise<void>;
}

export class LatestFrame<T> {
  private slot: T | undefined;
  private busy = false;
  private waiters: (() => void)[] = [];
  /** Frames replaced before they were processed, since start. */
  dropped = 0;
  /** Frames offered, since start. */
  received = 0;

  /** Offer a frame; returns the frame it displaced (dropped), if any. */
  put(frame: T): T | undefined {
    this.received++;
    const displaced = this.slot;
    if (displaced !== undefined) this.dropped++;
    this.slot = frame;
    return displaced;
  }

  /** Take the waiting frame, if any, leaving the slot empty. */
  take(): T | undefined {
    const frame = this.slot;
    this.slot = undefined;
    return frame;
  }

  get pending(): boolean {
    return this.slot !== undefined;
  }

  /** Forget the waiting frame (deactivate): not counted as dropped. */
  clear(): void {
    this.slot = undefined;
  }

  /**
   * Run `work` on waiting frames one at a time until the slot is empty. Calls made while it runs
   * return at once: the running drain picks up what they put. `settle`, awaited before each frame is
   * taken, lets the caller collect frames already waiting elsewhere (the middleware's queue) first,
   * so that the newest of them is the one processed. `side`, a second lane of one-off jobs (service
   * requests), shares the one worker: one of its jobs runs before each frame, so a job waits behind
   * at most the frame in work and a frame behind at most one job; the drain ends when both are empty.
   */
  async drain(work: (frame: T) => Promise<void> | void, settle?: () => Promise<void>, side?: SideLane): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        if (side?.pending()) await side.runNext();
        if (settle) await settle();
        const frame = this.take();
        if (frame === undefined) {
          // Checked with no await since the last look, so nothing queued meanwhile is left behind.
          if (side?.pending()) continue;
          break;
        }
        await work(frame);
      }
    } finally {
      this.busy = false;
      for (const resolve of this.waiters.splice(0)) resolve();
    }
  }

  get working(): boolean {
    return this.busy;
  }

  /** Resolves when no frame is in work (used before freeing the pipeline). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
