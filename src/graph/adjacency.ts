/**
 * Sorted adjacency lists in CSR form (one Int32Array of neighbours + one Int32Array of offsets)
 * with a copy-on-write overlay for recent changes.
 *
 * - Base: node i's neighbours are `nbr[off[i] .. off[i+1])`, sorted ascending, no duplicates.
 *   `off` covers the whole node capacity; nodes created after the last compaction have an empty
 *   base range.
 * - Overlay: the first change to node i copies its list into its own growable Int32Array
 *   (`lists[slot[i]]`, length `lens[slot[i]]`), where later changes are made in place. A read is
 *   one branch: base range or overlay list. `compact()` folds every overlay list back into a fresh
 *   CSR. `overlayCells` (sum of overlay capacities) tells the owner when to compact.
 *
 * Readers use `span(i)`, which sets `arr`, `s`, `e` on this object (no allocation).
 */
export class Adjacency {
  off: Int32Array;
  nbr: Int32Array;
  slot: Int32Array;
  lists: Int32Array[] = [];
  lens: number[] = [];
  private freeSlots: number[] = [];
  /** Sum of the capacities of overlay lists. */
  overlayCells = 0;
  /** Number of stored entries (directed). */
  total: number;
  cap: number;

  // Result of span(): the list of the last node asked for is arr[s .. e).
  arr: Int32Array;
  s = 0;
  e = 0;

  constructor(cap: number, off?: Int32Array, nbr?: Int32Array) {
    this.cap = cap;
    if (off && nbr) {
      if (off.length !== cap + 1) throw new Error('Adjacency: offsets must have cap + 1 entries');
      this.off = off;
      this.nbr = nbr;
      this.total = off[cap];
    } else {
      this.off = new Int32Array(cap + 1);
      this.nbr = new Int32Array(0);
      this.total = 0;
    }
    this.slot = new Int32Array(cap).fill(-1);
    this.arr = this.nbr;
  }

  /** Grows node capacity to at least `n` (new nodes have no neighbours). */
  ensureCapacity(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, Math.ceil(this.cap * 1.5), 16);
    const off = new Int32Array(cap + 1);
    off.set(this.off);
    off.fill(this.off[this.cap], this.cap + 1);
    const slot = new Int32Array(cap).fill(-1);
    slot.set(this.slot);
    this.off = off;
    this.slot = slot;
    this.cap = cap;
  }

  span(i: number): void {
    const sl = this.slot[i];
    if (sl < 0) {
      this.arr = this.nbr;
      this.s = this.off[i];
      this.e = this.off[i + 1];
    } else {
      this.arr = this.lists[sl];
      this.s = 0;
      this.e = this.lens[sl];
    }
  }

  size(i: number): number {
    if (i < 0 || i >= this.cap) return 0;
    const sl = this.slot[i];
    return sl < 0 ? this.off[i + 1] - this.off[i] : this.lens[sl];
  }

  has(i: number, j: number): boolean {
    if (i < 0 || i >= this.cap) return false;
    this.span(i);
    const p = lowerBound(this.arr, this.s, this.e, j);
    return p < this.e && this.arr[p] === j;
  }

  /** Copies node i's list into the overlay (once) and returns its slot. */
  private own(i: number, extra: number): number {
    let sl = this.slot[i];
    if (sl >= 0) {
      const len = this.lens[sl];
      const list = this.lists[sl];
      if (len + extra > list.length) {
        const grown = new Int32Array(Math.max(len + extra, Math.ceil(list.length * 1.5), 4));
        grown.set(list.subarray(0, len));
        this.overlayCells += grown.length - list.length;
        this.lists[sl] = grown;
      }
      return sl;
    }
    const s = this.off[i];
    const e = this.off[i + 1];
    const len = e - s;
    const list = new Int32Array(Math.max(len + extra, Math.ceil(len * 1.25), 4));
    list.set(this.nbr.subarray(s, e));
    sl = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.lists.length;
    this.lists[sl] = list;
    this.lens[sl] = len;
    this.slot[i] = sl;
    this.overlayCells += list.length;
    return sl;
  }

  /** Inserts j into i's list; false if already there. */
  add(i: number, j: number): boolean {
    this.ensureCapacity(i + 1);
    this.span(i);
    const p0 = lowerBound(this.arr, this.s, this.e, j);
    if (p0 < this.e && this.arr[p0] === j) return false;
    const p = p0 - this.s;
    const sl = this.own(i, 1);
    const list = this.lists[sl];
    const len = this.lens[sl];
    list.copyWithin(p + 1, p, len);
    list[p] = j;
    this.lens[sl] = len + 1;
    this.total++;
    return true;
  }

  /** Removes j from i's list; false if it was not there. */
  remove(i: number, j: number): boolean {
    if (i < 0 || i >= this.cap) return false;
    this.span(i);
    const p0 = lowerBound(this.arr, this.s, this.e, j);
    if (p0 >= this.e || this.arr[p0] !== j) return false;
    const p = p0 - this.s;
    const sl = this.own(i, 0);
    const list = this.lists[sl];
    const len = this.lens[sl];
    list.copyWithin(p, p + 1, len);
    this.lens[sl] = len - 1;
    this.total--;
    return true;
  }

  /** Folds the overlay into a fresh CSR. */
  compact(): void {
    if (this.lists.length === 0) return;
    const cap = this.cap;
    const off = new Int32Array(cap + 1);
    let t = 0;
    for (let i = 0; i < cap; i++) {
      off[i] = t;
      t += this.size(i);
    }
    off[cap] = t;
    const nbr = new Int32Array(t);
    const oldOff = this.off;
    const oldNbr = this.nbr;
    // Copy runs of consecutive base nodes in one go.
    let i = 0;
    while (i < cap) {
      const sl = this.slot[i];
      if (sl >= 0) {
        nbr.set(this.lists[sl].subarray(0, this.lens[sl]), off[i]);
        i++;
        continue;
      }
      let j = i;
      while (j < cap && this.slot[j] < 0) j++;
      nbr.set(oldNbr.subarray(oldOff[i], oldOff[j]), off[i]);
      i = j;
    }
    this.off = off;
    this.nbr = nbr;
    this.arr = nbr;
    this.slot.fill(-1);
    this.lists = [];
    this.lens = [];
    this.freeSlots = [];
    this.overlayCells = 0;
    this.total = t;
  }

  memoryBytes(): number {
    return this.off.byteLength + this.nbr.byteLength + this.slot.byteLength + this.overlayCells * 4 + this.lists.length * 80;
  }
}

/** First position p in [lo, hi) with a[p] >= x (hi if none). */
export function lowerBound(a: Int32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Like lowerBound but galloping from lo: cheap when the answer is near lo. */
export function gallop(a: Int32Array, lo: number, hi: number, x: number): number {
  let step = 1;
  let probe = lo;
  while (probe < hi && a[probe] < x) {
    lo = probe + 1;
    probe = lo + step;
    step <<= 1;
  }
  return lowerBound(a, lo, probe < hi ? probe : hi, x);
}

/**
 * Builds a sorted, duplicate-free CSR of the directed entries src[k] -> dst[k] (k < m), sources
 * 0 .. n-1, destinations 0 .. nDst-1. An LSD radix sort: stable by destination, then stable by
 * source, each a two-level counting sort (first into <= 256 buckets by the high bits, then by the
 * low bits inside each bucket) so that every scatter stays within a cache-sized region instead of
 * jumping across the whole array (which on a 50M-entry graph costs a TLB miss per entry).
 * `src` and `dst` are reordered in place (and `dst` may become the returned `nbr`). Self-loops are
 * dropped unless `dropSelfLoops` is false (sources and destinations from different sets).
 */
export function buildSortedCsr(
  n: number,
  nDst: number,
  src: Int32Array,
  dst: Int32Array,
  m: number,
  cap: number = n,
  dropSelfLoops = true,
): { off: Int32Array; nbr: Int32Array } {
  const tmpK = new Int32Array(m);
  const tmpV = new Int32Array(m);
  radixByKey(dst, src, m, nDst, tmpK, tmpV);
  radixByKey(src, dst, m, n, tmpK, tmpV);
  // Now sorted by (src, dst): build offsets, dropping duplicates and self-loops in place.
  const off = new Int32Array(cap + 1);
  let w = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    off[i] = w;
    let last = -1;
    for (; k < m && src[k] === i; k++) {
      const v = dst[k];
      if (v !== last && (v !== i || !dropSelfLoops)) {
        dst[w++] = v;
        last = v;
      }
    }
  }
  off.fill(w, n);
  const nbr = w === dst.length ? dst : dst.slice(0, w);
  return { off, nbr };
}

/** Stable sort of the first m entries of (key, val) by key (0 .. nKeys-1), in place, via tmp arrays. */
function radixByKey(key: Int32Array, val: Int32Array, m: number, nKeys: number, tmpK: Int32Array, tmpV: Int32Array): void {
  let bits = 0;
  while (1 << bits < nKeys) bits++;
  const shift = Math.max(0, bits - 8);
  const nb = (Math.max(nKeys - 1, 0) >>> shift) + 1;
  // Level 1: by bucket (high bits) into tmp.
  const bStart = new Int32Array(nb + 1);
  for (let k = 0; k < m; k++) bStart[(key[k] >>> shift) + 1]++;
  for (let b = 0; b < nb; b++) bStart[b + 1] += bStart[b];
  const pos = bStart.slice(0, nb);
  for (let k = 0; k < m; k++) {
    const kk = key[k];
    const p = pos[kk >>> shift]++;
    tmpK[p] = kk;
    tmpV[p] = val[k];
  }
  // Level 2: inside each bucket, by the low bits, back into key/val.
  const lowMask = (1 << shift) - 1;
  const cnt = new Int32Array((1 << shift) + 1);
  for (let b = 0; b < nb; b++) {
    const s = bStart[b];
    const e = bStart[b + 1];
    if (e - s === 0) continue;
    cnt.fill(0);
    for (let p = s; p < e; p++) cnt[(tmpK[p] & lowMask) + 1]++;
    cnt[0] = s;
    for (let j = 0; j < lowMask + 1; j++) cnt[j + 1] += cnt[j];
    for (let p = s; p < e; p++) {
      const kk = tmpK[p];
      const q = cnt[kk & lowMask]++;
      key[q] = kk;
      val[q] = tmpV[p];
    }
  }
}
