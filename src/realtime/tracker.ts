/**
 * Which outbox events this instance has applied, to de-duplicate what arrives twice (through the bus
 * and through the catch-up from storage) and to know what to ask storage for.
 *
 * PostgreSQL identity ids are handed out at insert but become visible at commit, so they can
 * commit out of order, and a rolled-back transaction leaves a hole for ever. The tracker keeps the
 * highest id applied (`high`) and the ids below it not seen yet (`gaps`, with the time each was
 * noticed). An id is new iff it is above `high` or is a gap. A gap that stays empty longer than
 * `gapTtlMs` is taken to be a rolled-back id and forgotten.
 */
export class EventTracker {
  private max: number;
  private readonly gaps = new Map<number, number>();

  constructor(
    start = 0,
    readonly gapTtlMs = 30_000,
    readonly maxGaps = 100_000,
  ) {
    this.max = start;
  }

  /** The highest event id applied. */
  get high(): number {
    return this.max;
  }

  /** True the first time an id is seen (and records it); false for a duplicate. */
  mark(id: number, now = Date.now()): boolean {
    if (id > this.max) {
      const missing = id - this.max - 1;
      if (missing > 0 && missing + this.gaps.size <= this.maxGaps) for (let k = this.max + 1; k < id; k++) this.gaps.set(k, now);
      this.max = id;
      return true;
    }
    return this.gaps.delete(id);
  }

  /** Whether an id would be new (without recording it). */
  isNew(id: number): boolean {
    return id > this.max || this.gaps.has(id);
  }

  /** Ids below `high` known to be missing (for instance absent from storage when the index was loaded). */
  addGaps(ids: Iterable<number>, now = Date.now()): void {
    for (const id of ids) if (id <= this.max && this.gaps.size < this.maxGaps) this.gaps.set(id, now);
  }

  /** The gaps still worth asking storage for; forgets those older than the TTL. */
  openGaps(now = Date.now()): number[] {
    const out: number[] = [];
    for (const [id, since] of this.gaps) {
      if (now - since > this.gapTtlMs) this.gaps.delete(id);
      else out.push(id);
    }
    return out;
  }

  get gapCount(): number {
    return this.gaps.size;
  }
}
