/**
 * The bulk build of the graph index from flat edge lists: member ids to dense indices in ascending
 * id order, then each relation as a sorted CSR. GraphIndex.fromEdges assembles the index from these
 * parts (and applies hidden members and blocks through its own verbs).
 */
import { Adjacency, buildSortedCsr } from './adjacency.js';
import { IdMap, isValidId } from './idmap.js';

const EMPTY = new Int32Array(0);

/** Flat pairs `[a0, b0, a1, b1, ...]`. */
export type Pairs = Int32Array | ArrayLike<number>;

export interface GraphInput {
  /** Undirected connections, flat pairs. */
  connections?: Pairs;
  /** Follows, flat pairs (follower, followee). */
  follows?: Pairs;
  /** Blocks, flat pairs (blocker, blocked). */
  blocks?: Pairs;
  /** Group memberships: flat pairs (groupId, memberId) or `[groupId, memberId][]`. */
  groupMembers?: Pairs | ReadonlyArray<readonly [number, number]>;
  /** Deactivated or closed members. */
  hidden?: ArrayLike<number>;
}

/** What the index is assembled from. */
export interface BuiltParts {
  sortedIds: Int32Array;
  translate: (id: number) => number;
  n: number;
  cap: number;
  conn: Adjacency;
  fol: Adjacency;
  grp: Adjacency;
  gids: IdMap;
  gCount: number;
  hidden: ArrayLike<number>;
  blocks: ArrayLike<number>;
  /** reports a finished phase to the progress callback */
  phase: (name: string, items: number) => void;
}

export function buildParts(input: GraphInput, progress?: (phase: string, info: { ms: number; items: number }) => void): BuiltParts {
  let t0 = performance.now();
  const phase = (name: string, items: number) => {
    const t = performance.now();
    progress?.(name, { ms: t - t0, items });
    t0 = t;
  };
  const conns = input.connections ?? EMPTY;
  const follows = input.follows ?? EMPTY;
  const blocks = input.blocks ?? EMPTY;
  const groups = flattenPairs(input.groupMembers ?? EMPTY);
  const hidden = input.hidden ?? EMPTY;
  for (const [name, p] of [
    ['connections', conns],
    ['follows', follows],
    ['blocks', blocks],
    ['groupMembers', groups],
  ] as const) {
    if (p.length % 2 !== 0) throw new RangeError(`fromEdges: ${name} must hold an even number of ids`);
  }

  // 1. Member ids -> dense indices in ascending id order.
  let maxId = 0;
  let endpoints = 0;
  const scan = (arr: ArrayLike<number>, step: number, from: number) => {
    for (let i = from; i < arr.length; i += step) {
      const id = arr[i];
      if (!isValidId(id)) throw new RangeError(`fromEdges: invalid member id ${id}`);
      if (id > maxId) maxId = id;
      endpoints++;
    }
  };
  scan(conns, 1, 0);
  scan(follows, 1, 0);
  scan(blocks, 1, 0);
  scan(groups, 2, 1);
  scan(hidden, 1, 0);
  for (let i = 0; i < groups.length; i += 2) {
    if (!isValidId(groups[i])) throw new RangeError(`fromEdges: invalid group id ${groups[i]}`);
  }

  let translate: (id: number) => number;
  let sortedIds: Int32Array;
  if (maxId <= 1 << 26 && maxId <= 16 * endpoints + 1024) {
    // Dense ids: a direct table (transient).
    const table = new Int32Array(maxId + 1);
    const mark = (arr: ArrayLike<number>, step: number, from: number) => {
      for (let i = from; i < arr.length; i += step) table[arr[i]] = 1;
    };
    mark(conns, 1, 0);
    mark(follows, 1, 0);
    mark(blocks, 1, 0);
    mark(groups, 2, 1);
    mark(hidden, 1, 0);
    let count = 0;
    for (let id = 1; id <= maxId; id++) if (table[id] !== 0) count++;
    sortedIds = new Int32Array(count);
    let k = 0;
    for (let id = 1; id <= maxId; id++) {
      if (table[id] !== 0) {
        table[id] = k;
        sortedIds[k++] = id;
      }
    }
    translate = (id) => table[id];
  } else {
    const seen = new IdMap(1024);
    const add = (arr: ArrayLike<number>, step: number, from: number) => {
      for (let i = from; i < arr.length; i += step) seen.set(arr[i], 0);
    };
    add(conns, 1, 0);
    add(follows, 1, 0);
    add(blocks, 1, 0);
    add(groups, 2, 1);
    add(hidden, 1, 0);
    sortedIds = seen.keysArray().sort();
    const final = new IdMap(sortedIds.length);
    for (let k = 0; k < sortedIds.length; k++) final.set(sortedIds[k], k);
    translate = (id) => final.get(id);
  }
  const n = sortedIds.length;
  const cap = n + (n >>> 4) + 16;
  phase('ids', n);

  // 2. Connections: both directions, sorted CSR.
  const m = conns.length;
  let conn: Adjacency;
  {
    const src = new Int32Array(m);
    const dst = new Int32Array(m);
    for (let i = 0; i < m; i += 2) {
      const a = translate(conns[i]);
      const b = translate(conns[i + 1]);
      src[i] = a;
      dst[i] = b;
      src[i + 1] = b;
      dst[i + 1] = a;
    }
    const { off, nbr } = buildSortedCsr(n, n, src, dst, m, cap);
    conn = new Adjacency(cap, off, nbr);
  }
  phase('connections', conn.total);

  // 3. Follows (directed).
  let fol: Adjacency;
  {
    const f = follows.length >>> 1;
    const src = new Int32Array(f);
    const dst = new Int32Array(f);
    for (let k = 0; k < f; k++) {
      src[k] = translate(follows[2 * k]);
      dst[k] = translate(follows[2 * k + 1]);
    }
    const { off, nbr } = buildSortedCsr(n, n, src, dst, f, cap);
    fol = new Adjacency(cap, off, nbr);
  }
  phase('follows', fol.total);

  // 4. Groups: member -> group index.
  const gids = new IdMap(16);
  let gCount = 0;
  let grp: Adjacency;
  {
    const g = groups.length >>> 1;
    const src = new Int32Array(g);
    const dst = new Int32Array(g);
    for (let k = 0; k < g; k++) {
      const gid = groups[2 * k];
      let gi = gids.get(gid);
      if (gi < 0) gids.set(gid, (gi = gCount++));
      dst[k] = gi;
      src[k] = translate(groups[2 * k + 1]);
    }
    const { off, nbr } = buildSortedCsr(n, gCount, src, dst, g, cap, false);
    grp = new Adjacency(cap, off, nbr);
  }
  phase('groups', grp.total);

  return { sortedIds, translate, n, cap, conn, fol, grp, gids, gCount, hidden, blocks, phase };
}

function flattenPairs(p: Pairs | ReadonlyArray<readonly [number, number]>): ArrayLike<number> {
  if (p.length > 0 && Array.isArray((p as ArrayLike<unknown>)[0])) {
    const arr = p as ReadonlyArray<readonly [number, number]>;
    const flat = new Array<number>(arr.length * 2);
    for (let i = 0; i < arr.length; i++) {
      flat[2 * i] = arr[i][0];
      flat[2 * i + 1] = arr[i][1];
    }
    return flat;
  }
  return p as ArrayLike<number>;
}

/** A growable buffer of id pairs, for loaders that stream rows into `fromEdges`. */
export class PairBuffer {
  private buf: Int32Array;
  private len = 0;
  constructor(initialPairs = 1024) {
    this.buf = new Int32Array(Math.max(2, initialPairs * 2));
  }
  push(a: number, b: number): void {
    if (this.len + 2 > this.buf.length) {
      const grown = new Int32Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.len++] = a;
    this.buf[this.len++] = b;
  }
  get pairs(): number {
    return this.len >>> 1;
  }
  /** The pairs as a flat Int32Array view (no copy). */
  view(): Int32Array {
    return this.buf.subarray(0, this.len);
  }
}
