import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphIndex } from '../../src/graph/index.js';
import { Model } from './model.js';

/**
 * The index against a brute-force BFS model on random small graphs: member ids with gaps (some
 * near 2^31 so the hash path of the id map is used), a bulk build, then interleaved adds,
 * removals, blocks, hides, group changes and compactions, checking every query on every pair.
 */

type Op =
  | { t: 'conn' | 'unconn' | 'follow' | 'unfollow' | 'block' | 'unblock'; a: number; b: number }
  | { t: 'hide'; a: number; h: boolean }
  | { t: 'join' | 'leave'; g: number; a: number }
  | { t: 'compact' };

const pool = fc.oneof(
  { weight: 4, arbitrary: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 2, maxLength: 13 }) },
  {
    weight: 1,
    arbitrary: fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 2 ** 31 - 50, max: 2 ** 31 - 1 })), {
      minLength: 2,
      maxLength: 12,
    }),
  },
);

const scenario = pool.chain((ids) => {
  const id = fc.constantFrom(...ids);
  const pair = fc.tuple(id, id);
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: pair.map(([a, b]) => ({ t: 'conn' as const, a, b })) },
    { weight: 4, arbitrary: pair.map(([a, b]) => ({ t: 'unconn' as const, a, b })) },
    { weight: 1, arbitrary: pair.map(([a, b]) => ({ t: 'follow' as const, a, b })) },
    { weight: 1, arbitrary: pair.map(([a, b]) => ({ t: 'unfollow' as const, a, b })) },
    { weight: 1, arbitrary: pair.map(([a, b]) => ({ t: 'block' as const, a, b })) },
    { weight: 1, arbitrary: pair.map(([a, b]) => ({ t: 'unblock' as const, a, b })) },
    { weight: 1, arbitrary: fc.tuple(id, fc.boolean()).map(([a, h]) => ({ t: 'hide' as const, a, h })) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), id).map(([g, a]) => ({ t: 'join' as const, g, a })) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), id).map(([g, a]) => ({ t: 'leave' as const, g, a })) },
    { weight: 1, arbitrary: fc.constant({ t: 'compact' as const }) },
  );
  return fc.record({
    ids: fc.constant(ids),
    initial: fc.array(pair, { maxLength: 30 }),
    initialFollows: fc.array(pair, { maxLength: 6 }),
    initialBlocks: fc.array(pair, { maxLength: 3 }),
    initialHidden: fc.subarray(ids, { maxLength: 2 }),
    initialGroups: fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), id), { maxLength: 8 }),
    ops: fc.array(op, { maxLength: 40 }),
    threshold: fc.constantFrom(1, 8, 64, undefined),
    k: fc.integer({ min: 1, max: 4 }),
    pageLimit: fc.integer({ min: 1, max: 3 }),
    excludeMod: fc.integer({ min: 2, max: 5 }),
  });
});

function apply(g: GraphIndex, m: Model, op: Op): void {
  switch (op.t) {
    case 'conn':
      g.addConnection(op.a, op.b);
      m.addConnection(op.a, op.b);
      break;
    case 'unconn':
      g.removeConnection(op.a, op.b);
      m.removeConnection(op.a, op.b);
      break;
    case 'follow':
      g.addFollow(op.a, op.b);
      m.addFollow(op.a, op.b);
      break;
    case 'unfollow':
      g.removeFollow(op.a, op.b);
      m.removeFollow(op.a, op.b);
      break;
    case 'block':
      g.addBlock(op.a, op.b);
      m.addBlock(op.a, op.b);
      break;
    case 'unblock':
      g.removeBlock(op.a, op.b);
      m.removeBlock(op.a, op.b);
      break;
    case 'hide':
      g.setHidden(op.a, op.h);
      m.setHidden(op.a, op.h);
      break;
    case 'join':
      g.joinGroup(op.g, op.a);
      m.joinGroup(op.g, op.a);
      break;
    case 'leave':
      g.leaveGroup(op.g, op.a);
      m.leaveGroup(op.g, op.a);
      break;
    case 'compact':
      g.compact();
      break;
  }
}

/** Cheap structural equality (vitest's expect is too slow for millions of checks). */
function same(actual: unknown, expected: unknown, label: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${label}: got ${a}, expected ${e}`);
}

/** How often each degree (0 = none) came up, to make sure the random graphs are interesting. */
const coverage = [0, 0, 0, 0];

function checkAll(g: GraphIndex, m: Model, ids: number[], k: number, pageLimit: number, excludeMod: number): void {
  for (const v of ids) {
    same(g.connectionsOf(v), m.connectionsOf(v), `(${v}) g.connectionsOf(v)`);
    same(g.connectionCount(v), m.neighbors(v).length, `(${v}) g.connectionCount(v)`);
    same(g.secondDegreeSize(v), m.secondDegreeSize(v), `(${v}) g.secondDegreeSize(v)`);
    const [second, third] = [m.layer(v, 2), m.layer(v, 3)];
    const sorted = (ids: number[] | null) => ids?.sort((a, b) => a - b) ?? null;
    const all = Math.max(second.length, third.length);
    const reach = g.reachIds(v, all);
    same([sorted(reach.second), sorted(reach.third)], [second, third], `(${v}) g.reachIds(v, all)`);
    if (third.length > second.length) same(g.reachIds(v, all - 1).third, null, `(${v}) g.reachIds(v, fewer).third`);
    if (second.length > 0) same(g.reachIds(v, all, 0), { second: null, third: null }, `(${v}) g.reachIds(v, all, no edges)`);
    const exclude = (id: number) => id % excludeMod === 0;
    same(g.suggestions(v, { limit: 3, exclude }), m.suggestions(v, exclude).slice(0, 3), `(${v}) g.suggestions(v, { limit: 3, exclude })`);
    same(g.suggestions(v, { limit: 100 }), m.suggestions(v), `(${v}) g.suggestions(v, { limit: 100 })`);
    for (const w of ids) {
      const d = m.degree(v, w);
      coverage[d ?? 0]++;
      same(g.degree(v, w), d, `degree(${v}, ${w})`);
      const mu = m.mutuals(v, w);
      same(g.mutualCount(v, w), mu.length, `(${v},${w}) g.mutualCount(v, w)`);
      same(g.relation(v, w), { degree: d, mutualCount: mu.length }, `(${v},${w}) g.relation(v, w)`);
      // Paging through the mutuals gives them all, ascending, with a stable total.
      const seen: number[] = [];
      let after = 0;
      for (let guard = 0; guard < 20; guard++) {
        const page = g.mutuals(v, w, { limit: pageLimit, after });
        same(page.count, mu.length, `(${v},${w}) mutuals count`);
        if (page.items.length === 0) break;
        seen.push(...page.items);
        after = page.items[page.items.length - 1];
      }
      same(seen, mu, `(${v},${w}) mutuals pages`);
      same(g.introductions(v, w, k), m.paths(v, w).slice(0, k), `(${v},${w}) g.introductions(v, w, k)`);
      same(g.isConnected(v, w), m.conn.get(v)?.has(w) ?? false, `(${v},${w}) g.isConnected(v, w)`);
      same(g.isFollowing(v, w), m.fol.has(`${v},${w}`), `(${v},${w}) g.isFollowing(v, w)`);
      same(g.isBlockedEitherWay(v, w), m.blockedEither(v, w), `(${v},${w}) g.isBlockedEitherWay(v, w)`);
      same(g.hasBlocked(v, w), m.blk.has(`${v},${w}`), `(${v},${w}) g.hasBlocked(v, w)`);
      same(g.sharedGroupCount(v, w), m.sharedGroupCount(v, w), `(${v},${w}) g.sharedGroupCount(v, w)`);
    }
  }
}

describe('GraphIndex agrees with a brute-force BFS', () => {
  it('after a bulk build and interleaved adds, removals, blocks, hides and compactions', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const m = new Model();
        // The bulk input may hold a connection between a blocked pair: fromEdges drops it,
        // like the model which applies the blocks after the connections.
        for (const [a, b] of s.initial) m.addConnection(a, b);
        for (const [a, b] of s.initialFollows) m.addFollow(a, b);
        for (const [a, b] of s.initialBlocks) m.addBlock(a, b);
        for (const a of s.initialHidden) m.setHidden(a, true);
        for (const [gr, a] of s.initialGroups) m.joinGroup(gr, a);
        const g = GraphIndex.fromEdges(
          {
            connections: s.initial.flat(),
            follows: s.initialFollows.flat(),
            blocks: s.initialBlocks.flat(),
            hidden: s.initialHidden,
            groupMembers: s.initialGroups,
          },
          { compactThreshold: s.threshold, autoCompact: 'sync' },
        );
        for (let i = 0; i < s.ops.length; i++) {
          apply(g, m, s.ops[i]);
          // Check a few intermediate states too (cheap subset), the full set at the end.
          if (i % 13 === 12) {
            for (const v of s.ids.slice(0, 3)) for (const w of s.ids) same(g.degree(v, w), m.degree(v, w), `degree(${v}, ${w})`);
          }
        }
        checkAll(g, m, s.ids, s.k, s.pageLimit, s.excludeMod);
        g.compact();
        checkAll(g, m, s.ids, s.k, s.pageLimit, s.excludeMod);
      }),
      { numRuns: 3000 },
    );
  });

  it('built incrementally from empty (ids arriving out of order)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const m = new Model();
        const g = new GraphIndex({ autoCompact: 'manual' });
        for (const [a, b] of s.initial) {
          g.addConnection(a, b);
          m.addConnection(a, b);
        }
        for (const op of s.ops) apply(g, m, op);
        checkAll(g, m, s.ids, s.k, s.pageLimit, s.excludeMod);
      }),
      { numRuns: 1500 },
    );
  });

  it('covered every degree many times', () => {
    for (const c of coverage) expect(c).toBeGreaterThan(1000);
  });
});
