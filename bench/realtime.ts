/**
 * `npm run bench:realtime`: two instances on one PostgreSQL database and one NATS server, 2,000
 * sockets (every recipient has one socket on each instance), and
 *  - raw NATS publish→subscribe latency (the floor), measured in the same run;
 *  - typing latency: socket on A → A → NATS → B → socket on B (the realtime path with no write);
 *  - message latency: POST /v1/messages on A → message.created on the recipient's sockets on A and
 *    on B (includes the transaction and its commit);
 *  - memory per socket (RSS growth of the two server processes / sockets they hold).
 * Appends a section to bench/RESULTS.md.
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; a scratch database is created
 * next to it and dropped), LIAISON_NATS_URL (default nats://127.0.0.1:4222), BENCH_RECIPIENTS
 * (default 1000 → 2,000 sockets), BENCH_MESSAGES (default 1000, sent by BENCH_MSG_CONCURRENCY = 4
 * concurrent senders), BENCH_TYPING (default 2000).
 */
import { machine, writeSection } from './lib.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as natsConnect } from '@nats-io/transport-node';
import pg from 'pg';
import WebSocket from 'ws';
import { packageRoot } from '../src/util/paths.js';

const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const BASE_DB = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const NATS = process.env.LIAISON_NATS_URL || 'nats://127.0.0.1:4222';
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 1000);
const SENDERS = 20;
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const MSG_CONCURRENCY = Number(process.env.BENCH_MSG_CONCURRENCY ?? 4);
/** typing and raw NATS are both sent one every this many ms (open loop) */
const PACE_MS = 5;
const TYPING = Number(process.env.BENCH_TYPING ?? 2000);
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** A stream frame as far as this benchmark reads it (API.md: message.created carries the message, typing its conversation). */
interface Frame {
  id: string;
  type: string;
  data: { message?: { body: string }; conversationId?: string };
}

/** A socket message's text (ws hands a Buffer by default; fragments or an ArrayBuffer otherwise). */
function frameText(d: WebSocket.RawData): string {
  if (Buffer.isBuffer(d)) return d.toString('utf8');
  return (Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d)).toString('utf8');
}

/** Calls fn(i) for i < n, one every `everyMs` on a fixed schedule (no coordinated omission). */
async function paced(n: number, everyMs: number, fn: (i: number) => void): Promise<void> {
  const start = now();
  for (let i = 0; i < n; i++) {
    const due = start + i * everyMs;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    fn(i);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

interface Inst {
  name: string;
  url: string;
  child: ChildProcess;
}

async function startInstance(name: string, env: Record<string, string>, logFile: string): Promise<Inst> {
  const port = await freePort();
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', out, out] });
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGKILL') console.error(`instance ${name} exited (${code ?? signal}); its log: ${logFile}`);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}`);
    try {
      const r = await fetch(url + '/readyz');
      if (r.ok) return { name, url, child };
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`${name} did not start`);
}

async function main() {
  if (!existsSync(CLI)) throw new Error('build first: npm run build:server');
  const dbName = `liaison_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_DB });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const u = new URL(BASE_DB);
  u.pathname = '/' + dbName;
  const dbUrl = u.toString();
  const tmp = mkdtempSync(join(tmpdir(), 'liaison-bench-'));
  const insts: Inst[] = [];
  const sockets: WebSocket[] = [];
  try {
    writeFileSync(join(tmp, 'policy.json'), JSON.stringify({ messagesPerMinute: 1_000_000 }));
    const env = {
      DATABASE_URL: dbUrl,
      LIAISON_NATS_URL: NATS,
      LIAISON_NATS_SUBJECT: `liaison_bench.${randomBytes(4).toString('hex')}`,
      LIAISON_POLICY: join(tmp, 'policy.json'),
      LIAISON_DATA_DIR: tmp,
      LOG_LEVEL: 'warn',
    };
    // migrate, then seed members, sessions and connections straight into the tables
    await new Promise<void>((resolve, reject) => {
      const m = spawn(process.execPath, [CLI, 'migrate'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
      m.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`migrate exited ${code}`))));
    });
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    const total = RECIPIENTS + SENDERS;
    const handles = Array.from({ length: total }, (_, i) => (i < SENDERS ? `bench_s${i}` : `bench_r${i - SENDERS}`));
    const ins = await db.query<{ id: number; handle: string }>(
      `insert into members (handle, kind, name, email) select h, 'person', 'Bench ' || h, h || '@bench.test' from unnest($1::text[]) h returning id, handle`,
      [handles],
    );
    const idOf = new Map<string, number>(ins.rows.map((r) => [r.handle, r.id]));
    const ids = handles.map((h) => idOf.get(h)!);
    await db.query(`insert into settings (member_id) select unnest($1::int[])`, [ids]);
    await db.query(`insert into subscriptions (member_id, tier) select unnest($1::int[]), 'free'`, [ids]);
    const tokens = handles.map(() => randomBytes(32).toString('base64url'));
    await db.query(`insert into sessions (token_hash, member_id) select * from unnest($1::text[], $2::int[])`, [
      tokens.map((t) => createHash('sha256').update(t).digest('hex')),
      ids,
    ]);
    const senderOf = (r: number) => r % SENDERS; // recipient index → sender index
    const pairs = Array.from({ length: RECIPIENTS }, (_, r) => [ids[senderOf(r)], ids[SENDERS + r]].sort((a, b) => a - b));
    await db.query(`insert into connections (a, b) select * from unnest($1::int[], $2::int[])`, [pairs.map((p) => p[0]), pairs.map((p) => p[1])]);
    await db.end();

    const logs = process.env.BENCH_LOG_DIR || tmpdir();
    const A = await startInstance('A', env, join(logs, `liaison-bench-A-${process.pid}.log`));
    insts.push(A);
    const B = await startInstance('B', env, join(logs, `liaison-bench-B-${process.pid}.log`));
    insts.push(B);
    const rssBefore = { A: rssKb(A.child.pid!), B: rssKb(B.child.pid!) };

    // ---------------------------------------------------------------- sockets
    type Handler = (f: Frame, inst: 'A' | 'B', sender: boolean) => void;
    let onFrame: Handler = () => undefined;
    const open = (inst: Inst, token: string, sender = false) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${inst.url.replace('http', 'ws')}/v1/stream?token=${token}`);
        ws.on('open', () => resolve(ws));
        ws.on('error', reject);
        ws.on('message', (d) => onFrame(JSON.parse(frameText(d)) as Frame, inst.name as 'A' | 'B', sender));
        sockets.push(ws);
      });
    const t0 = now();
    const jobs: (() => Promise<WebSocket>)[] = [];
    for (let r = 0; r < RECIPIENTS; r++) {
      jobs.push(() => open(A, tokens[SENDERS + r]));
      jobs.push(() => open(B, tokens[SENDERS + r]));
    }
    for (let i = 0; i < jobs.length; i += 50) await Promise.all(jobs.slice(i, i + 50).map((j) => j()));
    const senderSockets: WebSocket[] = [];
    for (let s = 0; s < SENDERS; s++) senderSockets.push(await open(A, tokens[s], true));
    const openMs = now() - t0;
    await sleep(1000);
    const rssAfter = { A: rssKb(A.child.pid!), B: rssKb(B.child.pid!) };
    const recipientSockets = RECIPIENTS * 2;
    const perSocketKb = (rssAfter.A - rssBefore.A + rssAfter.B - rssBefore.B) / (recipientSockets + SENDERS);
    console.log(
      `sockets: ${recipientSockets + SENDERS} open in ${openMs.toFixed(0)} ms; RSS A ${rssBefore.A}→${rssAfter.A} kB, B ${rssBefore.B}→${rssAfter.B} kB; ~${perSocketKb.toFixed(1)} kB/socket`,
    );

    // ---------------------------------------------------------------- raw NATS
    const pub = await natsConnect({ servers: NATS });
    const sub = await natsConnect({ servers: NATS });
    const subject = `liaison_bench_raw.${randomBytes(4).toString('hex')}`;
    const raw: number[] = [];
    sub.subscribe(subject, {
      callback: (_e, m) => {
        const sent = Number(m.string().slice(0, 20));
        raw.push(now() - sent);
      },
    });
    await sub.flush();
    const filler = 'x'.repeat(600);
    await paced(2000, PACE_MS, () => pub.publish(subject, `${now().toFixed(6).padStart(20, ' ')}${filler}`));
    await pub.flush();
    await sleep(300);
    await pub.close();
    await sub.close();

    // ---------------------------------------------------------------- messages: POST on A → sockets
    const msgCross: number[] = [];
    const msgLocal: number[] = [];
    const sentAt = new Map<string, number>();
    onFrame = (f, inst, sender) => {
      if (f.type !== 'message.created' || sender) return;
      const t = sentAt.get(f.data.message?.body ?? '');
      if (t === undefined) return;
      (inst === 'B' ? msgCross : msgLocal).push(now() - t);
    };
    let nextMsg = 0;
    const convOf = new Map<number, string>(); // recipient index → conversation id
    const post = async () => {
      while (nextMsg < MESSAGES) {
        const i = nextMsg++;
        const r = i % RECIPIENTS;
        const body = `bench ${i} ${randomBytes(3).toString('hex')}`;
        sentAt.set(body, now());
        const res = await fetch(A.url + '/v1/messages', {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens[senderOf(r)]}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: handles[SENDERS + r], body }),
        });
        if (res.status !== 201) throw new Error(`send: ${res.status} ${await res.text()}`);
        const out = (await res.json()) as { conversation: { id: string } };
        convOf.set(r, out.conversation.id);
      }
    };
    const tm = now();
    await Promise.all(Array.from({ length: MSG_CONCURRENCY }, post));
    const msgMs = now() - tm;
    await sleep(1000);

    // ---------------------------------------------------------------- typing: socket on A → socket on B
    const typCross: number[] = [];
    const typLocal: number[] = [];
    const typingSent = new Map<string, number>();
    let measuring = false;
    onFrame = (f, inst) => {
      if (f.type !== 'typing' || !measuring) return;
      const t = typingSent.get(f.data.conversationId ?? '');
      if (t === undefined) return;
      (inst === 'B' ? typCross : typLocal).push(now() - t);
    };
    const perSender = Math.ceil(RECIPIENTS / SENDERS);
    // one typing signal every PACE_MS, senders in turn (each sender 10 a second: the server's per-socket budget)
    const typingRound = (count: number) =>
      paced(count, PACE_MS, (i) => {
        const s = i % SENDERS;
        const k = Math.floor(i / SENDERS);
        const r = s + SENDERS * (k % perSender);
        const conv = r < RECIPIENTS ? convOf.get(r) : undefined;
        if (!conv) return;
        typingSent.set(conv, now());
        senderSockets[s].send(JSON.stringify({ type: 'typing', conversationId: conv }));
      });
    await typingRound(RECIPIENTS); // warm the caches (conversation sides, settings)
    await sleep(500);
    measuring = true;
    await typingRound(TYPING);
    await sleep(1000);
    measuring = false;

    const metrics = await (await fetch(A.url + '/metrics')).text();
    const openA = /liaison_open_sockets (\d+)/.exec(metrics)?.[1];

    const rows = [
      ['raw NATS publish→subscribe', raw],
      ['typing, socket on A → socket on B', typCross],
      ['typing, socket on A → socket on A', typLocal],
      ['message, POST on A → socket on B', msgCross],
      ['message, POST on A → recipient socket on A', msgLocal],
    ] as const;
    const lines = rows.map(([name, xs]) => `| ${name} | ${xs.length} | ${fmt(pct(xs, 50))} | ${fmt(pct(xs, 99))} |`);
    const ratio = pct(typCross, 99) / pct(raw, 99);
    const summary = [
      `${machine()}. Two instances (PostgreSQL ${dbName.replace(/_[0-9a-f]+$/, '')}, NATS ${NATS}), ${recipientSockets + SENDERS} sockets ` +
        `(${RECIPIENTS} recipients × 2 instances + ${SENDERS} senders), ${cpus().length} CPUs, Node ${process.version}. ` +
        `${MESSAGES} messages in ${(msgMs / 1000).toFixed(1)} s (${((MESSAGES / msgMs) * 1000).toFixed(0)}/s, ${MSG_CONCURRENCY} concurrent requests); ` +
        `typing and raw NATS paced one every ${PACE_MS} ms. Load average at the end: ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')}.`,
      '',
      '| path | samples | p50 ms | p99 ms |',
      '|---|---|---|---|',
      ...lines,
      '',
      `- typing p99 (A→B, the bus path with no write) ${fmt(pct(typCross, 99))} ms vs raw NATS p99 ${fmt(pct(raw, 99))} ms: **${ratio.toFixed(2)}x** (target ≤ 3x: ${ratio <= 3 ? 'met' : 'MISSED'})`,
      `- memory: ~${perSocketKb.toFixed(1)} kB RSS per socket (A ${rssBefore.A}→${rssAfter.A} kB, B ${rssBefore.B}→${rssAfter.B} kB); A reports liaison_open_sockets ${openA}.`,
      `- messages include the HTTP request, the policy, the transaction and its commit; typing and raw NATS do not touch storage.`,
      '',
    ].join('\n');
    console.log(summary);
    writeSection('Realtime delivery', summary);
  } finally {
    for (const ws of sockets) ws.terminate();
    for (const i of insts) i.child.kill('SIGKILL');
    await sleep(300);
    const c = new pg.Client({ connectionString: BASE_DB });
    await c.connect();
    await c.query(`drop database if exists ${dbName} with (force)`);
    await c.end();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
