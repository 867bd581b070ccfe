/**
 * bench:messages — durable sends per second and latency through POST /v1/messages (autocannon,
 * 127.0.0.1) against the ceiling of raw single-row INSERT transactions on the same PostgreSQL with
 * the same pool size (10), in the same run. Env: BENCH_SECONDS (15), BENCH_PAIRS (40).
 * The bench lifts the per-sender rate limit through LIAISON_POLICY (messagesPerMinute) so the
 * server, not the spam rule, is what is measured.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { createClient } from '../src/client/index.js';
import { machine, pct, ratio, ROOT, scratchDb, startChild, writeSection } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 40);
const CONNECTIONS = 16;
const POOL = 10;
const log = (...a: unknown[]) => console.log(`[bench:messages ${new Date().toISOString().slice(11, 19)}]`, ...a);

async function rawInserts(url: string): Promise<{ rps: number; p50: number; p99: number; total: number }> {
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  await pool.query(
    'create table if not exists bench_raw (id bigint generated always as identity primary key, conversation_id bigint not null, sender_id int not null, body text not null, created_at timestamptz not null default now())',
  );
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const worker = async (w: number) => {
    while (performance.now() < end) {
      const t = performance.now();
      const c = await pool.connect();
      try {
        await c.query('begin');
        await c.query('insert into bench_raw (conversation_id, sender_id, body) values ($1, $2, $3)', [w, w, 'hello from the bench']);
        await c.query('commit');
      } finally {
        c.release();
      }
      lat.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  const secs = (performance.now() - t0) / 1000;
  await pool.end();
  lat.sort((a, b) => a - b);
  return { rps: lat.length / secs, p50: pct(lat, 50), p99: pct(lat, 99), total: lat.length };
}

async function main() {
  const db = await scratchDb('liaison_bench_messages');
  const policyFile = path.join(os.tmpdir(), `liaison-bench-policy-${process.pid}.json`);
  writeFileSync(policyFile, JSON.stringify({ messagesPerMinute: 1_000_000, signupsPerHourPerAddress: 1_000_000 }));
  let server: Awaited<ReturnType<typeof startChild>> | undefined;
  try {
    server = await startChild(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), {
      DATABASE_URL: db.url,
      LIAISON_POLICY: policyFile,
      LIAISON_DATA_DIR: path.join(os.tmpdir(), 'liaison-bench-messages'),
    });
    const url = server.url;
    log(`creating ${PAIRS} connected pairs…`);
    const senders: { token: string; to: string }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const anon = createClient({ baseUrl: url });
      const a = await anon.postAccounts({ body: { handle: `ba${i}`, name: `A ${i}`, email: `ba${i}@bench.test`, password: 'bench-password-1' } });
      const b = await anon.postAccounts({ body: { handle: `bb${i}`, name: `B ${i}`, email: `bb${i}@bench.test`, password: 'bench-password-1' } });
      if (!a.token || !b.token) throw new Error('sign-up answered no token');
      const inv = await createClient({ baseUrl: url, token: a.token }).postInvitations({ body: { to: `bb${i}` } });
      await createClient({ baseUrl: url, token: b.token }).postInvitationsByIdAccept({ params: { id: inv.id } });
      senders.push({ token: a.token, to: `bb${i}` }, { token: b.token, to: `ba${i}` });
    }
    let n = 0;
    const run = (seconds: number) =>
      autocannon({
        url,
        connections: CONNECTIONS,
        duration: seconds,
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
    await run(3);
    log(`sends for ${SECONDS} s…`);
    const ours = await run(SECONDS);
    log(`sends: ${ours.requests.average} req/s p50 ${ours.latency.p50} ms p99 ${ours.latency.p99} ms non-2xx ${ours.non2xx}`);
    await server.stop();
    server = undefined;
    log(`raw INSERT transactions for ${SECONDS} s…`);
    const raw = await rawInserts(db.url);
    log(`raw: ${raw.rps.toFixed(0)} tx/s p50 ${raw.p50.toFixed(2)} ms p99 ${raw.p99.toFixed(2)} ms`);
    const r = ours.requests.average / raw.rps;
    const p99r = ours.latency.p99 / Math.max(raw.p99, 0.001);
    writeSection(
      'Message sends',
      [
        `${machine()}. PostgreSQL 127.0.0.1, pool ${POOL} on both sides, ${CONNECTIONS} concurrent clients × ${SECONDS} s; ${PAIRS} connected pairs sending direct messages (each send: policy decision, conversation, message, counters, outbox event, in one transaction).`,
        '',
        '| figure | POST /v1/messages (201, committed) | raw single-row INSERT transaction (ceiling) | ratio | target |',
        '|---|---|---|---|---|',
        `| per second | ${ours.requests.average.toFixed(0)} | ${raw.rps.toFixed(0)} | ${(100 * r).toFixed(0)}% | ≥ 25% ${r >= 0.25 ? '(met)' : '(MISSED)'} |`,
        `| latency p50 | ${ours.latency.p50} ms | ${raw.p50.toFixed(2)} ms | ${ratio(ours.latency.p50 / Math.max(raw.p50, 0.001))} | |`,
        `| latency p99 | ${ours.latency.p99} ms | ${raw.p99.toFixed(2)} ms | ${ratio(p99r)} | ≤ 5× ${p99r <= 5 ? '(met)' : '(MISSED)'} |`,
        `| errors / non-2xx | ${ours.errors + ours.timeouts} / ${ours.non2xx} | | | 0 |`,
      ].join('\n'),
    );
    log('wrote bench/RESULTS.md (Message sends)');
  } finally {
    await server?.stop().catch(() => {});
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
