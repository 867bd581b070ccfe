/**
 * bench:profile — GET /v1/members/:handle for random viewer/member pairs on a seeded network
 * (100k members by default) with autocannon on 127.0.0.1, against a bare Fastify route returning
 * a small JSON, same machine, same run; on PostgreSQL and on embedded PGlite (the default a new user
 * runs). Then a short --cpu-prof run on PostgreSQL names where the time goes.
 * Env: BENCH_PROFILE_MEMBERS (100000), BENCH_PROFILE_DEGREE (20), BENCH_SECONDS (15),
 * BENCH_PROFILE_STORAGES (PostgreSQL,PGlite), BENCH_KEEP_PROF (keep bench/.prof).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { seed } from '../src/cli/seed.js';
import { mulberry32 } from '../src/graph/generate.js';
import { sql } from 'drizzle-orm';
import { openStore, selectRows, type Store } from '../src/store/db.js';
import { machine, ratio, ROOT, scratchDb, startChild, topCosts, writeSection } from './lib.js';

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

/** The viewers' sessions, written straight into the store (as bench/lib.ts openSessions does on PostgreSQL). */
async function sessionsIn(store: Store, handles: string[]): Promise<string[]> {
  const { hashToken, newToken } = await import('../src/services/accounts.js');
  const tokens: string[] = [];
  for (const h of handles) {
    const token = newToken();
    const r = await selectRows(
      store.db,
      sql`insert into sessions (token_hash, member_id) select ${hashToken(token)}, id from members where lower(handle) = lower(${h}) returning member_id`,
    );
    if (r.length !== 1) throw new Error(`no member ${h}`);
    tokens.push(token);
  }
  return tokens;
}

interface Measured {
  storage: 'PostgreSQL' | 'PGlite';
  ours: Run;
  costs: string[];
}

/** Seeds the network on one storage, then measures the profile route on it (and profiles it on PostgreSQL). */
async function measure(
  storage: Measured['storage'],
  children: { stop: () => Promise<void> }[],
  cleanups: (() => Promise<void>)[],
): Promise<Measured & { connections: number }> {
  const main = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
  let env: Record<string, string>;
  let store: Store;
  if (storage === 'PostgreSQL') {
    const db = await scratchDb('liaison_bench_profile');
    cleanups.push(db.drop);
    env = { DATABASE_URL: db.url, LIAISON_DATA_DIR: '/tmp/liaison-bench' };
    store = await openStore({ databaseUrl: db.url, dataDir: 'memory://' });
  } else {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'liaison-bench-profile-'));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    env = { LIAISON_DATA_DIR: dir };
    store = await openStore({ dataDir: dir });
  }
  log(`seeding ${MEMBERS} members, average degree ${DEGREE} on ${storage}…`);
  await store.migrate();
  const seeded = await seed(store, { members: MEMBERS, avgDegree: DEGREE, seed: 11, prefix: 'b' });
  const rnd = mulberry32(5);
  const tokens = await sessionsIn(
    store,
    Array.from({ length: VIEWERS }, () => `b${Math.floor(rnd() * MEMBERS)}`),
  );
  await store.close();
  log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s (${seeded.connections} connections)`);

  const server = await startChild(main, env);
  children.push(server);
  const pickProfile = () => ({
    path: `/v1/members/b${Math.floor(Math.random() * MEMBERS)}`,
    headers: { authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}` },
  });
  log('warm-up…');
  await load(server.url, pickProfile, 3);
  log(`profile views on ${storage} for ${SECONDS} s…`);
  const ours = await load(server.url, pickProfile, SECONDS);
  log(`profile (${storage}): ${ours.rps.toFixed(0)} req/s p50 ${ours.p50} ms p99 ${ours.p99} ms non-2xx ${ours.non2xx}`);
  await server.stop();
  let costs: string[] = [];
  if (storage === 'PostgreSQL') {
    log('profiling a short run with --cpu-prof…');
    const profDir = path.join(ROOT, 'bench', '.prof');
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
    const profiled = await startChild(main, env, ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
    children.push(profiled);
    await load(profiled.url, pickProfile, 3);
    await load(profiled.url, pickProfile, Math.min(10, SECONDS));
    await profiled.stop();
    costs = topCosts(profDir);
    if (!process.env.BENCH_KEEP_PROF) rmSync(profDir, { recursive: true, force: true });
  }
  return { storage, ours, costs, connections: seeded.connections };
}

async function main() {
  const children: { stop: () => Promise<void> }[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const storages = (process.env.BENCH_PROFILE_STORAGES ?? 'PostgreSQL,PGlite').split(',') as Measured['storage'][];
    const runs: (Measured & { connections: number })[] = [];
    for (const st of storages) runs.push(await measure(st, children, cleanups));

    const bare = await startChild(path.join(ROOT, 'dist', 'bench', 'bare.js'), {});
    children.push(bare);
    await load(bare.url, () => ({ path: '/bare', headers: {} }), 3);
    log(`bare route for ${SECONDS} s…`);
    const base = await load(bare.url, () => ({ path: '/bare', headers: {} }), SECONDS);
    log(`bare: ${base.rps.toFixed(0)} req/s p50 ${base.p50} ms p99 ${base.p99} ms`);
    await bare.stop();

    // Issue 17's targets: at least 25% of the bare route's requests per second; p99 at most 5× the
    // bare route's p99 or 5 ms, whichever is larger.
    const p99Bound = Math.max(5 * base.p99, 5);
    const rows = runs.flatMap(({ storage, ours }) => {
      const rpsRatio = ours.rps / base.rps;
      return [
        `| ${storage}: requests/s | ${ours.rps.toFixed(0)} | ${base.rps.toFixed(0)} | ${(100 * rpsRatio).toFixed(0)}% | ≥ 25% ${rpsRatio >= 0.25 ? '(met)' : '(MISSED)'} |`,
        `| ${storage}: latency p50 | ${ours.p50} ms | ${base.p50} ms | ${ratio(ours.p50 / Math.max(base.p50, 1))} | |`,
        `| ${storage}: latency p99 | ${ours.p99} ms | ${base.p99} ms | ${ratio(ours.p99 / Math.max(base.p99, 1))} | ≤ ${p99Bound} ms (5× bare or 5 ms) ${ours.p99 <= p99Bound ? '(met)' : '(MISSED)'} |`,
        `| ${storage}: errors / non-2xx | ${ours.errors} / ${ours.non2xx} of ${ours.total} | ${base.errors} / ${base.non2xx} | | 0 |`,
      ];
    });
    const pgRun = runs.find((r) => r.storage === 'PostgreSQL');
    const body = [
      `${machine()}. Load average at the end: ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(
          ', ',
        )}. Seeded network: ${MEMBERS.toLocaleString('en-US')} members, ${runs[0].connections.toLocaleString('en-US')} connections (average degree ${DEGREE}) on ${storages.join(' and on ')} (PostgreSQL on 127.0.0.1; PGlite in the server's process, on the local disk); ` +
        `autocannon ${CONNECTIONS} connections × ${SECONDS} s from the bench process, after 3 s of warm-up; each request a random viewer (of ${VIEWERS} signed in) and a random member. The server is one \`liaison serve\` with its defaults (read model: 200,000 entries of each kind).`,
      '',
      '| figure | GET /v1/members/:handle | bare Fastify route (baseline) | ratio | target |',
      '|---|---|---|---|---|',
      ...rows,
      ...(pgRun
        ? [
            '',
            'Top self-time costs of the profile route on PostgreSQL (a separate 10 s run under `--cpu-prof`, after 3 s of warm-up):',
            '',
            ...pgRun.costs.map((c) => `- ${c}`),
          ]
        : []),
    ].join('\n');
    writeSection('Profile views', body);
    log('wrote bench/RESULTS.md (Profile views)');
  } finally {
    for (const c of children) await c.stop().catch(() => {});
    for (const c of cleanups) await c().catch(() => {});
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
