/**
 * bench:messages — durable sends per second and latency through POST /v1/messages (autocannon,
 * 127.0.0.1) against the ceiling of raw single-row INSERT transactions on the same PostgreSQL with
 * the same pool size (10), in the same run; on PostgreSQL and on embedded PGlite, with the server's CPU
 * per send and (PostgreSQL) a --cpu-prof run naming where the time goes. Env: BENCH_SECONDS (15),
 * BENCH_PAIRS (1000), BENCH_MESSAGES_NETWORK (20000: members seeded first, so that the tables and the
 * planner's statistics have a network's size, as in the issue's own measurement), BENCH_MESSAGES_STORAGES
 * (PostgreSQL,PGlite), BENCH_CPU_PROF (1; 0 skips the profile).
 * The senders are BENCH_PAIRS pairs of connected members of the seeded network (no member in two
 * pairs), each side writing to the other: with 2,000 senders each stays within the default rate
 * limit (30 messages a minute) up to 1,000 sends a second, so every sender's counter row holds what
 * the rules let it hold. (With 40 pairs, as before, each sender sent hundreds a minute and every
 * send read and rewrote a counter row of hundreds of instants.) The bench still lifts the per-sender
 * rate limit through LIAISON_POLICY (messagesPerMinute), so that a faster server is measured, not
 * refused. Without a network (BENCH_MESSAGES_NETWORK=0) the pairs sign up through the API.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { seed } from '../src/cli/seed.js';
import { openStore } from '../src/store/db.js';
import { sql } from '../src/store/sql.js';
import {
  connectedPairs,
  machine,
  pct,
  postgresCpuSeconds,
  seededPairs,
  procStats,
  ratio,
  RAW_TABLE,
  rawInsertTransaction,
  ROOT,
  scratchDb,
  startChild,
  topCosts,
  writeSection,
  type Child,
} from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 1000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const NETWORK = Number(process.env.BENCH_MESSAGES_NETWORK ?? 20_000);
const POOL = 10;
const log = (...a: unknown[]) => console.log(`[bench:messages ${new Date().toISOString().slice(11, 19)}]`, ...a);

async function rawInserts(url: string): Promise<{ rps: number; p50: number; p99: number; total: number; pgMsPerTx: number }> {
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  await pool.query(RAW_TABLE);
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const worker = async (w: number) => {
    while (performance.now() < end) {
      const t = performance.now();
      const c = await pool.connect();
      try {
        await rawInsertTransaction(c, w, w);
      } finally {
        c.release();
      }
      lat.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  const pg0 = postgresCpuSeconds();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  const pgCpu = postgresCpuSeconds() - pg0;
  const secs = (performance.now() - t0) / 1000;
  await pool.end();
  lat.sort((a, b) => a - b);
  return { rps: lat.length / secs, p50: pct(lat, 50), p99: pct(lat, 99), total: lat.length, pgMsPerTx: (1000 * pgCpu) / Math.max(lat.length, 1) };
}

interface Measured {
  storage: 'PostgreSQL' | 'PGlite';
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** the server's CPU (user + system) per send during the measured run */
  cpuMsPerSend: number;
  /** PostgreSQL's CPU (every process of it on this machine) per send; 0 on PGlite or when not visible */
  pgMsPerSend: number;
  costs: string[];
}

/** Sends for `run.seconds`, or `run.amount` of them, each from the next sender in turn. */
function sends(url: string, senders: { token: string; to: string }[], run: { seconds: number } | { amount: number }) {
  let n = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    ...('seconds' in run ? { duration: run.seconds } : { amount: run.amount }),
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const s = senders[n++ % senders.length];
          return {
            ...req,
            method: 'POST',
            path: '/v1/messages',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
            body: JSON.stringify({ to: s.to, body: `hello ${n}` }),
          };
        },
      },
    ],
  });
}

/** One storage: the pairs, the warm-up, the measured run with the server's CPU, then (PostgreSQL) a profiled run. */
async function measure(storage: Measured['storage'], policyFile: string, cleanups: (() => Promise<void>)[]): Promise<Measured> {
  const main = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
  let env: Record<string, string>;
  if (storage === 'PostgreSQL') {
    const db = await scratchDb('liaison_bench_messages');
    cleanups.push(db.drop);
    env = { DATABASE_URL: db.url, LIAISON_DATA_DIR: path.join(os.tmpdir(), 'liaison-bench-messages') };
  } else {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'liaison-bench-messages-'));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    env = { LIAISON_DATA_DIR: dir };
  }
  env.LIAISON_POLICY = policyFile;
  let senders: { token: string; to: string }[] | undefined;
  const openIt = () => openStore(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, dataDir: 'memory://' } : { dataDir: env.LIAISON_DATA_DIR });
  if (NETWORK > 0) {
    log(`${storage}: seeding a network of ${NETWORK} members and signing in ${PAIRS} connected pairs of them…`);
    const store = await openIt();
    await store.migrate();
    await seed(store, { members: NETWORK, avgDegree: 10, seed: 7, prefix: 'net' });
    senders = await seededPairs(store, PAIRS);
    await store.close();
  }
  let server: Child | undefined = await startChild(main, env);
  try {
    if (!senders) {
      log(`${storage}: creating ${PAIRS} connected pairs…`);
      senders = await connectedPairs(server.url, PAIRS);
    }
    // Warm-up: every sender's first message (it starts the pair's conversation). Then the tables it
    // filled are analyzed, as a running network's are (autovacuum; on PGlite the housekeeping pass),
    // with the server stopped (PGlite is in its process): plans made while the tables were empty
    // would scan them whole. Then every sender once more (the restarted server's read model) and 3 s.
    await sends(server.url, senders, { amount: senders.length });
    if (process.env.BENCH_ANALYZE !== '0') {
      await server.stop();
      server = undefined;
      const store = await openIt();
      await store.db.execute(sql`analyze`);
      await store.close();
      server = await startChild(main, env);
      await sends(server.url, senders, { amount: senders.length }); // the read model filled again
    }
    await sends(server.url, senders, { seconds: 3 });
    log(`${storage}: sends for ${SECONDS} s…`);
    const before = procStats(server.pid);
    const pg0 = storage === 'PostgreSQL' ? postgresCpuSeconds() : 0;
    const ours = await sends(server.url, senders, { seconds: SECONDS });
    const pgCpu = storage === 'PostgreSQL' ? postgresCpuSeconds() - pg0 : 0;
    const after = procStats(server.pid);
    const cpu = after.cpuSeconds - before.cpuSeconds;
    const system = after.systemSeconds - before.systemSeconds;
    const cpuMsPerSend = (1000 * cpu) / Math.max(ours.requests.total, 1);
    const pgMsPerSend = (1000 * pgCpu) / Math.max(ours.requests.total, 1);
    log(
      `${storage}: ${ours.requests.average} req/s p50 ${ours.latency.p50} ms p99 ${ours.latency.p99} ms non-2xx ${ours.non2xx}; server CPU ${cpuMsPerSend.toFixed(2)} ms a send (${((100 * system) / Math.max(cpu, 0.01)).toFixed(0)}% of it in the kernel)${pgMsPerSend > 0 ? `, PostgreSQL's CPU ${pgMsPerSend.toFixed(2)} ms a send` : ''}`,
    );
    await server.stop();
    server = undefined;
    let costs: string[] = [];
    if (storage === 'PostgreSQL' && process.env.BENCH_CPU_PROF !== '0') {
      const profDir = path.join(ROOT, 'bench', '.prof-messages');
      rmSync(profDir, { recursive: true, force: true });
      mkdirSync(profDir, { recursive: true });
      server = await startChild(main, env, ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
      await sends(server.url, senders, { seconds: 3 });
      await sends(server.url, senders, { seconds: Math.min(10, SECONDS) });
      await server.stop();
      server = undefined;
      costs = topCosts(profDir, 25);
      log(`${storage}: top self time:\n  ${costs.join('\n  ')}`);
      costs = costs.slice(0, 10);
      if (!process.env.BENCH_KEEP_PROF) rmSync(profDir, { recursive: true, force: true });
    }
    return {
      storage,
      rps: ours.requests.average,
      p50: ours.latency.p50,
      p99: ours.latency.p99,
      errors: ours.errors + ours.timeouts,
      non2xx: ours.non2xx,
      cpuMsPerSend,
      pgMsPerSend,
      costs,
    };
  } finally {
    await server?.stop().catch(() => {});
  }
}

async function main() {
  const policyFile = path.join(os.tmpdir(), `liaison-bench-policy-${process.pid}.json`);
  writeFileSync(policyFile, JSON.stringify({ messagesPerMinute: 1_000_000, signupsPerHourPerAddress: 1_000_000 }));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const storages = (process.env.BENCH_MESSAGES_STORAGES ?? 'PostgreSQL,PGlite').split(',') as Measured['storage'][];
    const runs: Measured[] = [];
    for (const st of storages) runs.push(await measure(st, policyFile, cleanups));
    const db = await scratchDb('liaison_bench_raw');
    cleanups.push(db.drop);
    log(`raw INSERT transactions for ${SECONDS} s…`);
    const raw = await rawInserts(db.url);
    log(
      `raw: ${raw.rps.toFixed(0)} tx/s p50 ${raw.p50.toFixed(2)} ms p99 ${raw.p99.toFixed(2)} ms; PostgreSQL's CPU ${raw.pgMsPerTx.toFixed(3)} ms a transaction`,
    );
    const rows = runs.flatMap((m) => {
      const r = m.rps / raw.rps;
      const p99r = m.p99 / Math.max(raw.p99, 0.001);
      return [
        `| ${m.storage}: per second | ${m.rps.toFixed(0)} | ${raw.rps.toFixed(0)} | ${(100 * r).toFixed(0)}% | ≥ 25% ${r >= 0.25 ? '(met)' : '(MISSED)'} |`,
        `| ${m.storage}: latency p50 | ${m.p50} ms | ${raw.p50.toFixed(2)} ms | ${ratio(m.p50 / Math.max(raw.p50, 0.001))} | |`,
        `| ${m.storage}: latency p99 | ${m.p99} ms | ${raw.p99.toFixed(2)} ms | ${ratio(p99r)} | ≤ 5× ${p99r <= 5 ? '(met)' : '(MISSED)'} |`,
        `| ${m.storage}: server CPU a send | ${m.cpuMsPerSend.toFixed(2)} ms | | | |`,
        ...(m.pgMsPerSend > 0 && raw.pgMsPerTx > 0
          ? [
              `| ${m.storage}: PostgreSQL's CPU a send (all its processes) | ${m.pgMsPerSend.toFixed(2)} ms | ${raw.pgMsPerTx.toFixed(3)} ms | ${ratio(m.pgMsPerSend / raw.pgMsPerTx)} | |`,
              `| ${m.storage}: ceiling with a server costing nothing (${os.cpus().length} cores ÷ PostgreSQL's CPU a send) | ${((os.cpus().length * 1000) / m.pgMsPerSend).toFixed(0)}/s | ${raw.rps.toFixed(0)} | ${((100 * (os.cpus().length * 1000)) / m.pgMsPerSend / raw.rps).toFixed(0)}% | |`,
            ]
          : []),
        `| ${m.storage}: errors / non-2xx | ${m.errors} / ${m.non2xx} | | | 0 |`,
      ];
    });
    const pgRun = runs.find((m) => m.storage === 'PostgreSQL' && m.costs.length);
    writeSection(
      'Message sends',
      [
        `${machine()}. Load average at the end: ${os
          .loadavg()
          .map((x) => x.toFixed(1))
          .join(
            ', ',
          )}. ${storages.join(' and ')} (PostgreSQL on 127.0.0.1, pool ${POOL} on both sides; PGlite in the server's process on the local disk); ${CONNECTIONS} concurrent clients × ${SECONDS} s after a warm-up (every sender's first message, ${process.env.BENCH_ANALYZE === '0' ? '' : 'the tables analyzed and the server restarted, every sender once more, '}then 3 s); ${PAIRS} connected pairs sending direct messages${NETWORK > 0 ? ` in a seeded network of ${NETWORK.toLocaleString('en-US')} members (average degree 10)` : ''} (each send: policy decision, conversation, message, counters, outbox event, in one transaction). The baseline is raw single-row INSERT transactions (BEGIN, INSERT, COMMIT) on the same PostgreSQL with the same pool size, from the bench process.`,
        '',
        '| figure | POST /v1/messages (201, committed) | raw single-row INSERT transaction (ceiling) | ratio | target |',
        '|---|---|---|---|---|',
        ...rows,
        ...(pgRun
          ? [
              '',
              'Top self-time costs of the send route on PostgreSQL (a separate 10 s run under `--cpu-prof`, after 3 s of warm-up):',
              '',
              ...pgRun.costs.map((c) => `- ${c}`),
            ]
          : []),
      ].join('\n'),
    );
    log('wrote bench/RESULTS.md (Message sends)');
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
