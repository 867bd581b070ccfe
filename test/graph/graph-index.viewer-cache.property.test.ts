import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateEdges, mulberry32 } from '../../src/graph/generate.js';
import { GraphIndex, type ViewerCacheOptions } from '../../src/graph/index.js';
import { Model } from './model.js';

/**
 * The per-viewer cache (src/graph/viewers.ts) never changes an answer: random sequences of edge
 * adds and removals, blocks, unblocks, hides, unhides, follows, compactions and queries, run on a
 * cached index (tiny bounds, so that viewers are admitted, evicted and dropped all the time), an
 * uncached one and the brute-force BFS model; after every step each pair's relation(), degree()
 * and mutualCount() are compared between the two indexes, and against the model at queries and
 * at the end.
 */

type Op =
  | { t: 'conn' | 'unconn' | 'follow' | 'block' | 'unblock'; a: number; b: number }
  | { t: 'hide'; a: number; h: boolean }
  | { t: 'query'; a: number; b: number }
  /** Block (or disconnect) a and its k-th connection, if it has any (resolved when applied). */
  | { t: 'blockNth' | 'unconnNth'; a: number; k: number }
  | { t: 'compact' }
  /** Build the queued viewers' sets now (what setImmediate does between requests). */
  | { t: 'flush' };

const scenario = fc
  .uniqueArray(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 2 ** 31 - 20, max: 2 ** 31 - 1 })), { minLength: 2, maxLength: 11 })
  .chain((ids) => {
    const id = fc.constantFrom(...ids);
    const pair = fc.tuple(id, id);
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: pair.map(([a, b]) => ({ t: 'conn' as const, a, b })) },
      { weight: 4, arbitrary: pair.map(([a, b]) => ({ t: 'unconn' as const, a, b })) },
      { weight: 1, arbitrary: pair.map(([a, b]) => ({ t: 'follow' as const, a, b })) },
      { weight: 2, arbitrary: pair.map(([a, b]) => ({ t: 'block' as const, a, b })) },
      { weight: 2, arbitrary: pair.map(([a, b]) => ({ t: 'unblock' as const, a, b })) },
      { weight: 3, arbitrary: fc.tuple(id, fc.boolean()).map(([a, h]) => ({ t: 'hide' as const, a, h })) },
      { weight: 8, arbitrary: pair.map(([a, b]) => ({ t: 'query' as const, a, b })) },
      { weight: 2, arbitrary: fc.tuple(id, fc.nat(20)).map(([a, k]) => ({ t: 'blockNth' as const, a, k })) },
      { weight: 2, arbitrary: fc.tuple(id, fc.nat(20)).map(([a, k]) => ({ t: 'unconnNth' as const, a, k })) },
      { weight: 1, arbitrary: fc.constant({ t: 'compact' as const }) },
      { weight: 3, arbitrary: fc.constant({ t: 'flush' as const }) },
    );
    const cache: fc.Arbitrary<ViewerCacheOptions> = fc.record({
      viewers: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(64)),
      ids: fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 24 }) }, { weight: 2, arbitrary: fc.constant(1_000_000) }),
      admitAfter: fc.constantFrom(1 as const, 2 as const),
      build: fc.constantFrom('sync' as const, 'idle' as const),
    });
    return fc.record({
      ids: fc.constant(ids),
      bulk: fc.boolean(),
      initial: fc.array(pair, { maxLength: 25 }),
      initialBlocks: fc.array(pair, { maxLength: 2 }),
      initialHidden: fc.subarray(ids, { maxLength: 2 }),
      ops: fc.array(op, { maxLength: 60 }),
      cache,
    });
  });

function apply(gs: GraphIndex[], m: Model, op0: Op): void {
  let op = op0;
  if (op.t === 'blockNth' || op.t === 'unconnNth') {
    const nb = m.neighbors(op.a);
    if (nb.length === 0) return;
    op = { t: op.t === 'blockNth' ? 'block' : 'unconn', a: op.a, b: nb[op.k % nb.length] };
  }
  for (const g of gs) {
    switch (op.t) {
      case 'conn':
        g.addConnection(op.a, op.b);
        break;
      case 'unconn':
        g.removeConnection(op.a, op.b);
        break;
      case 'follow':
        g.addFollow(op.a, op.b);
        break;
      case 'block':
        g.addBlock(op.a, op.b);
        break;
      case 'unblock':
        g.removeBlock(op.a, op.b);
        break;
      case 'hide':
        g.setHidden(op.a, op.h);
        break;
      case 'compact':
        g.compact();
        break;
      case 'flush':
        g.flushBuilds();
        break;
      default:
        break;
    }
  }
  switch (op.t) {
    case 'conn':
      m.addConnection(op.a, op.b);
      break;
    case 'unconn':
      m.removeConnection(op.a, op.b);
      break;
    case 'follow':
      m.addFollow(op.a, op.b);
      break;
    case 'block':
      m.addBlock(op.a, op.b);
      break;
    case 'unblock':
      m.removeBlock(op.a, op.b);
      break;
    case 'hide':
      m.setHidden(op.a, op.h);
      break;
    default:
      break;
  }
}

function same(actual: unknown, expected: unknown, label: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${label}: got ${a}, expected ${e}`);
}

function query(cached: GraphIndex, plain: GraphIndex, m: Model, v: number, w: number, label: string): void {
  const d = m.degree(v, w);
  const mu = m.mutuals(v, w).length;
  same(plain.relation(v, w), { degree: d, mutualCount: mu }, `${label} uncached relation(${v}, ${w})`);
  same(cached.relation(v, w), { degree: d, mutualCount: mu }, `${label} cached relation(${v}, ${w})`);
  same(cached.degree(v, w), d, `${label} cached degree(${v}, ${w})`);
  same(cached.mutualCount(v, w), mu, `${label} cached mutualCount(${v}, ${w})`);
  // introduction paths: through the viewer's cached reach when it has one (3rd degree), the same paths
  for (const k of [1, 2, 5]) same(cached.introductions(v, w, k), m.paths(v, w).slice(0, k), `${label} cached introductions(${v}, ${w}, ${k})`);
}

/** Cached against uncached on every pair, twice (viewers admitted and, when idle, built in between). */
function sweep(cached: GraphIndex, plain: GraphIndex, ids: number[], label: string): void {
  for (let round = 0; round < 2; round++) {
    if (round === 1) cached.flushBuilds();
    for (const v of ids) {
      for (const w of ids) {
        same(cached.relation(v, w), plain.relation(v, w), `${label} relation(${v}, ${w}) round ${round}`);
        const d = plain.degree(v, w);
        same(cached.degree(v, w), d, `${label} degree(${v}, ${w}) round ${round}`);
        same(cached.introductions(v, w, 2), plain.introductions(v, w, 2), `${label} introductions(${v}, ${w}) round ${round}`);
        if (d === 3) used.third++;
      }
    }
  }
}

const used = { hits: 0, builds: 0, drops: 0, evictions: 0, third: 0 };

describe('the viewer cache never changes an answer', () => {
  it('cached, uncached and the BFS model agree through random edge changes, blocks, hides and queries', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const m = new Model();
        for (const [a, b] of s.initial) m.addConnection(a, b);
        for (const [a, b] of s.initialBlocks) m.addBlock(a, b);
        for (const a of s.initialHidden) m.setHidden(a, true);
        const make = (viewerCache: ViewerCacheOptions | false): GraphIndex => {
          if (s.bulk) {
            return GraphIndex.fromEdges(
              { connections: s.initial.flat(), blocks: s.initialBlocks.flat(), hidden: s.initialHidden },
              { autoCompact: 'manual', viewerCache },
            );
          }
          const g = new GraphIndex({ autoCompact: 'manual', viewerCache });
          for (const [a, b] of s.initial) g.addConnection(a, b);
          for (const [a, b] of s.initialBlocks) g.addBlock(a, b);
          for (const a of s.initialHidden) g.setHidden(a, true);
          return g;
        };
        const cached = make(s.cache);
        const plain = make(false);
        for (let i = 0; i < s.ops.length; i++) {
          const op = s.ops[i];
          apply([cached, plain], m, op);
          if (op.t === 'query') {
            query(cached, plain, m, op.a, op.b, `op ${i}`);
          } else sweep(cached, plain, s.ids, `after op ${i} ${JSON.stringify(op)}`);
        }
        for (const v of s.ids) for (const w of s.ids) query(cached, plain, m, v, w, 'end');
        const st = cached.stats().viewerCache!;
        used.hits += st.hits;
        used.builds += st.builds;
        used.drops += st.drops;
        used.evictions += st.evictions;
        expect(st.viewers).toBeLessThanOrEqual(s.cache.viewers!);
        expect(st.ids).toBeLessThanOrEqual(s.cache.ids!);
      }),
      { numRuns: 1500 },
    );
  });

  it('exercised the cache: hits, builds, drops by writes and evictions by the bounds', () => {
    expect(used.hits).toBeGreaterThan(10_000);
    expect(used.builds).toBeGreaterThan(1_000);
    expect(used.drops).toBeGreaterThan(1_000);
    expect(used.evictions).toBeGreaterThan(1_000);
    expect(used.third).toBeGreaterThan(5_000);
  });
});

describe('the viewer cache, step by step', () => {
  // A path 1–2–3–4–5 and a pendant 6–1: 4 is 3rd degree to 1, 5 is out of network.
  const path = () => GraphIndex.fromEdges({ connections: [1, 2, 2, 3, 3, 4, 4, 5, 6, 1] }, { autoCompact: 'manual', viewerCache: { viewers: 2, ids: 100 } });
  const viewers = (g: GraphIndex) => g.stats().viewerCache!.viewers;

  it('queues a viewer the second time it needs the 3rd-degree test and builds it from setImmediate', async () => {
    const g = path();
    expect(g.degree(1, 4)).toBe(3);
    expect(g.degree(1, 5)).toBe(null);
    expect(viewers(g)).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(viewers(g)).toBe(1);
    expect(g.relation(1, 4)).toEqual({ degree: 3, mutualCount: 0 });
    expect(g.stats().viewerCache!.hits).toBe(1);
    expect(g.degree(1, 2)).toBe(1); // 1st and 2nd degree never consult the cache
    expect(g.degree(1, 3)).toBe(2);
    expect(g.stats().viewerCache!.hits).toBe(1);
  });

  it('evicts the least recently used viewer, and writes drop the viewers they concern', () => {
    const g = path();
    g.setViewerCache({ viewers: 2, ids: 100, admitAfter: 1, build: 'sync' });
    g.degree(1, 4); // caches 1
    g.degree(5, 2); // caches 5
    g.degree(1, 5); // uses 1: 5 is now the least recently used
    g.degree(6, 3); // caches 6, evicts 5
    const st = g.stats().viewerCache!;
    expect([st.viewers, st.builds, st.evictions]).toEqual([2, 3, 1]);
    expect(g.degree(1, 5)).toBe(null);
    expect(g.stats().viewerCache!.builds).toBe(3); // 1 was kept
    // 2–5 changes 2's list, which is in 1's set (through 2): 1 is dropped; 6's set (1's list) stays.
    g.addConnection(2, 5);
    expect(g.stats().viewerCache!.drops).toBe(1);
    expect(g.degree(1, 5)).toBe(2);
    expect(g.degree(6, 3)).toBe(3); // from 6's cached set
    g.setHidden(2, true); // 1 and 6 lose their paths through 2: 1 is dropped (connected to 2), 6 keeps its set
    expect(g.degree(1, 4)).toBe(null);
    expect(g.degree(6, 3)).toBe(null);
    expect(g.stats().viewerCache!.drops).toBe(1); // 1 was no longer cached, 6 is not connected to 2
  });
});

describe('the viewer cache on a bigger network', () => {
  it('agrees with the uncached index for active viewers through writes (filters and buckets of many bits)', () => {
    const n = 20_000;
    const edges = Array.from(generateEdges(n, 10, 11), (x) => x + 1);
    const cached = GraphIndex.fromEdges({ connections: edges }, { autoCompact: 'manual', viewerCache: { viewers: 150, ids: 200_000, build: 'sync' } });
    const plain = GraphIndex.fromEdges({ connections: edges }, { autoCompact: 'manual', viewerCache: false });
    const rnd = mulberry32(5);
    const pick = () => 1 + Math.floor(rnd() * n);
    const active = Array.from({ length: 200 }, pick);
    const seen = [0, 0, 0, 0];
    for (let i = 0; i < 60_000; i++) {
      const r = rnd();
      if (r < 0.01) {
        const [a, b] = [pick(), active[Math.floor(rnd() * active.length)]];
        for (const g of [cached, plain]) g.addConnection(a, b);
      } else if (r < 0.02) {
        const a = active[Math.floor(rnd() * active.length)];
        const cs = plain.connectionsOf(a);
        const b = cs[Math.floor(rnd() * cs.length)];
        if (b !== undefined) for (const g of [cached, plain]) g.removeConnection(a, b);
      } else if (r < 0.025) {
        const a = pick();
        const h = rnd() < 0.5;
        for (const g of [cached, plain]) g.setHidden(a, h);
      } else {
        const v = active[Math.floor(rnd() * active.length)];
        const m = pick();
        const want = plain.relation(v, m);
        seen[want.degree ?? 0]++;
        same(cached.relation(v, m), want, `relation(${v}, ${m}) at step ${i}`);
      }
    }
    const st = cached.stats().viewerCache!;
    expect(st.hits).toBeGreaterThan(20_000);
    expect(st.drops).toBeGreaterThan(100);
    expect(Math.min(seen[0], seen[3])).toBeGreaterThan(5_000);
  });
});
