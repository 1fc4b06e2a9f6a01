/**
 * Frames of one topic in header-stamp order. Recorders store messages as they arrive, which is
 * stamp order for one camera except where transport reordered a few: a window of the last frames is
 * held and the earliest stamp leaves first. Ties keep their recording order.
 */
export interface Stamped {
  stampNs: bigint;
  /** Position in the bag, to keep ties (and equal stamps) in recording order. */
  order: number;
}

export class StampOrder<T extends Stamped> {
  private readonly held: T[] = [];

  constructor(private readonly window = 16) {}

  /** Adds a frame; returns the frame that leaves (the earliest held) once the window is full. */
  push(item: T): T | undefined {
    this.held.push(item);
    if (this.held.length <= this.window) return undefined;
    return this.takeEarliest();
  }

  /** The frames still held, earliest first (at the end of the bag). */
  drain(): T[] {
    const out: T[] = [];
    while (this.held.length > 0) out.push(this.takeEarliest());
    return out;
  }

  private takeEarliest(): T {
    let best = 0;
    for (let i = 1; i < this.held.length; i++) {
      const a = this.held[i]!;
      const b = this.held[best]!;
      if (a.stampNs < b.stampNs || (a.stampNs === b.stampNs && a.order < b.order)) best = i;
    }
    return this.held.splice(best, 1)[0]!;
  }
}
