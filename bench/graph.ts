/**
 * Benchmark of the in-memory graph index (src/graph) against two baselines on the same edges:
 *   (a) graphology (UndirectedGraph) with a depth-limited BFS (depth <= 3, stops when found)
 *       and a neighbour-set intersection for the mutual count;
 *   (b) PostgreSQL: a recursive CTE (depth <= 3) plus a self-join for the mutual count, on an
 *       edge table (both directions) loaded with COPY FROM STDIN and indexed on (a, b).
 *
 * One deterministic (seeded) power-law-ish clustered graph per size, average degree about 50.
 * Figure measured: "degree + mutual count" (GraphIndex.relation) for random member pairs,
 * latency p50/p99; index memory per directed edge; load (build) time.
 *
 * Run: npm run bench:graph   (node --expose-gc --max-old-space-size=16000 dist/bench/graph.js)
 * Env: BENCH_GRAPH_SIZES=10000,100000,1000000   BENCH_GRAPH_DEGREE=50
 *      BENCH_GRAPH_PG=postgres://postgres@127.0.0.1:5432/test (set to "off" to skip)
 *      BENCH_GRAPH_GRAPHOLOGY=on|off   BENCH_GRAPH_WRITE=on|off (write bench/RESULTS.md)
 *      BENCH_GRAPH_GL_BUILD_BUDGET_S=180 (graphology's build is abandoned past this, per size)
 */
import { mulberry32 } from '../src/graph/generate.js';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { UndirectedGraph } from 'graphology';
import pg from 'pg';
import { GraphIndex, type ViewerCacheStats } from '../src/graph/index.js';
import { buildSortedCsr } from '../src/graph/adjacency.js';

const SIZES = (process.env.BENCH_GRAPH_SIZES ?? '10000,100000,1000000').split(',').map((s) => Number(s.trim()));
const AVG_DEGREE = Number(process.env.BENCH_GRAPH_DEGREE ?? 50);
const PG_URL = process.env.BENCH_GRAPH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const USE_PG = PG_URL !== 'off';
const USE_GRAPHOLOGY = (process.env.BENCH_GRAPH_GRAPHOLOGY ?? 'on') !== 'off';
const WRITE = (process.env.BENCH_GRAPH_WRITE ?? 'on') !== 'off';

const OURS_SAMPLES = 20_000;
/** Active-viewer workloads: this many viewers (seen before), each query a random one of them and a random member. */
const ACTIVE_VIEWERS = (process.env.BENCH_GRAPH_ACTIVE ?? '100,1000').split(',').map((s) => Number(s.trim()));
const GL_MAX_SAMPLES = 2_000;
const GL_BUDGET_MS = 12_000;
const GL_BUILD_BUDGET_MS = Number(process.env.BENCH_GRAPH_GL_BUILD_BUDGET_S ?? 180) * 1000;
const PG_MAX_SAMPLES = 300;
const PG_BUDGET_MS = 20_000;
const PG_TIMEOUT_MS = 5_000;

const log = (...args: unknown[]) => console.log(`[bench:graph ${new Date().toISOString().slice(11, 19)}]`, ...args);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

// -------------------------------------------------------------------------------------------------
// Deterministic graph generation

interface Generated {
  ids: Int32Array; // member ids (ascending, with gaps)
  pairs: Int32Array; // undirected connections, flat id pairs (may hold a few duplicates)
  edges: number;
}

/**
 * Chung–Lu style: each member gets a Pareto weight (alpha 2.5, capped), endpoints are drawn in
 * proportion to weight; 80% of edges stay inside the member's community (random communities of
 * ~500 members, assigned independently of ids, so ids carry no locality).
 */
function generate(n: number, avgDegree: number, seed: number): Generated {
  const rnd = mulberry32(seed);
  const ids = new Int32Array(n);
  let id = 0;
  for (let i = 0; i < n; i++) {
    id += 1 + (rnd() < 0.2 ? Math.floor(rnd() * 4) : 0); // gaps, like deleted identity values
    ids[i] = id;
  }
  const alpha = 2.5;
  const wMin = 1;
  const wMax = Math.min(2000, n / 10);
  const w = new Float64Array(n);
  let wSum = 0;
  for (let i = 0; i < n; i++) {
    w[i] = Math.min(wMax, wMin * Math.pow(1 - rnd(), -1 / (alpha - 1)));
    wSum += w[i];
  }
  const target = n * 8; // stubs: enough resolution for the weights, small enough to stay in cache
  const scale = target / wSum;
  const stubCount = new Int32Array(n);
  let S = 0;
  for (let i = 0; i < n; i++) {
    stubCount[i] = Math.max(1, Math.round(w[i] * scale));
    S += stubCount[i];
  }
  const communities = Math.max(1, Math.round(n / 500));
  const comm = new Int32Array(n);
  for (let i = 0; i < n; i++) comm[i] = Math.floor(rnd() * communities);
  // Stubs grouped by community (counting sort).
  const cStart = new Int32Array(communities + 1);
  for (let i = 0; i < n; i++) cStart[comm[i] + 1] += stubCount[i];
  for (let c = 0; c < communities; c++) cStart[c + 1] += cStart[c];
  const fill = cStart.slice(0, communities);
  const stubs = new Int32Array(S);
  for (let i = 0; i < n; i++) for (let k = 0; k < stubCount[i]; k++) stubs[fill[comm[i]]++] = i;
  // Draw edges until there are E distinct ones (hub-to-hub pairs repeat): draw, deduplicate with
  // the same sorted-CSR builder the index uses, top up the shortfall, repeat.
  const E = Math.round((n * avgDegree) / 2);
  let src = new Int32Array(0);
  let dst = new Int32Array(0);
  let unique = 0;
  let keepRate = 1; // share of fresh draws that turn out new (updated each round)
  for (let round = 0; round < 6 && unique < E * 0.999; round++) {
    const before = unique;
    const extra = Math.ceil(((E - unique) / keepRate) * 1.02) + 16;
    const s2 = new Int32Array(2 * (unique + extra));
    const d2 = new Int32Array(2 * (unique + extra));
    s2.set(src.subarray(0, 2 * unique));
    d2.set(dst.subarray(0, 2 * unique));
    let m = 2 * unique;
    for (let e = 0; e < extra;) {
      const u = stubs[Math.floor(rnd() * S)];
      let v: number;
      if (rnd() < 0.8) {
        const c = comm[u];
        v = stubs[cStart[c] + Math.floor(rnd() * (cStart[c + 1] - cStart[c]))];
      } else v = stubs[Math.floor(rnd() * S)];
      if (u === v) continue;
      s2[m] = u;
      d2[m++] = v;
      s2[m] = v;
      d2[m++] = u;
      e++;
    }
    const { off, nbr } = buildSortedCsr(n, n, s2, d2, m);
    // Back to unique undirected pairs (u < v).
    unique = 0;
    for (let u = 0; u < n; u++) {
      for (let p = off[u]; p < off[u + 1]; p++) {
        const v = nbr[p];
        if (u < v) {
          s2[2 * unique] = u;
          d2[2 * unique] = v;
          s2[2 * unique + 1] = v;
          d2[2 * unique + 1] = u;
          unique++;
        }
      }
    }
    src = s2;
    dst = d2;
    keepRate = Math.max(0.05, (unique - before) / extra);
  }
  // Map to member ids (the last round may overshoot E by a little: kept).
  const pairs = new Int32Array(2 * unique);
  for (let i = 0; i < unique; i++) {
    pairs[2 * i] = ids[src[2 * i]];
    pairs[2 * i + 1] = ids[dst[2 * i]];
  }
  return { ids, pairs, edges: unique };
}

function randomPairs(ids: Int32Array, count: number, seed: number): Int32Array {
  const rnd = mulberry32(seed);
  const out = new Int32Array(2 * count);
  for (let i = 0; i < count; i++) {
    const a = ids[Math.floor(rnd() * ids.length)];
    let b = a;
    while (b === a) b = ids[Math.floor(rnd() * ids.length)];
    out[2 * i] = a;
    out[2 * i + 1] = b;
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// Stats

interface Lat {
  n: number;
  p50: number; // ns
  p99: number; // ns
  mean: number;
  timeouts?: number;
}

function summarize(ns: number[], timeouts = 0): Lat {
  const s = [...ns].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), timeouts };
}

function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}
const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1)}x` : 'n/a');
const fmtSize = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${n}`);
const fmtMs = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`);

// -------------------------------------------------------------------------------------------------
// Ours

interface OursResult {
  buildMs: number;
  directedEdges: number;
  members: number;
  memoryBytes: number;
  heapDeltaBytes: number;
  lat: Lat;
  degreeMix: Record<string, number>;
  classP50: Record<string, number>;
  updateLat: Lat;
  compactMs: number;
  secondDegreeLat: Lat;
  /** The same random pairs with the viewer cache on from empty: marks only (no builds ever run). */
  markLat: Lat;
  /** The same, with flushBuilds() between two queries (untimed): repeat viewers use their sets. */
  coldLat: Lat;
  active: ActiveResult[];
}

interface ActiveResult {
  viewers: number;
  lat: Lat;
  classP50: Record<string, number>;
  mix: Record<string, number>;
  /** Time to build one viewer's set (flushBuilds after its second 3rd-degree query; off the request path). */
  buildLat: Lat;
  /** Cache after warming and after the measured queries. */
  warm: ViewerCacheStats;
  after: ViewerCacheStats;
  agree: number;
  checked: number;
}

/**
 * Active viewers: `viewers` random members each query random members until the cache has built
 * their set (warm), then ACTIVE-sample queries by a random active viewer about a random member,
 * each timed alone; the answers are compared with the uncached index's.
 */
function benchActive(index: GraphIndex, ids: Int32Array, viewers: number, samples: number, seed: number): ActiveResult {
  const rnd = mulberry32(seed);
  const pick = () => ids[Math.floor(rnd() * ids.length)];
  const active = new Int32Array(viewers);
  for (let i = 0; i < viewers; i++) active[i] = pick();
  const pairs = new Int32Array(2 * samples);
  for (let i = 0; i < samples; i++) {
    const a = active[Math.floor(rnd() * viewers)];
    let b = a;
    while (b === a) b = pick();
    pairs[2 * i] = a;
    pairs[2 * i + 1] = b;
  }
  // Expected answers from the uncached index.
  index.setViewerCache(false);
  const expDeg = new Int8Array(samples);
  const expMu = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    const r = index.relation(pairs[2 * i], pairs[2 * i + 1]);
    expDeg[i] = r.degree ?? 0;
    expMu[i] = r.mutualCount;
  }
  index.setViewerCache({});
  // Warm: each viewer asks about random members until its set is built (or 40 tries: a viewer
  // whose answers are all 1st/2nd degree never needs it). Between two queries, what setImmediate
  // would do: flushBuilds() (timed: the build of one viewer's set, off the request path).
  const build: number[] = [];
  let builds = index.stats().viewerCache!.builds;
  for (let i = 0; i < viewers; i++) {
    const v = active[i];
    for (let t = 0; t < 40; t++) {
      let m = v;
      while (m === v) m = pick();
      index.relation(v, m);
      const t0 = process.hrtime.bigint();
      index.flushBuilds();
      const ns = Number(process.hrtime.bigint() - t0);
      const b = index.stats().viewerCache!.builds;
      if (b !== builds) {
        builds = b;
        build.push(ns);
        break;
      }
    }
  }
  const warm = index.stats().viewerCache!;
  const ns = new Array<number>(samples);
  const mix: Record<string, number> = { '1': 0, '2': 0, '3': 0, out: 0 };
  const byClass: Record<string, number[]> = { '1': [], '2': [], '3': [], out: [] };
  let agree = 0;
  for (let i = 0; i < samples; i++) {
    const a = pairs[2 * i];
    const b = pairs[2 * i + 1];
    const t = process.hrtime.bigint();
    const r = index.relation(a, b);
    ns[i] = Number(process.hrtime.bigint() - t);
    if ((r.degree ?? 0) === expDeg[i] && r.mutualCount === expMu[i]) agree++;
    const cls = r.degree === null ? 'out' : String(r.degree);
    mix[cls]++;
    byClass[cls].push(ns[i]);
  }
  const classP50: Record<string, number> = {};
  for (const k of Object.keys(byClass)) classP50[k] = byClass[k].length ? summarize(byClass[k]).p50 : NaN;
  return { viewers, lat: summarize(ns), classP50, mix, buildLat: summarize(build), warm, after: index.stats().viewerCache!, agree, checked: samples };
}

function benchOurs(gen: Generated, pairs: Int32Array): { index: GraphIndex; result: OursResult } {
  for (let i = 0; i < 3; i++) gc(); // collect the generator's garbage before the first reading
  const mem0 = process.memoryUsage();
  const t0 = performance.now();
  const index = GraphIndex.fromEdges(
    { connections: gen.pairs },
    { onProgress: (phase, info) => log(`  ours: ${phase} ${info.items.toLocaleString('en-US')} in ${fmtMs(info.ms)}`), autoCompact: 'manual' },
  );
  const buildMs = performance.now() - t0;
  gc();
  const mem1 = process.memoryUsage();
  const heapDeltaBytes = mem1.heapUsed + mem1.arrayBuffers - (mem0.heapUsed + mem0.arrayBuffers);
  const st = index.stats();
  const directedEdges = st.connections * 2;
  log(`  ours: ${st.members.toLocaleString('en-US')} members, ${directedEdges.toLocaleString('en-US')} directed edges, built in ${fmtMs(buildMs)}`);

  const count = pairs.length >>> 1;
  // Uncached first (the figure of earlier runs), then the same pairs with the cache on.
  index.setViewerCache(false);
  const memoryBytes = index.memoryBytes(); // the index alone (the cache is reported apart)
  // Warm-up (JIT), then measure each query with hrtime.
  let sink = 0;
  for (let i = 0; i < Math.min(count, 5000); i++) sink += index.relation(pairs[2 * i], pairs[2 * i + 1]).mutualCount;
  const ns = new Array<number>(count);
  const mix: Record<string, number> = { '1': 0, '2': 0, '3': 0, out: 0 };
  const byClass: Record<string, number[]> = { '1': [], '2': [], '3': [], out: [] };
  for (let i = 0; i < count; i++) {
    const a = pairs[2 * i];
    const b = pairs[2 * i + 1];
    const t = process.hrtime.bigint();
    const r = index.relation(a, b);
    ns[i] = Number(process.hrtime.bigint() - t);
    sink += r.mutualCount;
    const cls = r.degree === null ? 'out' : String(r.degree);
    mix[cls]++;
    byClass[cls].push(ns[i]);
  }
  const classP50: Record<string, number> = {};
  for (const k of Object.keys(byClass)) classP50[k] = byClass[k].length ? summarize(byClass[k]).p50 : NaN;
  const lat = summarize(ns);

  // The same random pairs, cache on from empty: a viewer's first 3rd-degree query marks it, the
  // second queues it. First with the builds never run (what the cache adds to a request: marks),
  // then with flushBuilds() between two queries (untimed: setImmediate's turn in a server), so
  // that repeat viewers use their sets. What random (mostly new) viewers cost.
  index.setViewerCache({});
  const marks = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const a = pairs[2 * i];
    const b = pairs[2 * i + 1];
    const t = process.hrtime.bigint();
    const r = index.relation(a, b);
    marks[i] = Number(process.hrtime.bigint() - t);
    sink += r.mutualCount;
  }
  const markLat = summarize(marks);
  index.setViewerCache({});
  for (let i = 0; i < Math.min(count, 5000); i++) {
    sink += index.relation(pairs[2 * count - 2 - 2 * i], pairs[2 * count - 1 - 2 * i]).mutualCount;
    index.flushBuilds();
  }
  index.setViewerCache({});
  const cold = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const a = pairs[2 * i];
    const b = pairs[2 * i + 1];
    const t = process.hrtime.bigint();
    const r = index.relation(a, b);
    cold[i] = Number(process.hrtime.bigint() - t);
    sink += r.mutualCount;
    index.flushBuilds();
  }
  const coldLat = summarize(cold);

  const active: ActiveResult[] = [];
  for (const a of ACTIVE_VIEWERS) {
    const res = benchActive(index, gen.ids, a, OURS_SAMPLES, 1000 + a);
    active.push(res);
    log(
      `  ours, ${a} active viewers: p50 ${fmtNs(res.lat.p50)} p99 ${fmtNs(res.lat.p99)}; build p50 ${fmtNs(res.buildLat.p50)} p99 ${fmtNs(res.buildLat.p99)} (n=${res.buildLat.n}); ` +
        `cache ${res.warm.viewers} viewers ${res.warm.ids.toLocaleString('en-US')} ids ${(res.warm.bytes / 2 ** 20).toFixed(1)} MiB; ` +
        `during: hits ${res.after.hits - res.warm.hits} builds ${res.after.builds - res.warm.builds} evictions ${res.after.evictions - res.warm.evictions}; agree ${res.agree}/${res.checked}`,
    );
  }

  // Second-degree network size (viewer side of a profile page / "your network").
  const sd: number[] = [];
  for (let i = 0; i < Math.min(count, 2000); i++) {
    const t = process.hrtime.bigint();
    sink += index.secondDegreeSize(pairs[2 * i]);
    sd.push(Number(process.hrtime.bigint() - t));
  }

  // Writes: add then remove random connections (overlay), then one compaction. The cache holds
  // the last active workload's viewers: each write also drops the cached viewers around it.
  const upd: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const a = pairs[2 * i];
    const b = pairs[2 * i + 1];
    const t = process.hrtime.bigint();
    if (index.isConnected(a, b)) index.removeConnection(a, b);
    else index.addConnection(a, b);
    upd.push(Number(process.hrtime.bigint() - t));
  }
  const tc = performance.now();
  index.compact();
  const compactMs = performance.now() - tc;
  // Undo, so the baselines and our numbers are on the same edges.
  for (let i = 0; i < 10_000; i++) {
    const a = pairs[2 * i];
    const b = pairs[2 * i + 1];
    if (index.isConnected(a, b)) index.removeConnection(a, b);
    else index.addConnection(a, b);
  }
  index.compact();
  if (sink === -1) log('');
  return {
    index,
    result: {
      buildMs,
      directedEdges,
      members: st.members,
      memoryBytes,
      heapDeltaBytes,
      lat,
      degreeMix: mix,
      classP50,
      updateLat: summarize(upd),
      compactMs,
      secondDegreeLat: summarize(sd),
      markLat,
      coldLat,
      active,
    },
  };
}

// -------------------------------------------------------------------------------------------------
// graphology

interface GlResult {
  buildMs: number;
  lat: Lat;
  agree: number;
  checked: number;
}

function buildGraphology(gen: Generated): { graph: UndirectedGraph | null; buildMs: number; edges: number } {
  const t0 = performance.now();
  const graph = new UndirectedGraph({ allowSelfLoops: false });
  for (let i = 0; i < gen.ids.length; i++) graph.addNode(gen.ids[i]);
  const p = gen.pairs;
  for (let i = 0; i < p.length; i += 2) {
    if (i % 2_000_000 === 0 && i > 0) {
      const ms = performance.now() - t0;
      log(`  graphology: ${(i / 2).toLocaleString('en-US')} edges in ${fmtMs(ms)}…`);
      if (ms > GL_BUILD_BUDGET_MS) return { graph: null, buildMs: ms, edges: i / 2 };
    }
    graph.addEdge(p[i], p[i + 1]); // the generated pairs are distinct
  }
  return { graph, buildMs: performance.now() - t0, edges: graph.size };
}

/** Depth-limited BFS (<= 3) from a, stopping at b; mutual count by set intersection. */
function glRelation(graph: UndirectedGraph, a: number, b: number): { degree: number | null; mutualCount: number } {
  const ka = String(a);
  const kb = String(b);
  let degree: number | null = null;
  const seen = new Set<string>([ka]);
  let frontier = [ka];
  for (let d = 1; d <= 3 && degree === null; d++) {
    const next: string[] = [];
    for (const x of frontier) {
      graph.forEachNeighbor(x, (y) => {
        if (!seen.has(y)) {
          seen.add(y);
          next.push(y);
        }
      });
      if (seen.has(kb)) {
        degree = d;
        break;
      }
    }
    frontier = next;
  }
  const na = new Set(graph.neighbors(ka));
  let mutualCount = 0;
  for (const y of graph.neighbors(kb)) if (na.has(y)) mutualCount++;
  return { degree, mutualCount };
}

function benchGraphology(graph: UndirectedGraph, buildMs: number, pairs: Int32Array, index: GraphIndex): GlResult {
  const count = Math.min(pairs.length >>> 1, GL_MAX_SAMPLES);
  for (let i = 0; i < Math.min(5, count); i++) glRelation(graph, pairs[2 * i], pairs[2 * i + 1]);
  const ns: number[] = [];
  let agree = 0;
  const start = performance.now();
  for (let i = 0; i < count && performance.now() - start < GL_BUDGET_MS; i++) {
    const a = pairs[2 * i];
    const b = pairs[2 * i + 1];
    const t = process.hrtime.bigint();
    const r = glRelation(graph, a, b);
    ns.push(Number(process.hrtime.bigint() - t));
    const o = index.relation(a, b);
    if (o.degree === r.degree && o.mutualCount === r.mutualCount) agree++;
  }
  return { buildMs, lat: summarize(ns), agree, checked: ns.length };
}

// -------------------------------------------------------------------------------------------------
// PostgreSQL

/** COPY FROM STDIN through node-postgres' connection (what pg-copy-streams does, minimal). */
class CopyIn {
  private resolve!: () => void;
  private reject!: (e: unknown) => void;
  private error: unknown = null;
  readonly done: Promise<void>;
  constructor(
    private readonly text: string,
    private readonly chunks: () => Generator<Buffer>,
  ) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void; stream: { writableLength: number } }): void {
    void (async () => {
      for (const chunk of this.chunks()) {
        connection.sendCopyFromChunk(chunk);
        // Backpressure by polling the socket's buffer (robust whatever pg does with 'drain').
        while (connection.stream.writableLength > 8 << 20) await new Promise((r) => setTimeout(r, 2));
      }
      connection.endCopyFrom();
    })().catch((e) => {
      this.error = e;
    });
  }
  handleCommandComplete(): void {}
  handleError(err: unknown): void {
    this.error = err;
  }
  handleReadyForQuery(): void {
    if (this.error) this.reject(this.error);
    else this.resolve();
  }
}

function* edgeChunks(pairs: Int32Array): Generator<Buffer> {
  let parts: string[] = [];
  let size = 0;
  for (let i = 0; i < pairs.length; i += 2) {
    const a = pairs[i];
    const b = pairs[i + 1];
    const line = `${a}\t${b}\n`;
    parts.push(line);
    size += line.length;
    if (size > 1 << 20) {
      yield Buffer.from(parts.join(''));
      parts = [];
      size = 0;
    }
  }
  if (parts.length) yield Buffer.from(parts.join(''));
}

interface PgLoad {
  copyMs: number;
  indexMs: number;
  rows: number;
}
interface PgResult {
  load: PgLoad;
  lat: Lat;
  agree: number;
  checked: number;
}

const CTE_SQL = `
WITH RECURSIVE walk(node, depth) AS (
    SELECT $1::int, 0
  UNION
    SELECT e.b, w.depth + 1 FROM walk w JOIN edges e ON e.a = w.node WHERE w.depth < 3
)
SELECT (SELECT min(depth) FROM walk WHERE node = $2::int) AS degree,
       (SELECT count(*) FROM edges e1 JOIN edges e2 ON e2.b = e1.b AND e2.a = $2::int WHERE e1.a = $1::int) AS mutual`;

/** A CTE answer as node-postgres parses it: min() of int4 is a number, count(*) an int8 string. */
interface CteRow {
  degree: number | null;
  mutual: string;
}

async function pgLoad(client: pg.Client, schema: string, pairs: Int32Array): Promise<{ copyMs: number; finish: Promise<PgLoad> }> {
  await client.query(`SET statement_timeout = 0`); // the CTE runs of the previous size set one
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path = ${schema}`);
  await client.query(`CREATE UNLOGGED TABLE edges (a int NOT NULL, b int NOT NULL)`);
  const t0 = performance.now();
  // One row per connection over the wire (the generator's pairs are distinct, no self-loops);
  // the reverse direction is added server-side.
  const copy = new CopyIn(`COPY edges (a, b) FROM STDIN`, () => edgeChunks(pairs));
  // A submittable: pg answers the query object itself, whose `done` settles when the COPY does.
  client.query(copy);
  await copy.done;
  const copyMs = performance.now() - t0;
  log(`  pg: COPY ${(pairs.length / 2).toLocaleString('en-US')} rows in ${fmtMs(copyMs)}; reverse rows + primary key + vacuum…`);
  // The rest runs on the server (while node builds graphology).
  const finish = (async () => {
    const t1 = performance.now();
    await client.query(`SET maintenance_work_mem = '1GB'`);
    await client.query(`SET work_mem = '256MB'`);
    await client.query(`INSERT INTO edges (a, b) SELECT b, a FROM edges`);
    await client.query(`ALTER TABLE edges ADD PRIMARY KEY (a, b)`);
    await client.query(`VACUUM ANALYZE edges`);
    const rows = Number((await client.query<{ c: string }>(`SELECT count(*) AS c FROM edges`)).rows[0].c);
    return { copyMs, indexMs: performance.now() - t1, rows };
  })();
  return { copyMs, finish };
}

async function benchPg(client: pg.Client, pairs: Int32Array, index: GraphIndex, load: PgLoad): Promise<PgResult> {
  await client.query(`SET statement_timeout = ${PG_TIMEOUT_MS}`);
  await client.query({ name: 'cte', text: CTE_SQL, values: [pairs[0], pairs[1]] }).catch(() => {});
  const ns: number[] = [];
  let timeouts = 0;
  let agree = 0;
  let checked = 0;
  const start = performance.now();
  const count = Math.min(pairs.length >>> 1, PG_MAX_SAMPLES);
  for (let i = 0; i < count && performance.now() - start < PG_BUDGET_MS; i++) {
    const a = pairs[2 * i];
    const b = pairs[2 * i + 1];
    const t = process.hrtime.bigint();
    try {
      const r = await client.query<CteRow>({ name: 'cte', text: CTE_SQL, values: [a, b] });
      ns.push(Number(process.hrtime.bigint() - t));
      const o = index.relation(a, b);
      const d = r.rows[0].degree === null ? null : Number(r.rows[0].degree);
      checked++;
      if ((d === 0 ? null : d) === o.degree && Number(r.rows[0].mutual) === o.mutualCount) agree++;
    } catch (e) {
      if ((e as { code?: string }).code !== '57014') throw e;
      timeouts++;
      ns.push(PG_TIMEOUT_MS * 1e6); // a timeout counts as the timeout (a lower bound)
    }
  }
  return { load, lat: summarize(ns, timeouts), agree, checked };
}

// -------------------------------------------------------------------------------------------------
// Main

interface SizeResult {
  n: number;
  gen: { ms: number; edges: number };
  ours: OursResult;
  gl?: GlResult;
  glSkipped?: string;
  pg?: PgResult;
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`sizes ${SIZES.join(', ')}; average degree ${AVG_DEGREE}; node ${process.version}; ${os.cpus()[0]?.model} x${os.cpus().length}`);
  let client: pg.Client | null = null;
  const schema = `bench_graph_${process.pid}`;
  if (USE_PG) {
    try {
      client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
    } catch (e) {
      log(`PostgreSQL unavailable (${(e as Error).message}); skipping the CTE baseline`);
      client = null;
    }
  }
  const results: SizeResult[] = [];
  try {
    for (const n of SIZES) {
      log(`== ${n.toLocaleString('en-US')} members`);
      const tg = performance.now();
      const gen = generate(n, AVG_DEGREE, 42);
      const genMs = performance.now() - tg;
      log(`  generated ${gen.edges.toLocaleString('en-US')} edges in ${fmtMs(genMs)}`);
      const pairs = randomPairs(gen.ids, OURS_SAMPLES, 7);
      const { index, result: ours } = benchOurs(gen, pairs);
      log(
        `  ours: degree+mutual p50 ${fmtNs(ours.lat.p50)} p99 ${fmtNs(ours.lat.p99)}; ${(ours.memoryBytes / ours.directedEdges).toFixed(2)} B/directed edge; mix ${JSON.stringify(ours.degreeMix)}`,
      );
      const res: SizeResult = { n, gen: { ms: genMs, edges: gen.edges }, ours };

      // Start the PostgreSQL load (COPY from node), then let the server deduplicate and index
      // while node builds the graphology graph. Measurements run one at a time.
      let pgFinish: Promise<PgLoad> | null = null;
      if (client) {
        const l = await pgLoad(client, schema, gen.pairs);
        pgFinish = l.finish;
      }
      if (USE_GRAPHOLOGY) {
        gc();
        const { graph, buildMs, edges } = buildGraphology(gen);
        if (graph) log(`  graphology: built in ${fmtMs(buildMs)} (${edges.toLocaleString('en-US')} edges)`);
        else {
          log(`  graphology: build abandoned after ${fmtMs(buildMs)} (${edges.toLocaleString('en-US')} edges); no graphology figures at this size`);
          res.glSkipped = `build abandoned after ${fmtMs(buildMs)} at ${edges.toLocaleString('en-US')} of ${gen.edges.toLocaleString('en-US')} edges`;
        }
        if (pgFinish) {
          const load = await pgFinish;
          log(`  pg: table + primary key + vacuum analyze in ${fmtMs(load.indexMs)} (${load.rows.toLocaleString('en-US')} rows)`);
          pgFinish = Promise.resolve(load);
        }
        if (graph) res.gl = benchGraphology(graph, buildMs, pairs, index);
        if (res.gl) log(`  graphology: p50 ${fmtNs(res.gl.lat.p50)} p99 ${fmtNs(res.gl.lat.p99)} (n=${res.gl.lat.n}, agree ${res.gl.agree}/${res.gl.checked})`);
      }
      if (client && pgFinish) {
        const load = await pgFinish;
        res.pg = await benchPg(client, pairs, index, load);
        log(
          `  pg CTE: p50 ${fmtNs(res.pg.lat.p50)} p99 ${fmtNs(res.pg.lat.p99)} (n=${res.pg.lat.n}, timeouts ${res.pg.lat.timeouts}, agree ${res.pg.agree}/${res.pg.checked})`,
        );
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }
      results.push(res);
      gc();
    }
  } finally {
    if (client) {
      await client.query(`RESET statement_timeout`).catch(() => {});
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await client.end();
    }
  }
  const totalS = (Date.now() - started) / 1000;
  const md = report(results, totalS);
  console.log('\n' + md);
  if (WRITE) writeResults(md);
}

function report(results: SizeResult[], totalS: number): string {
  const L: string[] = [];
  const mem = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
  L.push('## Graph index');
  L.push('');
  L.push(
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:graph\` (bench/graph.ts), ${totalS.toFixed(0)} s in all. ` +
      `Machine: ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length} cores, ${mem} RAM, Node ${process.version}, ${os.platform()} ${os.release()}.`,
  );
  L.push('');
  L.push(
    `Graph: deterministic (seed 42) power-law-ish clustered graph, average degree ~${AVG_DEGREE} (Chung–Lu weights, Pareto alpha 2.5; 80% of edges inside random ` +
      `communities of ~500 members, ids with gaps, no id locality). Figure: **degree + mutual count** (\`GraphIndex.relation\`) for uniformly random member pairs ` +
      `(the same pairs for every system). Latency of each query measured alone (hrtime around one call; ours includes ~50–100 ns of timer overhead).`,
  );
  L.push('');
  L.push('| members | figure | ours | baseline | ratio |');
  L.push('|---|---|---|---|---|');
  for (const r of results) {
    const s = fmtSize(r.n);
    const o = r.ours;
    if (r.pg) {
      const p = r.pg.lat;
      const note = p.timeouts ? `, ${p.timeouts} timeouts at ${PG_TIMEOUT_MS / 1000} s` : '';
      L.push(
        `| ${s} | degree + mutual count p50, vs PostgreSQL recursive CTE (n=${p.n}${note}) | ${fmtNs(o.lat.p50)} | ${fmtNs(p.p50)} | ${fmtRatio(p.p50 / o.lat.p50)} |`,
      );
      L.push(`| ${s} | degree + mutual count p99, vs PostgreSQL recursive CTE | ${fmtNs(o.lat.p99)} | ${fmtNs(p.p99)} | ${fmtRatio(p.p99 / o.lat.p99)} |`);
    }
    if (r.gl) {
      const g = r.gl.lat;
      L.push(
        `| ${s} | degree + mutual count p50, vs graphology depth-limited BFS (n=${g.n}) | ${fmtNs(o.lat.p50)} | ${fmtNs(g.p50)} | ${fmtRatio(g.p50 / o.lat.p50)} |`,
      );
      L.push(`| ${s} | degree + mutual count p99, vs graphology depth-limited BFS | ${fmtNs(o.lat.p99)} | ${fmtNs(g.p99)} | ${fmtRatio(g.p99 / o.lat.p99)} |`);
    }
    if (r.glSkipped) L.push(`| ${s} | degree + mutual count, vs graphology | ${fmtNs(o.lat.p50)} | not measured: ${r.glSkipped} | |`);
    L.push(
      `| ${s} | index memory per directed edge (memoryBytes / heap+arrayBuffers delta) | ${(o.memoryBytes / o.directedEdges).toFixed(2)} B / ${(o.heapDeltaBytes / o.directedEdges).toFixed(2)} B | ` +
        (r.gl ? `graphology: n/a (not measured) | |` : ' | |'),
    );
    const pgLoadS = r.pg ? `PostgreSQL COPY ${fmtMs(r.pg.load.copyMs)} + reverse rows/PK/vacuum ${fmtMs(r.pg.load.indexMs)}` : '';
    const glLoadS = r.gl ? `graphology ${fmtMs(r.gl.buildMs)}` : '';
    L.push(
      `| ${s} | load (bulk build from edge pairs in memory) | ${fmtMs(o.buildMs)} | ${[glLoadS, pgLoadS].filter(Boolean).join('; ')} | ${r.gl ? fmtRatio(r.gl.buildMs / o.buildMs) + ' vs graphology' : ''} |`,
    );
  }
  L.push('');
  L.push('Context for ours (same runs):');
  L.push('');
  L.push(
    '| members | directed edges | pairs measured | degree mix of the pairs (1/2/3/out) | p50 by answer (2 / 3 / out) | 2nd-degree size p50 / p99 | update (add or remove) p50 / p99 | compact() after 10k updates |',
  );
  L.push('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const o = r.ours;
    const m = o.degreeMix;
    L.push(
      `| ${fmtSize(r.n)} | ${o.directedEdges.toLocaleString('en-US')} | ${o.lat.n.toLocaleString('en-US')} | ${m['1']}/${m['2']}/${m['3']}/${m.out} | ${fmtNs(o.classP50['2'])} / ${fmtNs(o.classP50['3'])} / ${fmtNs(o.classP50.out)} | ${fmtNs(o.secondDegreeLat.p50)} / ${fmtNs(o.secondDegreeLat.p99)} | ${fmtNs(o.updateLat.p50)} / ${fmtNs(o.updateLat.p99)} | ${fmtMs(o.compactMs)} |`,
    );
  }
  L.push('');
  L.push(
    `Active viewers (the per-viewer cache of src/graph/viewers.ts, default bounds: 1,024 viewers, 8,000,000 ids): the same random pairs with the cache on from empty ` +
      `("cache on, random viewers": a viewer's first 3rd-degree query marks it, the second queues it; "marks only": the builds never run, what the cache adds to a request; ` +
      `"builds between": its set is built between two queries by flushBuilds(), untimed, as setImmediate's turn would in a server, so repeat viewers use it; ` +
      `"set build" is that time per viewer), then ${ACTIVE_VIEWERS.join(' and ')} active viewers ` +
      `(random members, warmed until each has its set; ${OURS_SAMPLES.toLocaleString('en-US')} queries, each a random active viewer and a random member; answers checked against the uncached index).`,
  );
  L.push('');
  L.push(
    '| members | uncached p50 / p99 | cache on, random viewers, marks only p50 / p99 | cache on, random viewers, builds between p50 / p99 | ' +
      ACTIVE_VIEWERS.map((a) => `${a} active viewers p50 / p99`).join(' | ') +
      ' | p50 by answer, largest workload (2 / 3 / out) | set build (off the request path) p50 / p99 | cache after warming, largest workload: viewers, ids, memory | memory per member | agree |',
  );
  L.push('|---|---|---|---|' + ACTIVE_VIEWERS.map(() => '---|').join('') + '---|---|---|---|---|');
  for (const r of results) {
    const o = r.ours;
    const big = o.active[o.active.length - 1];
    if (!big) continue;
    L.push(
      `| ${fmtSize(r.n)} | ${fmtNs(o.lat.p50)} / ${fmtNs(o.lat.p99)} | ${fmtNs(o.markLat.p50)} / ${fmtNs(o.markLat.p99)} | ${fmtNs(o.coldLat.p50)} / ${fmtNs(o.coldLat.p99)} | ` +
        o.active.map((a) => `${fmtNs(a.lat.p50)} / ${fmtNs(a.lat.p99)}`).join(' | ') +
        ` | ${fmtNs(big.classP50['2'])} / ${fmtNs(big.classP50['3'])} / ${fmtNs(big.classP50.out)} | ${fmtNs(big.buildLat.p50)} / ${fmtNs(big.buildLat.p99)} | ` +
        `${big.warm.viewers}, ${big.warm.ids.toLocaleString('en-US')}, ${(big.warm.bytes / 2 ** 20).toFixed(1)} MiB | ${(big.warm.bytes / o.members).toFixed(1)} B | ` +
        o.active.map((a) => `${a.agree}/${a.checked}`).join(', ') +
        ' |',
    );
  }
  L.push('');
  // Targets
  const big = results.find((r) => r.n === Math.max(...results.map((x) => x.n)));
  const small = results.find((r) => r.n === Math.min(...results.map((x) => x.n)));
  L.push(`Targets (at ${big ? fmtSize(big.n) : '?'} members, ratios from this run):`);
  L.push('');
  if (big) {
    const o = big.ours;
    if (big.pg)
      L.push(`- >= 1000x faster than the CTE (p50): **${fmtRatio(big.pg.lat.p50 / o.lat.p50)}** ${big.pg.lat.p50 / o.lat.p50 >= 1000 ? '(met)' : '(MISSED)'}`);
    if (big.gl)
      L.push(`- >= 100x faster than graphology (p50): **${fmtRatio(big.gl.lat.p50 / o.lat.p50)}** ${big.gl.lat.p50 / o.lat.p50 >= 100 ? '(met)' : '(MISSED)'}`);
    const bpe = o.memoryBytes / o.directedEdges;
    L.push(
      `- <= 12 bytes per directed edge: **${bpe.toFixed(2)} B** (heap delta ${(o.heapDeltaBytes / o.directedEdges).toFixed(2)} B) ${bpe <= 12 ? '(met)' : '(MISSED)'}`,
    );
    if (small && small !== big) {
      const f50 = o.lat.p50 / small.ours.lat.p50;
      const f99 = o.lat.p99 / small.ours.lat.p99;
      L.push(
        `- latency flat (within 1.5x) from ${fmtSize(small.n)} to ${fmtSize(big.n)}: p50 ${fmtNs(small.ours.lat.p50)} → ${fmtNs(o.lat.p50)} = **${f50.toFixed(2)}x**, ` +
          `p99 ${fmtNs(small.ours.lat.p99)} → ${fmtNs(o.lat.p99)} = ${f99.toFixed(2)}x ${f50 <= 1.5 ? '(met)' : '(MISSED)'}`,
      );
      for (const a of o.active) {
        const a50 = a.lat.p50 / small.ours.lat.p50;
        const a99 = a.lat.p99 / small.ours.lat.p99;
        L.push(
          `- active viewers (${a.viewers}) at ${fmtSize(big.n)} within 3x of the uncached ${fmtSize(small.n)} figure: p50 ${fmtNs(small.ours.lat.p50)} → ${fmtNs(a.lat.p50)} = **${a50.toFixed(2)}x**, ` +
            `p99 ${fmtNs(small.ours.lat.p99)} → ${fmtNs(a.lat.p99)} = **${a99.toFixed(2)}x** ${a50 <= 3 && a99 <= 3 ? '(met)' : '(MISSED)'}`,
        );
      }
      L.push(
        `- cold case at ${fmtSize(big.n)} not slowed (random viewers, cache on vs off): marks only p50 ${fmtNs(o.lat.p50)} → ${fmtNs(o.markLat.p50)} = **${(o.markLat.p50 / o.lat.p50).toFixed(2)}x**, ` +
          `p99 ${fmtNs(o.lat.p99)} → ${fmtNs(o.markLat.p99)} = ${(o.markLat.p99 / o.lat.p99).toFixed(2)}x; builds between p50 ${fmtNs(o.coldLat.p50)} = ${(o.coldLat.p50 / o.lat.p50).toFixed(2)}x, p99 ${fmtNs(o.coldLat.p99)} = ${(o.coldLat.p99 / o.lat.p99).toFixed(2)}x`,
      );
      const cacheBytes = Math.max(...o.active.map((a) => a.warm.bytes));
      L.push(
        `- viewer cache memory at ${fmtSize(big.n)}: **${(cacheBytes / o.members).toFixed(1)} bytes per member** (${(cacheBytes / 2 ** 20).toFixed(1)} MiB for ${Math.max(...o.active.map((a) => a.warm.viewers))} viewers; budget of the whole read model: 300 bytes per member)`,
      );
    }
  }
  L.push('');
  L.push('Notes:');
  L.push('');
  L.push(
    '- PostgreSQL: edges loaded with a real `COPY … FROM STDIN` (a ~40-line CopyIn submittable on node-postgres, since pg-copy-streams is not installed), ' +
      'one row per connection over the wire into an UNLOGGED table, the reverse rows added server-side (`INSERT … SELECT b, a`), PRIMARY KEY (a, b), VACUUM ANALYZE; the query is a recursive CTE to depth 3 plus a self-join count, as one prepared statement. ' +
      `At most ${PG_MAX_SAMPLES} queries or ${PG_BUDGET_MS / 1000} s per size, statement_timeout ${PG_TIMEOUT_MS / 1000} s; a timed-out query counts as ${PG_TIMEOUT_MS / 1000} s (so the ratio is a lower bound).`,
  );
  L.push(
    `- graphology ${'0.26'}: UndirectedGraph, depth-limited BFS from the viewer (stops as soon as the member is reached) + neighbour-set intersection; ` +
      `at most ${GL_MAX_SAMPLES} queries or ${GL_BUDGET_MS / 1000} s per size. Answers of both baselines were checked against ours (the agree counts are in the log).`,
  );
  L.push('- The baselines ignore blocks and hidden members (there are none in the generated graph); ours checks them on every step.');
  L.push(
    '- Memory: `memoryBytes()` counts the typed arrays (CSR offsets + neighbours, id hash, per-member arrays, scratch), the heap delta is `heapUsed + arrayBuffers` after gc around the build.',
  );
  return L.join('\n') + '\n';
}

function writeResults(section: string): void {
  // The repository root: the nearest parent directory holding package.json (works from dist/ too).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const file = path.join(dir, 'bench', 'RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n';
  const start = text.search(/^## Graph index\s*$/m);
  if (start >= 0) {
    const rest = text.slice(start + 1);
    const next = rest.search(/^## /m);
    const end = next >= 0 ? start + 1 + next : text.length;
    text = text.slice(0, start) + section + (end < text.length ? '\n' + text.slice(end) : '');
  } else {
    text = text.replace(/\s*$/, '\n\n') + section;
  }
  writeFileSync(file, text);
  log(`wrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
