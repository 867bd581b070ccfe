/**
 * bench:profile — GET /v1/members/:handle for random viewer/member pairs on a seeded network
 * (100k members by default) with autocannon on 127.0.0.1, against a bare Fastify route returning
 * a small JSON, same machine, same run. Then a short --cpu-prof run names where the time goes.
 * Env: BENCH_PROFILE_MEMBERS (100000), BENCH_PROFILE_DEGREE (20), BENCH_SECONDS (15).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { seed } from '../src/cli/seed.js';
import { mulberry32 } from '../src/graph/generate.js';
import { openStore } from '../src/store/db.js';
import { machine, openSessions, ratio, ROOT, scratchDb, startChild, writeSection } from './lib.js';

const MEMBERS = Number(process.env.BENCH_PROFILE_MEMBERS ?? 100_000);
const DEGREE = Number(process.env.BENCH_PROFILE_DEGREE ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = 16;
const VIEWERS = 100;
const log = (...a: unknown[]) => console.log(`[bench:profile ${new Date().toISOString().slice(11, 19)}]`, ...a);

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

async function load(url: string, pick: () => { path: string; headers: Record<string, string> }, seconds: number): Promise<Run> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const p = pick();
          return { ...req, method: 'GET', path: p.path, headers: p.headers };
        },
      },
    ],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, total: r.requests.total };
}

function topCosts(dir: string, n = 10): string[] {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return ['(no profile written)'];
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
    nodes: { id: number; hitCount: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  };
  const self = new Map<string, number>();
  let total = 0;
  for (const node of prof.nodes) {
    total += node.hitCount;
    const f = node.callFrame;
    const where = f.url ? f.url.replace(/^file:\/\//, '').replace(ROOT + '/', '') : '';
    const key = `${f.functionName || '(anonymous)'} ${where ? `(${where.replace(/^.*node_modules\//, 'node_modules/')}:${f.lineNumber + 1})` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + node.hitCount);
  }
  return [...self.entries()]
    .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1)}% ${k}`);
}

async function main() {
  const db = await scratchDb('liaison_bench_profile');
  const children: { stop: () => Promise<void> }[] = [];
  try {
    log(`seeding ${MEMBERS} members, average degree ${DEGREE} on PostgreSQL…`);
    const store = await openStore({ databaseUrl: db.url, dataDir: 'memory://' });
    await store.migrate();
    const seeded = await seed(store, { members: MEMBERS, avgDegree: DEGREE, seed: 11, prefix: 'b' });
    await store.close();
    log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s (${seeded.connections} connections)`);

    const main = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
    const server = await startChild(main, { DATABASE_URL: db.url, LIAISON_DATA_DIR: '/tmp/liaison-bench' });
    children.push(server);
    const rnd = mulberry32(5);
    const tokens = await openSessions(
      db.url,
      Array.from({ length: VIEWERS }, () => `b${Math.floor(rnd() * MEMBERS)}`),
    );
    const pickProfile = () => ({
      path: `/v1/members/b${Math.floor(Math.random() * MEMBERS)}`,
      headers: { authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}` },
    });
    log('warm-up…');
    await load(server.url, pickProfile, 3);
    log(`profile views for ${SECONDS} s…`);
    const ours = await load(server.url, pickProfile, SECONDS);
    log(`profile: ${ours.rps.toFixed(0)} req/s p50 ${ours.p50} ms p99 ${ours.p99} ms non-2xx ${ours.non2xx}`);
    await server.stop();

    const bare = await startChild(path.join(ROOT, 'dist', 'bench', 'bare.js'), {});
    children.push(bare);
    await load(bare.url, () => ({ path: '/bare', headers: {} }), 3);
    log(`bare route for ${SECONDS} s…`);
    const base = await load(bare.url, () => ({ path: '/bare', headers: {} }), SECONDS);
    log(`bare: ${base.rps.toFixed(0)} req/s p50 ${base.p50} ms p99 ${base.p99} ms`);
    await bare.stop();

    log('profiling a short run with --cpu-prof…');
    const profDir = path.join(ROOT, 'bench', '.prof');
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
    const profiled = await startChild(main, { DATABASE_URL: db.url, LIAISON_DATA_DIR: '/tmp/liaison-bench' }, ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
    children.push(profiled);
    await load(profiled.url, pickProfile, Math.min(10, SECONDS));
    await profiled.stop();
    const costs = topCosts(profDir);
    rmSync(profDir, { recursive: true, force: true });

    const rpsRatio = ours.rps / base.rps;
    const p99Ratio = ours.p99 / Math.max(base.p99, 1);
    const body = [
      `${machine()}. Seeded network: ${MEMBERS.toLocaleString('en-US')} members, ${seeded.connections.toLocaleString('en-US')} connections (average degree ${DEGREE}) on PostgreSQL 127.0.0.1; ` +
        `autocannon ${CONNECTIONS} connections × ${SECONDS} s from the bench process; each request a random viewer (of ${VIEWERS} signed in) and a random member.`,
      '',
      '| figure | GET /v1/members/:handle | bare Fastify route (baseline) | ratio | target |',
      '|---|---|---|---|---|',
      `| requests/s | ${ours.rps.toFixed(0)} | ${base.rps.toFixed(0)} | ${(100 * rpsRatio).toFixed(0)}% | ≥ 50% ${rpsRatio >= 0.5 ? '(met)' : '(MISSED)'} |`,
      `| latency p50 | ${ours.p50} ms | ${base.p50} ms | ${ratio(ours.p50 / Math.max(base.p50, 1))} | |`,
      `| latency p99 | ${ours.p99} ms | ${base.p99} ms | ${ratio(p99Ratio)} | ≤ 3× ${p99Ratio <= 3 ? '(met)' : '(MISSED)'} |`,
      `| errors / non-2xx | ${ours.errors} / ${ours.non2xx} of ${ours.total} | ${base.errors} / ${base.non2xx} | | 0 |`,
      '',
      'Top self-time costs of the profile route (a separate 10 s run under `--cpu-prof`):',
      '',
      ...costs.map((c) => `- ${c}`),
    ].join('\n');
    writeSection('Profile views', body);
    log('wrote bench/RESULTS.md (Profile views)');
  } finally {
    for (const c of children) await c.stop().catch(() => {});
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
