/**
 * A sliding-window counter per key, on the injected clock (tests move it): at most `max()` hits in
 * any `windowMs`. In memory, per instance (like the sign-in limits); the number of keys is bounded.
 */
export class WindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly max: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  /**
   * Counts a hit for `key` at `now` and returns 0; or, when the window is full, counts nothing and
   * returns the seconds until a hit leaves it.
   */
  take(key: string, now: number): number {
    const since = now - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (list.length >= this.max()) {
      this.hits.set(key, list);
      const oldest = list[0] ?? now;
      return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    }
    list.push(now);
    this.hits.delete(key);
    this.hits.set(key, list);
    if (this.hits.size > this.maxKeys) {
      // Maps iterate in insertion order: the least recently hit keys go first.
      let n = Math.ceil(this.maxKeys / 10);
      for (const k of this.hits.keys()) {
        this.hits.delete(k);
        if (--n <= 0) break;
      }
    }
    return 0;
  }
}
