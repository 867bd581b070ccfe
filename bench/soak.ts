/**
 * npm run soak [-- --minutes N] [--rate R] [--members M]: the mixed load on two instances for N
 * minutes (default 60; CI's bounded mode is 3), sampling every minute, per instance, from its
 * GET /metrics: resident memory, V8 heap used, event-loop lag p99 (over the minute), open handles,
 * pool connections and open sockets, and from PostgreSQL the connections to the database; plus the
 * load's requests, errors and p99 latency in that minute. Writes the section "Soak" of
 * bench/RESULTS.md with a verdict: memory and handles flat after warm-up (growth under 5% over the
 * last 30 minutes, or the last half of a shorter run), no error, event-loop lag p99 stable.
 *
 * Load (open loop at R requests/s, default 40, alternating instances): 70% profile views, 20%
 * inbox or conversation reads, 10% sends; 20 stream clients listening (half on each instance), of
 * which 4 drop and reconnect with ?since= every minute; and every send's message must reach its
 * recipient's socket (counted as an error otherwise).
 * Env: BENCH_DATABASE_URL / DATABASE_URL, BENCH_NATS_URL / LIAISON_NATS_URL (machine defaults).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';
import { mulberry32 } from '../src/graph/generate.js';
import { seed } from '../src/cli/seed.js';
import { openStore } from '../src/store/db.js';
import { machine, NATS_URL, openSessions, pct, ROOT, scratchDb, startChild, writeSection, type Child } from './lib.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '60' },
    rate: { type: 'string', default: process.env.SOAK_RATE ?? '40' },
    members: { type: 'string', default: process.env.SOAK_MEMBERS ?? '5000' },
    'interval-s': { type: 'string', default: '60' },
  },
});
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
const MEMBERS = Number(values.members);
const INTERVAL_MS = Number(values['interval-s']) * 1000;
if (!(MINUTES > 0) || !(RATE > 0) || !(MEMBERS >= 200) || !(INTERVAL_MS >= 1000)) throw new Error('usage: --minutes N (>0) --rate R (>0) --members M (>=200)');
const log = (...a: unknown[]) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...a);

interface Sample {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  lagP99ms: number;
  handles: number;
  pool: number;
  sockets: number;
  /** cumulative: requests refused at the door (overload), and answered 503 for storage */
  shed: number;
  storage503: number;
}
interface LoadMinute {
  minute: number;
  /** the machine's 1-minute load average (other work on it shows here) */
  loadavg: number;
  requests: number;
  errors: Record<string, number>;
  p99: number;
  undelivered: number;
}

function metric(text: string, name: string, labels = ''): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels && !rest.includes(labels)) continue;
    return Number(line.split(' ').pop());
  }
  return NaN;
}

/** A stream client that reconnects with ?since= (to the other instance), like web/src/stream.ts. */
class Listener {
  ws: WebSocket | null = null;
  lastId: string | undefined;
  readonly got = new Map<string, number>(); // message ids received → when
  private stopped = false;
  private turn = 0;
  constructor(
    readonly token: string,
    readonly urls: string[],
  ) {}
  open(): void {
    if (this.stopped) return;
    const base = this.urls[this.turn++ % this.urls.length]!;
    const u = new URL('/v1/stream', base.replace(/^http/, 'ws'));
    u.searchParams.set('token', this.token);
    if (this.lastId) u.searchParams.set('since', this.lastId);
    const ws = new WebSocket(u);
    this.ws = ws;
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as { id: string; type: string; data: { message?: { id: string } } };
      this.lastId = f.id;
      if (f.type === 'message.created' && f.data.message) this.got.set(f.data.message.id, Date.now());
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.ws === ws) this.ws = null;
      if (!this.stopped) setTimeout(() => this.open(), 200);
    });
  }
  drop(): void {
    this.ws?.terminate();
  }
  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

async function main() {
  const started = Date.now();
  const db = await scratchDb('liaison_soak');
  const children: Child[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'liaison-soak-'));
  const policyFile = path.join(tmp, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ messagesPerMinute: 1_000_000, nonConnectionConversationsPerMonth: 1_000_000 }));
  const listeners: Listener[] = [];
  try {
    const store = await openStore({ databaseUrl: db.url, dataDir: 'memory://' });
    await store.migrate();
    log(`seeding ${MEMBERS} members…`);
    await seed(store, { members: MEMBERS, avgDegree: 20, seed: 7, prefix: 's' });
    await store.close();
    const env = {
      DATABASE_URL: db.url,
      LIAISON_NATS_URL: NATS_URL,
      LIAISON_NATS_SUBJECT: `liaison_soak_${process.pid}`,
      LIAISON_POLICY: policyFile,
      LIAISON_DATA_DIR: tmp,
    };
    const main = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
    const a = await startChild(main, env);
    const b = await startChild(main, env);
    children.push(a, b);
    const urls = [a.url, b.url];
    const tokens = await openSessions(db.url, Array.from({ length: 60 }, (_, i) => `s${i}`));
    // 20 senders, each writing to one of its connections, whose socket listens on one of the instances
    const senders: { token: string; to: string; listener: Listener }[] = [];
    const handleToken = new Map<string, string>();
    for (const [i, t] of tokens.entries()) handleToken.set(`s${i}`, t);
    for (const [i, token] of tokens.entries()) {
      if (senders.length >= 20) break;
      const r = await fetch(`${a.url}/v1/connections?limit=20`, { headers: { authorization: `Bearer ${token}` } });
      const conns = ((await r.json()) as { items: { handle: string }[] }).items;
      const to = conns.find((c) => handleToken.has(c.handle) && c.handle !== `s${i}`) ?? conns[0];
      if (!to) continue;
      // the recipient needs a session for its socket
      let rt = handleToken.get(to.handle);
      if (!rt) {
        [rt] = await openSessions(db.url, [to.handle]);
        handleToken.set(to.handle, rt!);
      }
      const listener = new Listener(rt!, senders.length % 2 ? [b.url, a.url] : [a.url, b.url]);
      listener.open();
      listeners.push(listener);
      senders.push({ token, to: to.handle, listener });
    }
    log(`${senders.length} senders, ${listeners.length} stream clients, rate ${RATE} req/s for ${MINUTES} min`);
    const convIds = new Map<string, string>();
    const expected: { messageId: string; listener: Listener; at: number }[] = [];
    let cur: { lat: number[]; errors: Record<string, number>; requests: number } = { lat: [], errors: {}, requests: 0 };
    const rnd = mulberry32(99);
    const once = async (i: number) => {
      const url = urls[i % urls.length]!;
      const x = rnd();
      const t = performance.now();
      let route: string;
      let res: Response;
      let sender: (typeof senders)[number] | null = null;
      if (x < 0.7) {
        route = 'profile';
        const token = tokens[Math.floor(rnd() * tokens.length)]!;
        res = await fetch(`${url}/v1/members/s${Math.floor(rnd() * MEMBERS)}`, { headers: { authorization: `Bearer ${token}` } });
      } else if (x < 0.9) {
        const s = senders[Math.floor(rnd() * senders.length)]!;
        const conv = convIds.get(s.token);
        route = conv && rnd() < 0.5 ? 'messages' : 'inbox';
        res = await fetch(route === 'messages' ? `${url}/v1/conversations/${conv}/messages?limit=20` : `${url}/v1/conversations?folder=inbox&limit=20`, {
          headers: { authorization: `Bearer ${s.token}` },
        });
      } else {
        route = 'send';
        sender = senders[Math.floor(rnd() * senders.length)]!;
        res = await fetch(`${url}/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${sender.token}`, 'content-type': 'application/json', 'idempotency-key': `soak-${i}` },
          body: JSON.stringify({ to: sender.to, body: `soak ${i}` }),
        });
      }
      const text = await res.text();
      cur.lat.push(performance.now() - t);
      cur.requests++;
      if (res.status >= 400) cur.errors[`${route} ${res.status}`] = (cur.errors[`${route} ${res.status}`] ?? 0) + 1;
      else if (sender) {
        const body = JSON.parse(text) as { message: { id: string }; conversation: { id: string } };
        convIds.set(sender.token, body.conversation.id);
        expected.push({ messageId: body.message.id, listener: sender.listener, at: Date.now() });
      }
    };
    const samples: Sample[][] = [[], []];
    const loads: LoadMinute[] = [];
    const sample = async (minute: number) => {
      for (const [k, c] of children.entries()) {
        const m = await (await fetch(`${c.url}/metrics`)).text();
        samples[k]!.push({
          minute,
          rssMiB: metric(m, 'process_resident_memory_bytes') / 2 ** 20,
          heapMiB: metric(m, 'nodejs_heap_size_used_bytes') / 2 ** 20,
          lagP99ms: metric(m, 'nodejs_eventloop_lag_p99_seconds') * 1000,
          handles: metric(m, 'nodejs_active_handles_total'),
          pool: metric(m, 'liaison_db_pool_connections', 'state="total"'),
          sockets: metric(m, 'liaison_open_sockets'),
          shed: metric(m, 'liaison_load_shed_total'),
          storage503: m
            .split('\n')
            .filter((l) => l.startsWith('liaison_storage_unavailable_total{'))
            .reduce((t, l) => t + Number(l.split(' ').pop()), 0),
        });
      }
    };
    const dbConnections = async (): Promise<number> => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const r = await c.query('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
        return r.rows[0].n as number;
      } finally {
        await c.end();
      }
    };
    const dbConns: number[] = [];
    await sample(0);
    dbConns.push(await dbConnections());
    const SAMPLES = Math.max(1, Math.round((MINUTES * 60_000) / INTERVAL_MS));
    let fired = 0;
    let inflight = 0;
    const t0 = Date.now();
    let nextSample = t0 + INTERVAL_MS;
    let minute = 0;
    while (minute < SAMPLES) {
      const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
      for (; fired < due; fired++) {
        if (inflight > 500) break; // the load process itself stays bounded
        inflight++;
        const i = fired;
        void once(i)
          .catch((e) => {
            cur.errors[`network ${(e as Error).message}`] = (cur.errors[`network ${(e as Error).message}`] ?? 0) + 1;
          })
          .finally(() => inflight--);
      }
      if (Date.now() >= nextSample) {
        nextSample += INTERVAL_MS;
        minute++;
        // messages sent more than 5 s ago must have reached their recipient's socket
        const cutoff = Date.now() - 5000;
        let undelivered = 0;
        for (let k = expected.length - 1; k >= 0; k--) {
          const e = expected[k]!;
          if (e.at > cutoff) continue;
          if (!e.listener.got.delete(e.messageId)) undelivered++;
          expected.splice(k, 1);
        }
        for (const l of listeners) for (const [id, at] of l.got) if (at < cutoff - 60_000) l.got.delete(id);
        const sorted = cur.lat.sort((x, y) => x - y);
        loads.push({ minute, loadavg: os.loadavg()[0]!, requests: cur.requests, errors: cur.errors, p99: pct(sorted, 99), undelivered });
        cur = { lat: [], errors: {}, requests: 0 };
        await sample(minute);
        dbConns.push(await dbConnections());
        const s = samples.map((x) => x[x.length - 1]!);
        log(
          `minute ${minute}: ${loads[loads.length - 1]!.requests} requests, errors ${JSON.stringify(loads[loads.length - 1]!.errors)}, undelivered ${undelivered}, p99 ${loads[loads.length - 1]!.p99.toFixed(0)} ms; ` +
            s.map((x, k) => `${'AB'[k]}: rss ${x.rssMiB.toFixed(0)} heap ${x.heapMiB.toFixed(0)} lag ${x.lagP99ms.toFixed(1)} handles ${x.handles}`).join(', ') +
            `; db connections ${dbConns[dbConns.length - 1]}`,
        );
        // churn: four stream clients drop and reconnect (to the other instance) with ?since=
        for (let k = 0; k < 4; k++) listeners[(minute * 4 + k) % listeners.length]!.drop();
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    while (inflight > 0) await new Promise((r) => setTimeout(r, 50));
    for (const c of children) await c.stop();
    writeResults(samples, loads, dbConns, (Date.now() - started) / 60_000);
  } finally {
    for (const l of listeners) l.stop();
    for (const c of children) await c.stop().catch(() => {});
    await db.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function writeResults(samples: Sample[][], loads: LoadMinute[], dbConns: number[], wallMinutes: number) {
  const n = loads.length;
  const windowLen = Math.max(1, Math.min(30, Math.floor(n / 2))); // the last 30 minutes, or the last half
  const from = n - windowLen; // sample index (0 = before the load)
  // growth over the window: the mean of its last k samples against the mean of its first k (k ≤ 3),
  // so one garbage collection or one socket more or less does not decide it
  const k = Math.max(1, Math.min(3, Math.floor((windowLen + 1) / 2)));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const growth = (xs: number[]) => {
    const w = xs.slice(from, n + 1);
    return (mean(w.slice(-k)) - mean(w.slice(0, k))) / mean(w.slice(0, k));
  };
  const fmt = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
  const verdicts: string[] = [];
  let allOk = true;
  for (const [i, s] of samples.entries()) {
    const rss = growth(s.map((x) => x.rssMiB));
    const heap = growth(s.map((x) => x.heapMiB));
    const handles = growth(s.map((x) => x.handles));
    const lags = s.slice(1).map((x) => x.lagP99ms);
    const lagWindow = lags.slice(from);
    const flat = rss < 0.05 && heap < 0.05 && handles < 0.05;
    allOk &&= flat;
    verdicts.push(
      `- instance ${'AB'[i]}: over minutes ${from}–${n} (mean of the last ${k} samples against the first ${k}), RSS ${fmt(rss)}, heap ${fmt(heap)}, open handles ${fmt(handles)} (target under +5%: ${flat ? 'met' : 'MISSED'}); ` +
        `event-loop lag p99 per minute ${Math.min(...lags).toFixed(1)}–${Math.max(...lags).toFixed(1)} ms (last ${windowLen} min: ${Math.min(...lagWindow).toFixed(1)}–${Math.max(...lagWindow).toFixed(1)} ms)`,
    );
  }
  const errors = loads.reduce((t, l) => t + Object.values(l.errors).reduce((a, b) => a + b, 0), 0);
  const undelivered = loads.reduce((t, l) => t + l.undelivered, 0);
  const requests = loads.reduce((t, l) => t + l.requests, 0);
  allOk &&= errors === 0 && undelivered === 0;
  const rows = loads.map((l, i) => {
    const [sa, sb] = [samples[0]![i + 1]!, samples[1]![i + 1]!];
    const e = Object.values(l.errors).reduce((a, b) => a + b, 0);
    const [pa, pb] = [samples[0]![i]!, samples[1]![i]!];
    const why = e ? ` (shed ${sa.shed + sb.shed - pa.shed - pb.shed}, storage ${sa.storage503 + sb.storage503 - pa.storage503 - pb.storage503})` : '';
    return `| ${l.minute} | ${l.loadavg.toFixed(1)} | ${l.requests} | ${e}${e ? ` ${JSON.stringify(l.errors)}${why}` : ''} | ${l.undelivered} | ${l.p99.toFixed(0)} | ${sa.rssMiB.toFixed(0)} / ${sb.rssMiB.toFixed(0)} | ${sa.heapMiB.toFixed(1)} / ${sb.heapMiB.toFixed(1)} | ${sa.lagP99ms.toFixed(1)} / ${sb.lagP99ms.toFixed(1)} | ${sa.handles} / ${sb.handles} | ${sa.pool} / ${sb.pool} | ${dbConns[i + 1]} | ${sa.sockets} / ${sb.sockets} |`;
  });
  const [s0a, s0b] = [samples[0]![0]!, samples[1]![0]!];
  writeSection(
    'Soak',
    [
      `${machine()}. \`npm run soak -- --minutes ${MINUTES}\` (${wallMinutes.toFixed(1)} min with setup): two instances (\`liaison serve\`, PostgreSQL and NATS on 127.0.0.1, ${MEMBERS.toLocaleString('en-US')} seeded members), an open-loop load of ${RATE} requests/s alternating between them (70% profile views, 20% inbox and conversation reads, 10% sends with Idempotency-Key), 20 stream clients of which 4 reconnect with \`?since=\` every minute; every sent message must reach its recipient's socket within 5 s. Each row is one minute; "A / B" are the two instances, read from their \`GET /metrics\`; DB connections from \`pg_stat_activity\`.`,
      '',
      `**${allOk ? 'Met' : 'MISSED'}**: ${requests.toLocaleString('en-US')} requests, **${errors} errors**, **${undelivered} messages not delivered** to their socket.`,
      ...verdicts,
      '',
      `Before the load: RSS ${s0a.rssMiB.toFixed(0)} / ${s0b.rssMiB.toFixed(0)} MiB, heap ${s0a.heapMiB.toFixed(1)} / ${s0b.heapMiB.toFixed(1)} MiB, handles ${s0a.handles} / ${s0b.handles}, DB connections ${dbConns[0]}.`,
      '',
      '| minute | load avg | requests | errors | undelivered | p99 ms | RSS MiB | heap MiB | lag p99 ms | handles | pool | DB conns | sockets |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
  log(`wrote bench/RESULTS.md (Soak): ${allOk ? 'met' : 'MISSED'}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
