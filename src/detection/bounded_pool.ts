/**
 * At most `max` objects made by `make`, lent one caller at a time: `acquire` waits while all are
 * lent, `release` hands the object to the next waiter or keeps it for later.
 */
export class BoundedPool<T> {
  private readonly idle: T[] = [];
  private readonly waiting: ((item: T) => void)[] = [];
  private created = 0;

  constructor(
    private readonly make: () => T,
    readonly max: number,
  ) {
    if (!(max >= 1)) throw new RangeError(`BoundedPool: max must be at least 1 (got ${max})`);
  }

  acquire(): Promise<T> {
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** An object now, if one is idle or may still be made; else undefined (for callers that cannot wait). */
  tryAcquire(): T | undefined {
    const ready = this.idle.pop();
    if (ready !== undefined) return ready;
    if (this.created >= this.max) return undefined;
    // Counted once made: a `make` that throws leaves the bound as it was.
    const item = this.make();
    this.created++;
    return item;
  }

  release(item: T): void {
    const next = this.waiting.shift();
    if (next) next(item);
    else this.idle.push(item);
  }

  /** How many objects exist (lent or idle). */
  get size(): number {
    return this.created;
  }
}
