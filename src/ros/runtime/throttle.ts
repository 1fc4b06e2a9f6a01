/**
 * At most one log line per key and interval, like rclcpp's RCLCPP_WARN_THROTTLE, but never silent
 * about what it held back: the next line of a key carries how many were suppressed since the last,
 * and `due()` returns the keys whose interval passed with suppressed lines still unreported (the node
 * asks once per second, so a burst that stopped is still summed up). Pure: times are passed in.
 */
export class Throttle<K extends string = string> {
  private readonly keys = new Map<K, { last: number; suppressed: number }>();

  constructor(private readonly intervalMs: number) {}

  /**
   * May a line for `key` be written at `now`? Returns the number of lines suppressed since the
   * previous one (0 for the first), or undefined when this one is to be suppressed.
   */
  pass(key: K, now: number): number | undefined {
    const entry = this.keys.get(key);
    if (entry && now - entry.last < this.intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.keys.set(key, { last: now, suppressed: 0 });
    return suppressed;
  }

  /** Keys with suppressed lines whose interval has passed, and their counts; they start afresh. */
  due(now: number): { key: K; suppressed: number }[] {
    const out: { key: K; suppressed: number }[] = [];
    for (const [key, entry] of this.keys) {
      if (entry.suppressed > 0 && now - entry.last >= this.intervalMs) {
        out.push({ key, suppressed: entry.suppressed });
        this.keys.set(key, { last: now, suppressed: 0 });
      }
    }
    return out;
  }
}
