/**
 * src/graph: the in-memory graph index (pure: no I/O, no clock, no logging of its own).
 *
 * A cache of the connections / follows / blocks / group-membership tables and of the member
 * statuses, answering the questions a profile view asks for every viewer and member at page-load
 * speed: degree (1st/2nd/3rd/out of network), mutual connections, introduction paths, size of the
 * 2nd-degree network and "people you may know". Built in bulk at start (`GraphIndex.fromEdges`),
 * then updated by the services right after every committed write (and by the event consumer of
 * every other instance). If in doubt, the tables win: rebuild.
 *
 * ## Interface
 *
 * ```ts
 * class GraphIndex {
 *   static fromEdges(input: GraphInput, options?: BuildOptions): GraphIndex   // bulk build (CSR)
 *   constructor(options?: BuildOptions)                                       // empty index
 *
 *   // writes (idempotent; return true when something changed)
 *   addConnection(a, b) / removeConnection(a, b)      // undirected
 *   addFollow(follower, followee) / removeFollow(follower, followee)
 *   addBlock(blocker, blocked) / removeBlock(blocker, blocked)
 *   setHidden(id, hidden)                             // deactivated or closed <=> hidden
 *   joinGroup(groupId, memberId) / leaveGroup(groupId, memberId)
 *   compact()                                         // fold the overlay into the CSR
 *
 *   // stored facts (raw: hidden members included)
 *   isConnected(a, b), connectionCount(a), isFollowing(a, b), followingCount(a),
 *   isBlockedEitherWay(a, b), hasBlocked(blocker, blocked), isHidden(id),
 *   isGroupMember(g, m), sharedGroupCount(a, b)
 *
 *   // what a viewer may see (everything hidden from the viewer filtered out)
 *   connectionsOf(viewer): number[]                                 // ascending ids
 *   degree(viewer, member): 1 | 2 | 3 | null
 *   mutualCount(viewer, member): number
 *   relation(viewer, member): { degree, mutualCount }               // what a profile view needs
 *   mutuals(viewer, member, { limit = 20, after = 0 }): { count, items }   // items ascending ids > after
 *   introductions(viewer, member, k): number[][]                    // [[via]] or [[via1, via2]]
 *   secondDegreeSize(viewer): number
 *   reachIds(viewer, cap, edges?): { second, third }                // ids at distance 2 and 3; a layer null past cap or edges
 *   suggestions(viewer, { limit = 20, exclude? }): { id, mutualConnections }[]
 *
 *   clearViewerCache(), setViewerCache(options | false), flushBuilds()   // answers unchanged
 *   memoryBytes(), stats()
 * }
 * ```
 *
 * ## Semantics
 *
 * - Ids are positive 32-bit integers (database identity values, gaps allowed). An id the index
 *   has never seen is a member without edges. Writes throw `RangeError` on an invalid id.
 * - **Hidden from viewer V**: member X is hidden from V when X is deactivated or closed
 *   (`setHidden(X, true)`) or when V and X have blocked each other in either direction.
 *   A hidden member never appears in any answer to V: not as the member (degree null, no
 *   mutuals, no paths), not as a mutual connection, not as an intermediate of a path, not in
 *   suggestions, not in counts.
 * - **Paths ignore hidden members entirely**, as if their edges did not exist: a deactivated
 *   member does not make two of its connections 2nd degree to each other, and a member V has
 *   blocked does not transmit degree to V. Their edges are kept, so reactivating (or unblocking)
 *   restores the answers at once.
 * - A hidden viewer (deactivated/closed) sees nothing: degree null, empty lists, zero counts.
 * - `degree(V, V)` is null (the profile is the viewer's own), as are `mutuals`, paths etc.
 * - Degree is the shortest-path length over visible members: 1 connected, 2 at least one visible
 *   mutual connection, 3 a visible connection of V is connected to a visible connection of M.
 * - Blocks: `addBlock` also drops the connection and the follows between the two (the service
 *   removes the rows too; the index does not rely on it), and `addConnection` between members who
 *   block each other is refused (returns false). Unblocking restores nothing.
 * - `mutuals` items are ascending member ids; `after` is the last id of the previous page
 *   (keyset pagination: stable while the graph does not change). `count` is the total.
 * - `introductions(V, M, k)`: for a 2nd-degree M, up to k single-intermediate paths `[x]` (x a
 *   mutual connection); for a 3rd-degree M, up to k paths `[x, y]` (V–x–y–M); lexicographic by
 *   (x, y) ids. Empty for 1st degree, out of network or hidden.
 * - `secondDegreeSize(V)`: the number of visible members at distance exactly 2;
 *   `reachIds(V, cap, edges)` the members at distance 2 and 3 themselves, in no order (a layer is
 *   null when it holds more than `cap`, or when reaching it walks more than `edges` edges).
 * - `suggestions(V)`: members at distance 2 (so never connected, never V, never hidden/blocked),
 *   ranked by visible mutual connections desc then id asc; `exclude(id)` drops more (pending or
 *   ignored invitations, pages…), called lazily in rank order.
 * - `isConnected`, `connectionCount`, `isFollowing` report the stored facts regardless of status.
 *
 * ## Representation (see docs/graph.md)
 *
 * Dense internal indices (assigned in ascending id order at bulk build, then in order of
 * appearance), an `IdMap` hash from id to index, and per relation a sorted CSR (`Int32Array`
 * offsets + neighbours: 4 bytes per directed edge) with a copy-on-write per-node overlay for
 * changes since the last compaction. Compaction is scheduled with `setImmediate` once the overlay
 * passes `compactThreshold` cells and done synchronously at 4x that. Queries allocate nothing
 * proportional to the graph: a reusable bitset and epoch-stamped arrays.
 *
 * Active viewers: the 3rd-degree test (the slow part of `degree`/`relation` on a big network)
 * goes through a bounded, least-recently-used cache of each active viewer's 2-hop set
 * (src/graph/viewers.ts, option `viewerCache`), queued the second time a viewer needs it, built
 * from `setImmediate` (off the request path) and dropped by every write that could change it: a connection added or removed (both endpoints and
 * every viewer connected to either), a member hidden or shown (it and every viewer connected to
 * it), a block or unblock (both members). Answers are identical with or without it.
 */
import { Adjacency, gallop } from './adjacency.js';
import { buildParts, type GraphInput } from './build.js';
import { IdMap, isValidId } from './idmap.js';
import { GALLOP_RATIO, intersect, type Ban } from './intersect.js';
import { NOW, QUEUED, ViewerCache, type ViewerCacheOptions, type ViewerCacheStats } from './viewers.js';

export { IdMap } from './idmap.js';
export { Adjacency } from './adjacency.js';
export { PairBuffer, type GraphInput, type Pairs } from './build.js';
export type { ViewerCacheOptions, ViewerCacheStats } from './viewers.js';

export interface BuildOptions {
  /** Called after each build phase (for the loader to log progress and time). */
  onProgress?: (phase: string, info: { ms: number; items: number }) => void;
  /** Overlay cells (4 bytes each) after which a compaction is scheduled. Default max(65536, edges/16). */
  compactThreshold?: number;
  /** 'idle' (default): schedule with setImmediate, compact synchronously at 4x the threshold.
   *  'sync': compact synchronously as soon as the threshold is passed. 'manual': never on its own. */
  autoCompact?: 'idle' | 'sync' | 'manual';
  /** The per-viewer cache behind the 3rd-degree test (docs/graph.md, "Active viewers"); false: none.
   *  Default { viewers: 1024, ids: 8,000,000, admitAfter: 2 }. Answers are the same either way. */
  viewerCache?: ViewerCacheOptions | false;
}

export type Degree = 1 | 2 | 3;
export interface MutualsPage {
  count: number;
  items: number[];
}
export interface Suggestion {
  id: number;
  mutualConnections: number;
}
export interface GraphStats {
  members: number;
  connections: number;
  follows: number;
  blocks: number;
  groups: number;
  overlayCells: number;
  compactions: number;
  memoryBytes: number;
  viewerCache: ViewerCacheStats | null;
}

const HIDDEN = 1;
/** Ids of viewer sets built per setImmediate turn (about a millisecond). */
const BUILD_IDS_PER_TURN = 100_000;
const BLOCKS_OUT = 1; // in blocks.get(a).get(b): a blocked b
const BLOCKS_IN = 2; //                          b blocked a

export class GraphIndex {
  private readonly ids = new IdMap();
  private idOf: Int32Array;
  private flags: Uint8Array;
  private n = 0;
  private cap: number;
  private maxId = 0;
  /** Internal order equals id order (true while ids arrive ascending). */
  private idOrdered = true;

  private readonly conn: Adjacency;
  private readonly fol: Adjacency;
  private readonly grp: Adjacency;
  private groupIds = new IdMap();
  private groupCount = 0;
  /** idx -> (idx -> BLOCKS_OUT | BLOCKS_IN bits); both endpoints have an entry. */
  private readonly blocks = new Map<number, Map<number, number>>();
  private blockCount = 0;

  // Scratch (reused by queries; never shared across a query boundary).
  private bits: Int32Array;
  private mark: Uint32Array | null = null;
  private cnt: Int32Array | null = null;
  private epoch = 0;
  private bufA: Int32Array = new Int32Array(64);
  private bufB: Int32Array = new Int32Array(64);

  // Query context set by begin().
  private qv = -1;
  private qm = -1;
  private qban: Ban = undefined;

  private readonly compactThresholdOpt: number | undefined;
  private readonly autoCompact: 'idle' | 'sync' | 'manual';
  private compactScheduled = false;
  private compactions = 0;
  private vc: ViewerCache | null;

  constructor(options: BuildOptions = {}, cap = 16, conn?: Adjacency, fol?: Adjacency, grp?: Adjacency) {
    this.cap = cap;
    this.idOf = new Int32Array(cap);
    this.flags = new Uint8Array(cap);
    this.bits = new Int32Array((cap >>> 5) + 1);
    this.conn = conn ?? new Adjacency(cap);
    this.fol = fol ?? new Adjacency(cap);
    this.grp = grp ?? new Adjacency(cap);
    this.compactThresholdOpt = options.compactThreshold;
    this.autoCompact = options.autoCompact ?? 'idle';
    this.vc = options.viewerCache === false ? null : new ViewerCache(options.viewerCache);
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk build

  static fromEdges(input: GraphInput, options: BuildOptions = {}): GraphIndex {
    const { sortedIds, translate, n, cap, conn, fol, grp, gids, gCount, hidden, blocks, phase } = buildParts(input, options.onProgress);
    const index = new GraphIndex(options, cap, conn, fol, grp);
    for (let k = 0; k < n; k++) index.ids.set(sortedIds[k], k);
    index.idOf.set(sortedIds);
    index.n = n;
    index.maxId = n > 0 ? sortedIds[n - 1] : 0;
    index.groupIds = gids;
    index.groupCount = gCount;
    for (let i = 0; i < hidden.length; i++) index.flags[translate(hidden[i])] |= HIDDEN;
    // 5. Blocks (they also drop connections/follows between the pair).
    for (let i = 0; i < blocks.length; i += 2) index.addBlock(blocks[i], blocks[i + 1]);
    if (conn.overlayCells + fol.overlayCells > 0) index.compact();
    phase('blocks', index.blockCount);
    return index;
  }

  // ---------------------------------------------------------------------------------------------
  // Nodes

  private lookup(id: number): number {
    return (id | 0) === id && id > 0 ? this.ids.get(id) : -1;
  }

  private node(id: number): number {
    let i = this.lookup(id);
    if (i >= 0) return i;
    if (!isValidId(id)) throw new RangeError(`invalid id ${id}`);
    if (this.n === this.cap) this.growNodes(Math.max(16, Math.ceil(this.cap * 1.5)));
    i = this.n++;
    this.idOf[i] = id;
    this.ids.set(id, i);
    if (id < this.maxId) this.idOrdered = false;
    else this.maxId = id;
    return i;
  }

  private growNodes(cap: number): void {
    const idOf = new Int32Array(cap);
    idOf.set(this.idOf);
    this.idOf = idOf;
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
    this.bits = new Int32Array((cap >>> 5) + 1);
    this.mark = null;
    this.cnt = null;
    this.conn.ensureCapacity(cap);
    this.fol.ensureCapacity(cap);
    this.grp.ensureCapacity(cap);
    this.cap = cap;
  }

  private visible(x: number, ban: Ban): boolean {
    return this.flags[x] === 0 && (ban === undefined || !ban.has(x));
  }

  /** Sets qv/qm/qban; false when the member is hidden from the viewer (or is the viewer). */
  private begin(viewerId: number, memberId: number): boolean {
    const v = this.lookup(viewerId);
    const m = this.lookup(memberId);
    if (v < 0 || m < 0 || v === m) return false;
    if (this.flags[v] !== 0 || this.flags[m] !== 0) return false;
    const ban = this.blocks.get(v);
    if (ban !== undefined && ban.has(m)) return false;
    this.qv = v;
    this.qm = m;
    this.qban = ban;
    return true;
  }

  private nextEpoch(): Uint32Array {
    if (this.mark === null || this.mark.length < this.cap) {
      this.mark = new Uint32Array(this.cap);
      this.epoch = 0;
    }
    if (++this.epoch === 0xffffffff) {
      this.mark.fill(0);
      this.epoch = 1;
    }
    return this.mark;
  }

  private bufferA(size: number): Int32Array {
    if (this.bufA.length < size) this.bufA = new Int32Array(Math.max(size, this.bufA.length * 2));
    return this.bufA;
  }

  private bufferB(size: number): Int32Array {
    if (this.bufB.length < size) this.bufB = new Int32Array(Math.max(size, this.bufB.length * 2));
    return this.bufB;
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  addConnection(a: number, b: number): boolean {
    if (a === b) return false;
    const i = this.node(a);
    const j = this.node(b);
    const bl = this.blocks.get(i);
    if (bl !== undefined && bl.has(j)) return false;
    const added = this.conn.add(i, j);
    if (added) {
      this.conn.add(j, i);
      this.dropAround(i);
      this.dropAround(j);
    }
    this.afterWrite();
    return added;
  }

  removeConnection(a: number, b: number): boolean {
    const i = this.lookup(a);
    const j = this.lookup(b);
    if (i < 0 || j < 0) return false;
    const removed = this.conn.remove(i, j);
    if (removed) {
      this.conn.remove(j, i);
      this.dropAround(i);
      this.dropAround(j);
    }
    this.afterWrite();
    return removed;
  }

  addFollow(follower: number, followee: number): boolean {
    if (follower === followee) return false;
    const i = this.node(follower);
    const j = this.node(followee);
    const bl = this.blocks.get(i);
    if (bl !== undefined && bl.has(j)) return false;
    const added = this.fol.add(i, j);
    this.afterWrite();
    return added;
  }

  removeFollow(follower: number, followee: number): boolean {
    const i = this.lookup(follower);
    const j = this.lookup(followee);
    if (i < 0 || j < 0) return false;
    const removed = this.fol.remove(i, j);
    this.afterWrite();
    return removed;
  }

  addBlock(blocker: number, blocked: number): boolean {
    if (blocker === blocked) return false;
    const i = this.node(blocker);
    const j = this.node(blocked);
    let mi = this.blocks.get(i);
    if (mi === undefined) this.blocks.set(i, (mi = new Map<number, number>()));
    let mj = this.blocks.get(j);
    if (mj === undefined) this.blocks.set(j, (mj = new Map<number, number>()));
    const before = mi.get(j) ?? 0;
    if ((before & BLOCKS_OUT) !== 0) return false;
    mi.set(j, before | BLOCKS_OUT);
    mj.set(i, (mj.get(i) ?? 0) | BLOCKS_IN);
    this.blockCount++;
    // The pair's visibility to each other changed: drop both; and their connection, if any.
    this.dropViewer(i);
    this.dropViewer(j);
    if (this.conn.remove(i, j)) {
      this.conn.remove(j, i);
      this.dropAround(i);
      this.dropAround(j);
    }
    this.fol.remove(i, j);
    this.fol.remove(j, i);
    this.afterWrite();
    return true;
  }

  removeBlock(blocker: number, blocked: number): boolean {
    const i = this.lookup(blocker);
    const j = this.lookup(blocked);
    if (i < 0 || j < 0) return false;
    const mi = this.blocks.get(i);
    const mj = this.blocks.get(j);
    const before = mi?.get(j) ?? 0;
    if (mi === undefined || mj === undefined || (before & BLOCKS_OUT) === 0) return false;
    if (before === BLOCKS_OUT) mi.delete(j);
    else mi.set(j, before & ~BLOCKS_OUT);
    const back = mj.get(i)! & ~BLOCKS_IN;
    if (back === 0) mj.delete(i);
    else mj.set(i, back);
    if (mi.size === 0) this.blocks.delete(i);
    if (mj.size === 0) this.blocks.delete(j);
    this.blockCount--;
    this.dropViewer(i);
    this.dropViewer(j);
    return true;
  }

  /** Deactivated or closed: hidden from everyone (edges kept, so reactivation restores them). */
  setHidden(id: number, hidden: boolean): boolean {
    const i = hidden ? this.node(id) : this.lookup(id);
    if (i < 0) return false;
    const before = this.flags[i];
    this.flags[i] = hidden ? before | HIDDEN : before & ~HIDDEN;
    if (before === this.flags[i]) return false;
    // i stops (or starts) being an intermediate for every viewer connected to it.
    this.dropAround(i);
    return true;
  }

  joinGroup(groupId: number, memberId: number): boolean {
    if (!isValidId(groupId)) throw new RangeError(`invalid group id ${groupId}`);
    const i = this.node(memberId);
    let g = this.groupIds.get(groupId);
    if (g < 0) this.groupIds.set(groupId, (g = this.groupCount++));
    const added = this.grp.add(i, g);
    this.afterWrite();
    return added;
  }

  leaveGroup(groupId: number, memberId: number): boolean {
    const i = this.lookup(memberId);
    const g = (groupId | 0) === groupId && groupId > 0 ? this.groupIds.get(groupId) : -1;
    if (i < 0 || g < 0) return false;
    const removed = this.grp.remove(i, g);
    this.afterWrite();
    return removed;
  }

  private overlayCells(): number {
    return this.conn.overlayCells + this.fol.overlayCells + this.grp.overlayCells;
  }

  private threshold(): number {
    return this.compactThresholdOpt ?? Math.max(1 << 16, (this.conn.total + this.fol.total) >>> 4);
  }

  private afterWrite(): void {
    if (this.autoCompact === 'manual') return;
    const cells = this.overlayCells();
    const t = this.threshold();
    if (cells <= t) return;
    if (this.autoCompact === 'sync' || cells > 4 * t) {
      this.compact();
      return;
    }
    if (!this.compactScheduled) {
      this.compactScheduled = true;
      const h = setImmediate(() => {
        this.compactScheduled = false;
        if (this.overlayCells() > this.threshold()) this.compact();
      });
      h.unref?.();
    }
  }

  /** Folds the overlay of recent changes into the CSR arrays. */
  compact(): void {
    if (this.overlayCells() === 0) return;
    this.conn.compact();
    this.fol.compact();
    this.grp.compact();
    this.compactions++;
  }

  // ---------------------------------------------------------------------------------------------
  // Stored facts

  isConnected(a: number, b: number): boolean {
    const i = this.lookup(a);
    const j = this.lookup(b);
    return i >= 0 && j >= 0 && this.conn.has(i, j);
  }

  /** Stored connections of a (hidden members included: this is the count the cap applies to). */
  connectionCount(a: number): number {
    const i = this.lookup(a);
    return i < 0 ? 0 : this.conn.size(i);
  }

  isFollowing(follower: number, followee: number): boolean {
    const i = this.lookup(follower);
    const j = this.lookup(followee);
    return i >= 0 && j >= 0 && this.fol.has(i, j);
  }

  followingCount(a: number): number {
    const i = this.lookup(a);
    return i < 0 ? 0 : this.fol.size(i);
  }

  isBlockedEitherWay(a: number, b: number): boolean {
    const i = this.lookup(a);
    const j = this.lookup(b);
    if (i < 0 || j < 0) return false;
    return this.blocks.get(i)?.has(j) ?? false;
  }

  hasBlocked(blocker: number, blocked: number): boolean {
    const i = this.lookup(blocker);
    const j = this.lookup(blocked);
    if (i < 0 || j < 0) return false;
    return ((this.blocks.get(i)?.get(j) ?? 0) & BLOCKS_OUT) !== 0;
  }

  isHidden(id: number): boolean {
    const i = this.lookup(id);
    return i >= 0 && (this.flags[i] & HIDDEN) !== 0;
  }

  isGroupMember(groupId: number, memberId: number): boolean {
    const i = this.lookup(memberId);
    const g = (groupId | 0) === groupId && groupId > 0 ? this.groupIds.get(groupId) : -1;
    return i >= 0 && g >= 0 && this.grp.has(i, g);
  }

  sharedGroupCount(a: number, b: number): number {
    const i = this.lookup(a);
    const j = this.lookup(b);
    if (i < 0 || j < 0 || i === j) return 0;
    const G = this.grp;
    G.span(i);
    const aa = G.arr;
    const as = G.s;
    const ae = G.e;
    G.span(j);
    return intersect(aa, as, ae, G.arr, G.s, G.e, this.flags, undefined, null, false, true);
  }

  // ---------------------------------------------------------------------------------------------
  // Viewer queries

  /** The viewer's connections that are visible to the viewer, ascending ids. */
  connectionsOf(viewer: number): number[] {
    const v = this.lookup(viewer);
    if (v < 0 || this.flags[v] !== 0) return [];
    const ban = this.blocks.get(v);
    const C = this.conn;
    C.span(v);
    const out: number[] = [];
    for (let p = C.s; p < C.e; p++) {
      const x = C.arr[p];
      if (this.visible(x, ban)) out.push(this.idOf[x]);
    }
    if (!this.idOrdered) out.sort((x, y) => x - y);
    return out;
  }

  degree(viewer: number, member: number): Degree | null {
    if (!this.begin(viewer, member)) return null;
    const v = this.qv;
    const m = this.qm;
    const ban = this.qban;
    if (this.conn.has(v, m)) return 1;
    if (this.common(v, m, ban, true) > 0) return 2;
    return this.third(v, m, ban) ? 3 : null;
  }

  /** Number of mutual connections visible to the viewer. */
  mutualCount(viewer: number, member: number): number {
    if (!this.begin(viewer, member)) return 0;
    return this.common(this.qv, this.qm, this.qban, false);
  }

  /** Degree and mutual count in one pass (what a profile view needs). */
  relation(viewer: number, member: number): { degree: Degree | null; mutualCount: number } {
    if (!this.begin(viewer, member)) return { degree: null, mutualCount: 0 };
    const v = this.qv;
    const m = this.qm;
    const ban = this.qban;
    const mutualCount = this.common(v, m, ban, false);
    const degree: Degree | null = this.conn.has(v, m) ? 1 : mutualCount > 0 ? 2 : this.third(v, m, ban) ? 3 : null;
    return { degree, mutualCount };
  }

  mutuals(viewer: number, member: number, page: { limit?: number; after?: number } = {}): MutualsPage {
    const limit = Math.max(0, Math.floor(page.limit ?? 20));
    const after = page.after ?? 0;
    if (!this.begin(viewer, member)) return { count: 0, items: [] };
    const count = this.collectCommon(this.qv, this.qm, this.qban);
    const buf = this.bufA;
    const idOf = this.idOf;
    const items: number[] = [];
    if (this.idOrdered) {
      let lo = 0;
      let hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (idOf[buf[mid]] <= after) lo = mid + 1;
        else hi = mid;
      }
      for (let p = lo; p < count && items.length < limit; p++) items.push(idOf[buf[p]]);
    } else {
      const all: number[] = [];
      for (let p = 0; p < count; p++) if (idOf[buf[p]] > after) all.push(idOf[buf[p]]);
      all.sort((x, y) => x - y);
      for (let p = 0; p < all.length && p < limit; p++) items.push(all[p]);
    }
    return { count, items };
  }

  /** Up to k introduction paths (intermediate ids) from viewer to member; see header. */
  introductions(viewer: number, member: number, k: number): number[][] {
    if (k <= 0 || !this.begin(viewer, member)) return [];
    const v = this.qv;
    const m = this.qm;
    const ban = this.qban;
    const C = this.conn;
    if (C.has(v, m)) return [];
    const idOf = this.idOf;
    const count = this.collectCommon(v, m, ban);
    if (count > 0) {
      const ids = Array.from(this.bufA.subarray(0, count), (x) => idOf[x]);
      if (!this.idOrdered) ids.sort((x, y) => x - y);
      return ids.slice(0, k).map((x) => [x]);
    }
    // 3rd degree. With the viewer's reach cached: the member's visible connections in it, each
    // with the viewer's connections it shares (a few short intersections).
    const vc = this.vc;
    const slot = vc === null ? -1 : vc.get(v);
    if (vc !== null && slot >= 0) return this.introductionsInReach(vc, slot, v, m, ban, k);
    // Else stamp the member's visible connections, walk the viewer's in id order.
    const bits = this.bits;
    C.span(m);
    const B = this.bufferB(C.e - C.s);
    let nb = 0;
    for (let p = C.s; p < C.e; p++) {
      const y = C.arr[p];
      if (this.visible(y, ban)) {
        B[nb++] = y;
        bits[y >>> 5] |= 1 << (y & 31);
      }
    }
    const paths: number[][] = [];
    try {
      if (nb === 0) return paths;
      C.span(v);
      const xs: number[] = [];
      for (let p = C.s; p < C.e; p++) if (this.visible(C.arr[p], ban)) xs.push(C.arr[p]);
      if (!this.idOrdered) xs.sort((x, y) => idOf[x] - idOf[y]);
      for (const x of xs) {
        C.span(x);
        const ys: number[] = [];
        for (let p = C.s; p < C.e; p++) {
          const y = C.arr[p];
          if ((bits[y >>> 5] & (1 << (y & 31))) !== 0) ys.push(idOf[y]);
        }
        if (!this.idOrdered) ys.sort((a, b) => a - b);
        for (const y of ys) {
          paths.push([idOf[x], y]);
          if (paths.length >= k) return paths;
        }
      }
      return paths;
    } finally {
      for (let i = 0; i < nb; i++) bits[B[i] >>> 5] = 0;
    }
  }

  /** Number of members at distance exactly 2 from the viewer (visible ones only). */
  secondDegreeSize(viewer: number): number {
    let count = 0;
    this.eachSecond(viewer, () => {
      count++;
      return true;
    });
    return count;
  }

  /**
   * The members at distance exactly 2 and exactly 3 from the viewer (visible ones, through visible
   * members; ids in no order), as search ranks them (src/services/profiles.ts). A layer is null when
   * it holds more than `cap` members or when reaching it walks more than `edges` edges.
   */
  reachIds(viewer: number, cap: number, edges = Infinity): { second: number[] | null; third: number[] | null } {
    const S: number[] = [];
    const left = this.eachSecond(viewer, (y) => S.length < cap && S.push(y) > 0, edges);
    if (left < 0) return { second: null, third: null };
    // layer 3: the unmet members next to a 2nd-degree one (the marks of eachSecond's walk still hold)
    const third: number[] = [];
    const whole = this.nextLayer(S, 0, S.length, this.blocks.get(this.lookup(viewer)), left, (z) => third.length < cap && third.push(this.idOf[z]) > 0);
    return { second: S.map((y) => this.idOf[y]), third: whole < 0 ? null : third };
  }

  /**
   * Calls `fn` with each visible member (internal index) at distance exactly 2 until it answers
   * false. Answers the edges left of `edges` (a dense cluster's members know each other: most edges
   * lead back to members already met), or -1 when `fn` stopped it or it would walk more; the walk's
   * marks hold until the next walk.
   */
  private eachSecond(viewer: number, fn: (y: number) => boolean, edges = Infinity): number {
    const v = this.lookup(viewer);
    if (v < 0 || this.flags[v] !== 0) return edges;
    const ban = this.blocks.get(v);
    const mark = this.nextEpoch();
    const ep = this.epoch;
    const C = this.conn;
    C.span(v);
    const vArr = C.arr;
    const vs = C.s;
    const ve = C.e;
    mark[v] = ep;
    for (let p = vs; p < ve; p++) mark[vArr[p]] = ep;
    return this.nextLayer(vArr, vs, ve, ban, edges - (ve - vs), fn);
  }

  /**
   * One step of a walk whose marks (the current epoch) hold the members met so far: calls `fn` with
   * each visible, unmet connection of the visible members `from[start..end)`, marking it, until `fn`
   * answers false. Answers the edges left of `budget`, or -1 when `fn` stopped it or it would walk more.
   */
  private nextLayer(from: ArrayLike<number>, start: number, end: number, ban: Ban, budget: number, fn: (y: number) => boolean): number {
    const mark = this.mark!;
    const ep = this.epoch;
    const C = this.conn;
    for (let p = start; p < end; p++) {
      const x = from[p];
      if (!this.visible(x, ban)) continue;
      C.span(x);
      const arr = C.arr;
      if ((budget -= C.e - C.s) < 0) return -1;
      for (let q = C.s; q < C.e; q++) {
        const y = arr[q];
        if (mark[y] !== ep) {
          mark[y] = ep;
          if (this.visible(y, ban) && !fn(y)) return -1;
        }
      }
    }
    return budget;
  }

  /** People you may know: 2nd-degree members by mutual connections desc, then id asc. */
  suggestions(viewer: number, opts: { limit?: number; exclude?: (id: number) => boolean } = {}): Suggestion[] {
    const limit = Math.max(0, Math.floor(opts.limit ?? 20));
    const v = this.lookup(viewer);
    if (v < 0 || this.flags[v] !== 0 || limit === 0) return [];
    const ban = this.blocks.get(v);
    const mark = this.nextEpoch();
    const ep = this.epoch;
    if (this.cnt === null || this.cnt.length < this.cap) this.cnt = new Int32Array(this.cap);
    const cnt = this.cnt;
    const C = this.conn;
    C.span(v);
    const vArr = C.arr;
    const vs = C.s;
    const ve = C.e;
    mark[v] = ep;
    cnt[v] = 0;
    for (let p = vs; p < ve; p++) {
      mark[vArr[p]] = ep;
      cnt[vArr[p]] = 0;
    }
    const cand: number[] = [];
    for (let p = vs; p < ve; p++) {
      const x = vArr[p];
      if (!this.visible(x, ban)) continue;
      C.span(x);
      const arr = C.arr;
      for (let q = C.s; q < C.e; q++) {
        const y = arr[q];
        if (mark[y] !== ep) {
          mark[y] = ep;
          if (this.visible(y, ban)) {
            cnt[y] = 1;
            cand.push(y);
          } else cnt[y] = 0;
        } else if (cnt[y] > 0) cnt[y]++;
      }
    }
    const idOf = this.idOf;
    cand.sort((a, b) => cnt[b] - cnt[a] || idOf[a] - idOf[b]);
    const out: Suggestion[] = [];
    const exclude = opts.exclude;
    for (let i = 0; i < cand.length && out.length < limit; i++) {
      const id = idOf[cand[i]];
      if (exclude !== undefined && exclude(id)) continue;
      out.push({ id, mutualConnections: cnt[cand[i]] });
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals of the queries

  /** Visible common connections of v and m: count (or 1 at the first when `stop`). */
  private common(v: number, m: number, ban: Ban, stop: boolean): number {
    const C = this.conn;
    C.span(v);
    const a = C.arr;
    const as = C.s;
    const ae = C.e;
    C.span(m);
    return intersect(a, as, ae, C.arr, C.s, C.e, this.flags, ban, null, stop, false);
  }

  /** Visible common connections of v and m into bufA (ascending internal index); returns count. */
  private collectCommon(v: number, m: number, ban: Ban): number {
    const C = this.conn;
    C.span(v);
    const a = C.arr;
    const as = C.s;
    const ae = C.e;
    C.span(m);
    const out = this.bufferA(Math.min(ae - as, C.e - C.s));
    return intersect(a, as, ae, C.arr, C.s, C.e, this.flags, ban, out, false, false);
  }

  // ---------------------------------------------------------------------------------------------
  // Active viewers (src/graph/viewers.ts)

  /** The 3rd-degree test (1st and 2nd already ruled out), through the viewer's cached set when it has one. */
  private third(v: number, m: number, ban: Ban): boolean {
    const vc = this.vc;
    if (vc === null) return this.thirdDegree(v, m, ban);
    let slot = vc.get(v);
    if (slot < 0) {
      const a = vc.admit(v, this.cap);
      if (a !== NOW) {
        if (a === QUEUED) this.scheduleBuilds(vc);
        return this.thirdDegree(v, m, ban);
      }
      slot = this.buildViewer(v, ban);
      if (slot < 0) return this.thirdDegree(v, m, ban);
    }
    // Has m a visible connection y adjacent to a visible connection of v? (inReach, inlined: the
    // hot path of degree(); calling it measured 0–20% slower a degree at 1M members)
    const keys = vc.keys[slot];
    const dir = vc.dirs[slot];
    const sh = vc.shifts[slot];
    const filter = vc.filters[slot];
    const fsh = vc.fshifts[slot];
    const nb = dir.length - 1;
    const flags = this.flags;
    const C = this.conn;
    C.span(m);
    const arr = C.arr;
    const e = C.e;
    for (let p = C.s; p < e; p++) {
      const y = arr[p];
      const b = y >>> sh;
      if (b >= nb) continue;
      const f = y >>> fsh;
      if ((filter[f >>> 5] & (1 << (f & 31))) === 0) continue;
      const qe = dir[b + 1];
      for (let q = dir[b]; q < qe; q++) {
        if (keys[q] === y) {
          if (flags[y] === 0 && (ban === undefined || !ban.has(y))) return true;
          break;
        }
      }
    }
    return false;
  }

  /** Whether y is in the cached reach of the viewer in `slot` (adjacent to a visible connection of theirs). */
  private inReach(vc: ViewerCache, slot: number, y: number): boolean {
    const dir = vc.dirs[slot];
    const b = y >>> vc.shifts[slot];
    if (b >= dir.length - 1) return false;
    const f = y >>> vc.fshifts[slot];
    if ((vc.filters[slot][f >>> 5] & (1 << (f & 31))) === 0) return false;
    const keys = vc.keys[slot];
    const qe = dir[b + 1];
    for (let q = dir[b]; q < qe; q++) if (keys[q] === y) return true;
    return false;
  }

  /**
   * introductions() for a 3rd-degree member through the viewer's cached reach: every path v–x–y–m
   * has y among m's visible connections in the reach, and x among the viewer's visible connections
   * that y shares; the same paths, in the same (x, y) id order, as the walk over the viewer's
   * connections.
   */
  private introductionsInReach(vc: ViewerCache, slot: number, v: number, m: number, ban: Ban, k: number): number[][] {
    const idOf = this.idOf;
    const C = this.conn;
    C.span(m);
    const ys: number[] = [];
    for (let p = C.s; p < C.e; p++) {
      const y = C.arr[p];
      if (this.inReach(vc, slot, y) && this.visible(y, ban)) ys.push(y);
    }
    // The k smallest (x, y) kept as they come (a dense neighbourhood has many paths: none is
    // allocated unless it is among them).
    const best: number[][] = [];
    for (const y of ys) {
      const n = this.collectCommon(v, y, ban);
      const yId = idOf[y];
      for (let i = 0; i < n; i++) {
        const xId = idOf[this.bufA[i]];
        if (best.length === k) {
          const last = best[k - 1];
          if (xId > last[0] || (xId === last[0] && yId > last[1])) continue;
          best.pop();
        }
        let at = best.length;
        while (at > 0 && (best[at - 1][0] > xId || (best[at - 1][0] === xId && best[at - 1][1] > yId))) at--;
        best.splice(at, 0, [xId, yId]);
      }
    }
    return best;
  }

  /**
   * Builds and caches R(v): every member adjacent to a connection of v visible to v. Depends on
   * v's connections, their flags, v's blocks and their connections: every write that changes one
   * of these drops v (dropAround / dropViewer). Returns the slot, or -1 when it is not cached
   * (bigger than a quarter of the cache's budget).
   */
  private buildViewer(v: number, ban: Ban): number {
    const vc = this.vc!;
    const C = this.conn;
    const flags = this.flags;
    C.span(v);
    const vArr = C.arr;
    const vs = C.s;
    const ve = C.e;
    let bound = 0;
    for (let p = vs; p < ve; p++) {
      const x = vArr[p];
      if (flags[x] === 0 && (ban === undefined || !ban.has(x))) bound += C.size(x);
    }
    if (bound > vc.maxIds / 4) return -1;
    const buf = this.bufferB(bound);
    const mark = this.nextEpoch();
    const ep = this.epoch;
    let count = 0;
    for (let p = vs; p < ve; p++) {
      const x = vArr[p];
      if (flags[x] !== 0 || (ban !== undefined && ban.has(x))) continue;
      C.span(x);
      const arr = C.arr;
      const e = C.e;
      for (let q = C.s; q < e; q++) {
        const y = arr[q];
        if (mark[y] !== ep) {
          mark[y] = ep;
          buf[count++] = y;
        }
      }
    }
    // About four per bucket; buckets by the high bits of the internal index.
    let bitsN = 0;
    while (1 << bitsN < this.n) bitsN++;
    let bitsB = 0;
    while (bitsB < bitsN && 1 << (bitsB + 2) < count) bitsB++;
    const shift = bitsN - bitsB;
    const nb = 1 << bitsB;
    const dir = new Int32Array(nb + 1);
    for (let k = 0; k < count; k++) dir[buf[k] >>> shift]++;
    let acc = 0;
    for (let b = 0; b < nb; b++) {
      acc += dir[b];
      dir[b] = acc;
    }
    dir[nb] = count;
    const keys = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const y = buf[k];
      keys[--dir[y >>> shift]] = y;
    }
    // A bitmap of about 8 bits per id (y >>> fshift), exact when the network is that small: most
    // members of an out-of-network m's list are ruled out by one read of a small, cache-resident array.
    let bitsF = 5;
    while (bitsF < bitsN && 1 << bitsF < 8 * count) bitsF++;
    const fshift = Math.max(0, bitsN - bitsF);
    const filter = new Int32Array(((bitsN > bitsF ? 1 << bitsF : Math.max(this.n, 1)) + 31) >>> 5);
    for (let k = 0; k < count; k++) {
      const f = buf[k] >>> fshift;
      filter[f >>> 5] |= 1 << (f & 31);
    }
    return vc.put(v, keys, dir, shift, filter, fshift, this.cap);
  }

  private buildsScheduled = false;

  /** Builds queued viewers' sets after the current turn, about BUILD_IDS_PER_TURN ids at a time. */
  private scheduleBuilds(vc: ViewerCache): void {
    if (this.buildsScheduled) return;
    this.buildsScheduled = true;
    const h = setImmediate(() => {
      this.buildsScheduled = false;
      if (this.vc === vc) this.flushBuilds(BUILD_IDS_PER_TURN);
    });
    h.unref?.();
  }

  /** Builds queued viewers' sets now (up to about `ids` ids; all by default). Answers do not change. */
  flushBuilds(ids = Infinity): void {
    const vc = this.vc;
    if (vc === null) return;
    let done = 0;
    while (done < ids) {
      const v = vc.nextPending();
      if (v < 0) return;
      if (this.flags[v] !== 0) continue; // a hidden viewer asks nothing
      const slot = this.buildViewer(v, this.blocks.get(v));
      if (slot >= 0) done += vc.keys[slot].length;
    }
    if (vc.pending.length > 0) this.scheduleBuilds(vc);
  }

  /** Drops i's cached set and the set of every cached viewer connected to i (their R contains i's list). */
  private dropAround(i: number): void {
    const vc = this.vc;
    if (vc === null || vc.size === 0) return;
    vc.drop(i);
    const slotOf = vc.slotOf;
    const C = this.conn;
    C.span(i);
    const arr = C.arr;
    const e = C.e;
    for (let p = C.s; p < e; p++) {
      const x = arr[p];
      if (x < slotOf.length && slotOf[x] >= 0) vc.drop(x);
    }
  }

  private dropViewer(i: number): void {
    if (this.vc !== null && this.vc.size > 0) this.vc.drop(i);
  }

  /** Forgets every cached viewer set (answers do not change). */
  clearViewerCache(): void {
    this.vc?.clear();
  }

  /** Replaces the viewer cache (empty) with one of these bounds, or none (answers do not change). */
  setViewerCache(options: ViewerCacheOptions | false): void {
    this.vc = options === false ? null : new ViewerCache(options);
  }

  /**
   * Is there an edge x–y with x a visible connection of v and y a visible connection of m?
   * The side with more connections is stamped in a bitset (A); the other side's connections are
   * expanded, each list scanned against the bitset, or for a list much longer than A, A is
   * galloped into it. Stops at the first hit; clears the bitset words it touched.
   */
  private thirdDegree(v: number, m: number, ban: Ban): boolean {
    const C = this.conn;
    let a = v;
    let b = m;
    if (C.size(a) < C.size(b)) {
      a = m;
      b = v;
    }
    const flags = this.flags;
    const bits = this.bits;
    C.span(a);
    const aArr = C.arr;
    const A = this.bufferA(C.e - C.s);
    let na = 0;
    for (let p = C.s; p < C.e; p++) {
      const x = aArr[p];
      if (flags[x] === 0 && (ban === undefined || !ban.has(x))) {
        A[na++] = x;
        bits[x >>> 5] |= 1 << (x & 31);
      }
    }
    let found = false;
    if (na > 0) {
      C.span(b);
      const bArr = C.arr;
      const be = C.e;
      const long = GALLOP_RATIO * na;
      outer: for (let q = C.s; q < be; q++) {
        const y = bArr[q];
        if (flags[y] !== 0 || (ban !== undefined && ban.has(y))) continue;
        C.span(y);
        const yArr = C.arr;
        let s = C.s;
        const e = C.e;
        if (e - s > long) {
          for (let i = 0; i < na; i++) {
            s = gallop(yArr, s, e, A[i]);
            if (s >= e) break;
            if (yArr[s] === A[i]) {
              found = true;
              break outer;
            }
          }
        } else {
          for (; s < e; s++) {
            const x = yArr[s];
            if ((bits[x >>> 5] & (1 << (x & 31))) !== 0) {
              found = true;
              break outer;
            }
          }
        }
      }
    }
    for (let i = 0; i < na; i++) bits[A[i] >>> 5] = 0;
    return found;
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection

  /** Bytes held by the index (typed arrays, overlay, hash tables; blocks estimated). */
  memoryBytes(): number {
    let bytes =
      this.ids.memoryBytes() +
      this.groupIds.memoryBytes() +
      this.idOf.byteLength +
      this.flags.byteLength +
      this.bits.byteLength +
      (this.mark?.byteLength ?? 0) +
      (this.cnt?.byteLength ?? 0) +
      this.bufA.byteLength +
      this.bufB.byteLength +
      this.conn.memoryBytes() +
      this.fol.memoryBytes() +
      this.grp.memoryBytes() +
      (this.vc?.memoryBytes() ?? 0);
    bytes += this.blocks.size * 100 + this.blockCount * 2 * 40;
    return bytes;
  }

  stats(): GraphStats {
    return {
      members: this.n,
      connections: this.conn.total / 2,
      follows: this.fol.total,
      blocks: this.blockCount,
      groups: this.groupCount,
      overlayCells: this.overlayCells(),
      compactions: this.compactions,
      memoryBytes: this.memoryBytes(),
      viewerCache: this.vc?.stats() ?? null,
    };
  }
}
