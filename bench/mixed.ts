/**
 * bench:mixed — two instances on the machine's PostgreSQL and NATS, a bounded mixed load from a
 * second process (70% profile views, 20% inbox and conversation reads, 10% sends): throughput,
 * p50/p99 per route, errors (must be 0), CPU and memory of each instance. The baseline is the same
 * load process against a bare Fastify server answering every route with a small JSON, same run.
 * Env: BENCH_MIXED_MEMBERS (20000), BENCH_SECONDS (15).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seed } from '../src/cli/seed.js';
import { createClient } from '../src/client/index.js';
import { openStore } from '../src/store/db.js';
import { machine, NATS_URL, openSessions, procStats, ROOT, scratchDb, startChild, writeSection, type Child } from './lib.js';

const MEMBERS = Number(process.env.BENCH_MIXED_MEMBERS ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONCURRENCY = 16;
const log = (...a: unknown[]) => console.log(`[bench:mixed ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** What bench/mixed-load.ts prints (its last line): latencies in ms, null where a route had no sample (NaN in JSON). */
interface LoadResult {
  seconds: number;
  errors: Record<string, number>;
  routes: Record<string, { n: number; p50: number | null; p99: number | null }>;
  /** POST on A → message.created on the recipient's socket on B */
  delivery?: { n: number; lost: number; p50: number | null; p99: number | null };
}

/** Issue 17: cross-instance delivery p99 (POST on A → socket on B) at most 2× the send's own p99. */
function deliveryLine(res: LoadResult): string {
  const d = res.delivery;
  const send = res.routes.send?.p99;
  if (!d || !d.n || typeof d.p99 !== 'number' || typeof send !== 'number') return 'Cross-instance delivery: no sample.';
  const r = d.p99 / Math.max(send, 0.01);
  return `Cross-instance delivery (a send POSTed on A → message.created on the recipient's socket on B, ${d.n} sends, ${d.lost} not seen within 0.5 s of the end): p50 ${d.p50?.toFixed(1)} ms, p99 **${d.p99.toFixed(1)} ms** against the send's own p99 ${send.toFixed(1)} ms: **${r.toFixed(2)}×** (target at most 2×: ${r <= 2 ? 'met' : 'MISSED'}).`;
}

async function main() {
  const db = await scratchDb('liaison_bench_mixed');
  const children: Child[] = [];
  const policyFile = path.join(os.tmpdir(), `liaison-mixed-policy-${process.pid}.json`);
  writeFileSync(policyFile, JSON.stringify({ messagesPerMinute: 1_000_000 }));
  try {
    const store = await openStore({ databaseUrl: db.url, dataDir: 'memory://' });
    await store.migrate();
    log(`seeding ${MEMBERS} members…`);
    await seed(store, { members: MEMBERS, avgDegree: 20, seed: 5, prefix: 'x' });
    await store.close();
    const env = {
      DATABASE_URL: db.url,
      LIAISON_NATS_URL: NATS_URL,
      LIAISON_NATS_SUBJECT: `liaison_mixed_${process.pid}`,
      LIAISON_POLICY: policyFile,
      LIAISON_DATA_DIR: path.join(os.tmpdir(), 'liaison-mixed'),
    };
    const main = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
    const a = await startChild(main, env);
    const b = await startChild(main, env);
    children.push(a, b);
    // Senders: 40 members, each messaging one of its connections.
    const senders: { token: string; to: string }[] = [];
    const viewers: string[] = [];
    const tokens = await openSessions(
      db.url,
      Array.from({ length: 100 }, (_, i) => `x${i}`),
    );
    for (const token of tokens) {
      viewers.push(token);
      if (senders.length >= 40) continue;
      const conns = await createClient({ baseUrl: a.url, token }).getConnections({ query: { limit: 1 } });
      if (conns.items[0]) senders.push({ token, to: conns.items[0].handle });
    }
    // The recipients listen on B: a send posted on A reaches them through the bus.
    const recipientTokens = await openSessions(
      db.url,
      senders.map((s) => s.to),
    );
    const recipients = senders.map((s, i) => ({ handle: s.to, token: recipientTokens[i] }));
    const inputFile = path.join(os.tmpdir(), `liaison-mixed-${process.pid}.json`);
    const run = (urls: string[], seconds: number): LoadResult => {
      writeFileSync(
        inputFile,
        JSON.stringify({
          urls,
          seconds,
          concurrency: CONCURRENCY,
          members: MEMBERS,
          prefix: 'x',
          senders,
          viewers,
          ...(urls.length > 1 ? { recipients } : {}),
        }),
      );
      return JSON.parse(
        execFileSync(process.execPath, [path.join(ROOT, 'dist', 'bench', 'mixed-load.js'), inputFile], { encoding: 'utf8', maxBuffer: 1 << 24 })
          .trim()
          .split('\n')
          .pop()!,
      ) as LoadResult;
    };
    run([a.url, b.url], 3);
    const before = [procStats(a.pid), procStats(b.pid)];
    log(`mixed load for ${SECONDS} s on two instances…`);
    const res = run([a.url, b.url], SECONDS);
    const after = [procStats(a.pid), procStats(b.pid)];
    const total = Object.values(res.routes).reduce((s, r) => s + r.n, 0);
    log(`mixed: ${(total / res.seconds).toFixed(0)} req/s, errors ${JSON.stringify(res.errors)}, delivery ${JSON.stringify(res.delivery)}`);
    for (const c of [a, b]) await c.stop();
    const bare = await startChild(path.join(ROOT, 'dist', 'bench', 'bare.js'), {});
    children.push(bare);
    run([bare.url], 2);
    const base = run([bare.url], SECONDS);
    const baseTotal = Object.values(base.routes).reduce((s, r) => s + r.n, 0);
    const errCount = Object.values(res.errors).reduce((s, n) => s + n, 0);
    const baseRoutes: Partial<LoadResult['routes']> = base.routes;
    const rows = Object.entries(res.routes).map(([k, r]) => {
      const b0 = baseRoutes[k];
      const f = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(1) : '—');
      const ratio = b0 && typeof b0.p99 === 'number' && typeof r.p99 === 'number' ? `${(r.p99 / Math.max(b0.p99, 0.01)).toFixed(1)}×` : '—';
      return `| ${k} | ${r.n} | ${(r.n / res.seconds).toFixed(0)} | ${f(r.p50)} ms | ${f(r.p99)} ms | ${f(b0?.p50)} / ${f(b0?.p99)} ms | ${ratio} |`;
    });
    const inst = ['A', 'B'].map(
      (n, i) => `| ${n} | ${(((after[i].cpuSeconds - before[i].cpuSeconds) / res.seconds) * 100).toFixed(0)}% of a core | ${after[i].rssMiB.toFixed(0)} MiB |`,
    );
    writeSection(
      'Mixed load on two instances',
      [
        `${machine()}. Two instances on PostgreSQL and NATS (127.0.0.1), ${MEMBERS.toLocaleString('en-US')} seeded members; a second process runs ${CONCURRENCY} loops for ${SECONDS} s alternating between the instances: 70% GET /v1/members/:handle, 20% GET /v1/conversations (inbox) or a conversation's messages, 10% POST /v1/messages.`,
        '',
        `Throughput **${(total / res.seconds).toFixed(0)} requests/s** against ${(baseTotal / base.seconds).toFixed(0)}/s for the same load process on a bare Fastify server (ratio ${((100 * total) / res.seconds / (baseTotal / base.seconds)).toFixed(0)}%: target at least 15%, ${total / res.seconds / (baseTotal / base.seconds) >= 0.15 ? 'met' : 'MISSED'}); errors **${errCount}** ${errCount === 0 ? '(target 0: met)' : '(target 0: MISSED ' + JSON.stringify(res.errors) + ')'}.`,
        '',
        '| route | requests | per second | p50 | p99 | bare p50 / p99 (baseline) | p99 ratio |',
        '|---|---|---|---|---|---|---|',
        ...rows,
        '',
        deliveryLine(res),
        '',
        '| instance | CPU during the run | RSS after |',
        '|---|---|---|',
        ...inst,
      ].join('\n'),
    );
    log('wrote bench/RESULTS.md (Mixed load on two instances)');
  } finally {
    for (const c of children) await c.stop().catch(() => {});
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
