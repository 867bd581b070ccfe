/**
 * The per-viewer cache behind degree 3 (see docs/graph.md, "Active viewers").
 *
 * For a viewer v it keeps the set R(v) of every member adjacent to a connection of v that is
 * visible to v (the members within two hops through a visible intermediate, plus v and some of
 * v's own connections): the 3rd-degree test for a member m is then "has m a visible connection
 * y in R(v)?", one scan of m's list with an O(1) membership test per entry, instead of expanding
 * the 2-hop neighbourhood of one endpoint.
 *
 * A set is stored as its internal indices grouped by bucket (`y >>> shift`, about 4 per
 * bucket): `keys` (4 bytes per member of the set) and `dir` (bucket starts, about 1.6 bytes per
 * member), behind a bitmap `filter` of about 8 bits per member (bit `y >>> fshift`); a lookup
 * reads one bit, then if set `dir[b]`, `dir[b + 1]` and a few keys. No order inside a bucket.
 *
 * Bounded by a number of viewers and a total of stored ids, evicted least recently used (a
 * doubly-linked list over slots). A viewer is admitted the second time it needs the 3rd-degree
 * test (`admitAfter` 2, the default): a viewer seen once pays nothing beyond an O(1) mark in a
 * ring of recent sightings. Its set is then built off the request path (`build: 'idle'`, the
 * default: queued, built by the owner from `setImmediate`, a bounded number of ids per turn) or
 * inside the query that admits it (`'sync'`). The owner (GraphIndex) drops entries whose set may
 * have changed.
 */

export interface ViewerCacheOptions {
  /** Most viewers cached at once. Default 1024. */
  viewers?: number;
  /** Most member ids stored over all cached viewers (about 6.6 bytes each). Default 8,000,000. */
  ids?: number;
  /** Build a viewer's set the n-th time it is needed (1 or 2). Default 2. */
  admitAfter?: 1 | 2;
  /** 'idle' (default): build admitted viewers' sets from setImmediate; 'sync': in the query. */
  build?: 'idle' | 'sync';
}

export interface ViewerCacheStats {
  viewers: number;
  ids: number;
  bytes: number;
  hits: number;
  builds: number;
  evictions: number;
  drops: number;
}

const NONE = -1;
const SEEN = -2;
const PENDING = -3;
/** admit(): not yet; build now; queued (the owner schedules flushing). */
export const LATER = 0;
export const NOW = 1;
export const QUEUED = 2;
const EMPTY = new Int32Array(0);
export class ViewerCache {
  readonly maxViewers: number;
  readonly maxIds: number;
  readonly admitAfter: number;
  readonly idle: boolean;
  /** Viewers admitted and waiting for their set (idle mode), oldest first. */
  pending: number[] = [];

  /** node -> slot (>= 0), SEEN, or NONE. Allocated on first use. */
  slotOf: Int32Array = new Int32Array(0);
  private owner: Int32Array;
  keys: Int32Array[];
  dirs: Int32Array[];
  shifts: Int32Array;
  filters: Int32Array[];
  fshifts: Int32Array;
  private prev: Int32Array;
  private next: Int32Array;
  private head = NONE; // most recently used
  private tail = NONE; // least recently used
  private free: number[] = [];
  /** Recent sightings (SEEN marks), overwritten in turn: bounds the marks without a sweep. */
  private ring: Int32Array;
  private ringPos = 0;

  size = 0;
  ids = 0;
  hits = 0;
  builds = 0;
  evictions = 0;
  drops = 0;

  constructor(options: ViewerCacheOptions = {}) {
    this.maxViewers = Math.max(1, Math.floor(options.viewers ?? 1024));
    this.maxIds = Math.max(1, Math.floor(options.ids ?? 8_000_000));
    this.admitAfter = options.admitAfter ?? 2;
    this.idle = (options.build ?? 'idle') === 'idle';
    const n = this.maxViewers;
    this.owner = new Int32Array(n).fill(NONE);
    this.keys = new Array<Int32Array>(n).fill(EMPTY);
    this.dirs = new Array<Int32Array>(n).fill(EMPTY);
    this.shifts = new Int32Array(n);
    this.filters = new Array<Int32Array>(n).fill(EMPTY);
    this.fshifts = new Int32Array(n);
    this.prev = new Int32Array(n).fill(NONE);
    this.next = new Int32Array(n).fill(NONE);
    for (let s = n - 1; s >= 0; s--) this.free.push(s);
    this.ring = new Int32Array(this.admitAfter > 1 ? 4 * n : 0).fill(NONE);
  }

  private ensure(cap: number): void {
    if (this.slotOf.length >= cap) return;
    const a = new Int32Array(Math.max(cap, 16)).fill(NONE);
    a.set(this.slotOf);
    this.slotOf = a;
  }

  /** The cached slot of node v (marked most recently used), or -1. */
  get(v: number): number {
    if (v >= this.slotOf.length) return NONE;
    const s = this.slotOf[v];
    if (s < 0) return NONE;
    if (s !== this.head) {
      this.unlink(s);
      this.pushFront(s);
    }
    this.hits++;
    return s;
  }

  /** Records a sighting of v (not cached): LATER, NOW (build it in this query) or QUEUED (in `pending`). */
  admit(v: number, cap: number): number {
    this.ensure(cap);
    const st = this.slotOf[v];
    if (st === PENDING) return LATER;
    if (this.admitAfter > 1 && st !== SEEN) {
      this.see(v);
      return LATER;
    }
    if (!this.idle) return NOW;
    if (this.pending.length >= this.maxViewers) return LATER;
    this.slotOf[v] = PENDING;
    this.pending.push(v);
    return QUEUED;
  }

  /** The next queued viewer still waiting (its mark cleared), or -1. */
  nextPending(): number {
    while (this.pending.length > 0) {
      const v = this.pending.shift()!;
      if (this.slotOf[v] === PENDING) {
        this.slotOf[v] = NONE;
        return v;
      }
    }
    return NONE;
  }

  private see(v: number): void {
    const old = this.ring[this.ringPos];
    if (old >= 0 && this.slotOf[old] === SEEN) this.slotOf[old] = NONE;
    this.ring[this.ringPos] = v;
    this.ringPos = (this.ringPos + 1) % this.ring.length;
    this.slotOf[v] = SEEN;
  }

  /** Stores v's set; evicts least recently used viewers to make room. -1 if it cannot fit. */
  put(v: number, keys: Int32Array, dir: Int32Array, shift: number, filter: Int32Array, fshift: number, cap: number): number {
    if (keys.length > this.maxIds) return NONE;
    this.ensure(cap);
    this.drop(v);
    while (this.size >= this.maxViewers || this.ids + keys.length > this.maxIds) {
      this.remove(this.tail);
      this.evictions++;
    }
    const s = this.free.pop()!;
    this.owner[s] = v;
    this.keys[s] = keys;
    this.dirs[s] = dir;
    this.shifts[s] = shift;
    this.filters[s] = filter;
    this.fshifts[s] = fshift;
    this.slotOf[v] = s;
    this.pushFront(s);
    this.size++;
    this.ids += keys.length;
    this.builds++;
    return s;
  }

  /** Forgets node v's set (if cached). */
  drop(v: number): void {
    if (v < this.slotOf.length && this.slotOf[v] >= 0) {
      this.remove(this.slotOf[v]);
      this.drops++;
    }
  }

  clear(): void {
    while (this.tail !== NONE) this.remove(this.tail);
    for (const v of this.pending) if (this.slotOf[v] === PENDING) this.slotOf[v] = NONE;
    this.pending = [];
  }

  private remove(s: number): void {
    this.unlink(s);
    this.slotOf[this.owner[s]] = NONE;
    this.owner[s] = NONE;
    this.ids -= this.keys[s].length;
    this.keys[s] = EMPTY;
    this.dirs[s] = EMPTY;
    this.filters[s] = EMPTY;
    this.size--;
    this.free.push(s);
  }

  private unlink(s: number): void {
    const p = this.prev[s];
    const n = this.next[s];
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
    this.prev[s] = NONE;
    this.next[s] = NONE;
  }

  private pushFront(s: number): void {
    this.prev[s] = NONE;
    this.next[s] = this.head;
    if (this.head !== NONE) this.prev[this.head] = s;
    this.head = s;
    if (this.tail === NONE) this.tail = s;
  }

  memoryBytes(): number {
    let b =
      this.pending.length * 8 +
      this.slotOf.byteLength +
      this.owner.byteLength +
      this.shifts.byteLength +
      this.fshifts.byteLength +
      this.prev.byteLength +
      this.next.byteLength +
      this.ring.byteLength;
    b += this.maxViewers * 24; // the three arrays of references
    for (let s = 0; s < this.maxViewers; s++) {
      if (this.owner[s] === NONE) continue;
      b += this.keys[s].byteLength + this.dirs[s].byteLength + this.filters[s].byteLength + 3 * 96; // three typed-array headers
    }
    return b;
  }

  stats(): ViewerCacheStats {
    return {
      viewers: this.size,
      ids: this.ids,
      bytes: this.memoryBytes(),
      hits: this.hits,
      builds: this.builds,
      evictions: this.evictions,
      drops: this.drops,
    };
  }
}
