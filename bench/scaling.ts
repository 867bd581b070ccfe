/**
 * bench:scaling — a simulation for docs/SCALING.md: the graph partitioned by member over k shards,
 * each member's adjacency list stored on r replicas (r hash functions). For random viewer/member
 * pairs it counts the partitions a query must touch:
 *  - degree 2 + mutual count: N(a) ∩ N(b) needs the lists of a and b (≤ 2 partitions, 1 if co-located);
 *  - degree 3: N(a) must be expanded: every neighbour's list, i.e. the partitions covering N(a);
 *    with r replicas a greedy set cover picks few partitions that together hold all of them.
 * Env: BENCH_SCALING_MEMBERS (100000), BENCH_SCALING_DEGREE (50).
 */
import { generateEdges, mulberry32 } from '../src/graph/generate.js';
import { machine, writeSection } from './lib.js';

const N = Number(process.env.BENCH_SCALING_MEMBERS ?? 100_000);
const D = Number(process.env.BENCH_SCALING_DEGREE ?? 50);
const PAIRS = 2000;
const log = (...a: unknown[]) => console.log(`[bench:scaling ${new Date().toISOString().slice(11, 19)}]`, ...a);

function hash(x: number, salt: number): number {
  let h = Math.imul(x ^ salt, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function main() {
  const t0 = performance.now();
  const pairs = generateEdges(N, D, 42);
  const deg = new Int32Array(N);
  for (let i = 0; i < pairs.length; i++) deg[pairs[i]]++;
  const off = new Int32Array(N + 1);
  for (let i = 0; i < N; i++) off[i + 1] = off[i] + deg[i];
  const adj = new Int32Array(off[N]);
  const fill = off.slice(0, N);
  for (let e = 0; e < pairs.length; e += 2) {
    const a = pairs[e];
    const b = pairs[e + 1];
    adj[fill[a]++] = b;
    adj[fill[b]++] = a;
  }
  log(`graph: ${N} members, ${pairs.length / 2} edges in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const rnd = mulberry32(9);
  const sample: number[] = [];
  for (let i = 0; i < PAIRS; i++) sample.push(Math.floor(rnd() * N));

  const rows: string[] = [];
  for (const k of [4, 16, 64, 256]) {
    for (const r of [1, 2, 3]) {
      const homes = (m: number) => {
        const out = new Set<number>();
        for (let j = 0; j < r; j++) out.add(hash(m, 0x1234 + j * 7919) % k);
        return [...out];
      };
      const touched: number[] = [];
      for (const a of sample) {
        // Greedy set cover of N(a) by partitions (each neighbour is held by its r homes).
        const uncovered = new Set<number>();
        for (let p = off[a]; p < off[a + 1]; p++) uncovered.add(adj[p]);
        const holds = new Map<number, number[]>();
        for (const x of uncovered) for (const h of homes(x)) (holds.get(h) ?? holds.set(h, []).get(h)!).push(x);
        let used = 0;
        while (uncovered.size) {
          let best = -1;
          let bestGain = 0;
          for (const [h, xs] of holds) {
            let gain = 0;
            for (const x of xs) if (uncovered.has(x)) gain++;
            if (gain > bestGain) {
              bestGain = gain;
              best = h;
            }
          }
          for (const x of holds.get(best)!) uncovered.delete(x);
          holds.delete(best);
          used++;
        }
        touched.push(used);
      }
      touched.sort((x, y) => x - y);
      const mean = touched.reduce((s, x) => s + x, 0) / touched.length;
      const p99 = touched[Math.floor(0.99 * touched.length)];
      rows.push(`| ${k} | ${r} | ≤ 2 (1 when co-located) | ${mean.toFixed(1)} | ${p99} | ${((100 * mean) / k).toFixed(0)}% |`);
      log(`k=${k} r=${r}: degree-3 partitions touched mean ${mean.toFixed(1)} p99 ${p99}`);
    }
  }
  writeSection(
    'Scaling simulation',
    [
      `${machine()}. Generated graph: ${N.toLocaleString('en-US')} members, average degree ${D} (src/graph/generate.ts), members hashed to k partitions, each adjacency list on r replicas; ${PAIRS} random viewers. Partitions touched per query (greedy set cover of the viewer's connections for degree 3):`,
      '',
      '| partitions k | replicas r | degree 2 + mutual count | degree 3: mean | degree 3: p99 | mean as % of k |',
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
  log('wrote bench/RESULTS.md (Scaling simulation)');
}

main();
