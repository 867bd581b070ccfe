/**
 * npm run soak [-- --minutes N] [--rate R] [--members M] [--interval-s S] [--title T] [--json FILE]: the mixed load on two instances for N
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
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';
import { mulberry32 } from '../src/graph/generate.js';
import { seed } from '../src/cli/seed.js';
import { createClient } from '../src/client/index.js';
import { openStore } from '../src/store/db.js';
import { machine, NATS_URL, openSessions, pct, ROOT, scratchDb, startChild, writeSection, type Child } from './lib.js';

export interface SoakOptions {
  minutes: number;
  /** requests per second, open loop */
  rate: number;
  members: number;
  /** one sample every intervalMs (60 s by default; CI's bounded mode samples every 15 s) */
  intervalMs: number;
  /** the server to start twice: the compiled dist/src/cli/main.js by default; tests pass src/cli/main.ts with ['--import', 'tsx'] */
  main?: string;
  nodeArgs?: string[];
  /** extra environment for the two instances */
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** ends the load early (Ctrl-C): the intervals run so far are returned and judged */
  signal?: AbortSignal;
}

export interface Sample {
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
export interface LoadMinute {
  /** the sample index (1 = the first interval of load) */
  minute: number;
  /** the machine's 1-minute load average (other work on it shows here) */
  loadavg: number;
  requests: number;
  errors: Record<string, number>;
  p99: number;
  /** every request's latency in this interval, ms, sorted */
  lat: number[];
  undelivered: number;
}

export interface SoakRun {
  opts: SoakOptions;
  /** per instance (A, B): index 0 is before the load, then one per interval */
  samples: Sample[][];
  loads: LoadMinute[];
  /** connections to the database in pg_stat_activity; index 0 before the load */
  dbConns: number[];
  wallMinutes: number;
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
    const base = this.urls[this.turn++ % this.urls.length];
    const u = new URL('/v1/stream', base.replace(/^http/, 'ws'));
    u.searchParams.set('token', this.token);
    if (this.lastId) u.searchParams.set('since', this.lastId);
    const ws = new WebSocket(u);
    this.ws = ws;
    ws.on('message', (d) => {
      const f = JSON.parse((Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d)).toString('utf8')) as {
        id: string;
        type: string;
        data: { message?: { id: string } };
      };
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

export async function runSoak(opts: SoakOptions): Promise<SoakRun> {
  const { minutes: MINUTES, rate: RATE, members: MEMBERS, intervalMs: INTERVAL_MS } = opts;
  if (!(MINUTES > 0) || !(RATE > 0) || !(MEMBERS >= 200) || !(INTERVAL_MS >= 1000))
    throw new Error('usage: --minutes N (>0) --rate R (>0) --members M (>=200)');
  const log = (line: string) => (opts.log ?? ((l: string) => console.log(l)))(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);
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
      ...opts.env,
    };
    const main = opts.main ?? path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
    const a = await startChild(main, env, opts.nodeArgs);
    const b = await startChild(main, env, opts.nodeArgs);
    children.push(a, b);
    const urls = [a.url, b.url];
    const tokens = await openSessions(
      db.url,
      Array.from({ length: 60 }, (_, i) => `s${i}`),
    );
    // 20 senders, each writing to one of its connections, whose socket listens on one of the instances
    const senders: { token: string; to: string; listener: Listener }[] = [];
    const handleToken = new Map<string, string>();
    for (const [i, t] of tokens.entries()) handleToken.set(`s${i}`, t);
    for (const [i, token] of tokens.entries()) {
      if (senders.length >= 20) break;
      const conns = (await createClient({ baseUrl: a.url, token }).getConnections({ query: { limit: 20 } })).items;
      const to = conns.find((c) => handleToken.has(c.handle) && c.handle !== `s${i}`) ?? conns[0];
      if (!to) continue;
      // the recipient needs a session for its socket
      let rt = handleToken.get(to.handle);
      if (!rt) {
        [rt] = await openSessions(db.url, [to.handle]);
        handleToken.set(to.handle, rt);
      }
      const listener = new Listener(rt, senders.length % 2 ? [b.url, a.url] : [a.url, b.url]);
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
      const url = urls[i % urls.length];
      const x = rnd();
      const t = performance.now();
      let route: string;
      let res: Response;
      let sender: (typeof senders)[number] | null = null;
      if (x < 0.7) {
        route = 'profile';
        const token = tokens[Math.floor(rnd() * tokens.length)];
        res = await fetch(`${url}/v1/members/s${Math.floor(rnd() * MEMBERS)}`, { headers: { authorization: `Bearer ${token}` } });
      } else if (x < 0.9) {
        const s = senders[Math.floor(rnd() * senders.length)];
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
        samples[k].push({
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
        const r = await c.query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        );
        return r.rows[0].n;
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
    while (minute < SAMPLES && !opts.signal?.aborted) {
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
          const e = expected[k];
          if (e.at > cutoff) continue;
          if (!e.listener.got.delete(e.messageId)) undelivered++;
          expected.splice(k, 1);
        }
        for (const l of listeners) for (const [id, at] of l.got) if (at < cutoff - 60_000) l.got.delete(id);
        const sorted = cur.lat.sort((x, y) => x - y);
        loads.push({ minute, loadavg: os.loadavg()[0], requests: cur.requests, errors: cur.errors, p99: pct(sorted, 99), lat: sorted, undelivered });
        cur = { lat: [], errors: {}, requests: 0 };
        await sample(minute);
        dbConns.push(await dbConnections());
        const s = samples.map((x) => x[x.length - 1]);
        log(
          `minute ${minute}: ${loads[loads.length - 1].requests} requests, errors ${JSON.stringify(loads[loads.length - 1].errors)}, undelivered ${undelivered}, p99 ${loads[loads.length - 1].p99.toFixed(0)} ms; ` +
            s
              .map((x, k) => `${'AB'[k]}: rss ${x.rssMiB.toFixed(0)} heap ${x.heapMiB.toFixed(0)} lag ${x.lagP99ms.toFixed(1)} handles ${x.handles}`)
              .join(', ') +
            `; db connections ${dbConns[dbConns.length - 1]}`,
        );
        // churn: four stream clients drop and reconnect (to the other instance) with ?since=
        for (let k = 0; k < 4; k++) listeners[(minute * 4 + k) % listeners.length].drop();
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    while (inflight > 0) await new Promise((r) => setTimeout(r, 50));
    for (const c of children) await c.stop();
    return { opts, samples, loads, dbConns, wallMinutes: (Date.now() - started) / 60_000 };
  } finally {
    for (const l of listeners) l.stop();
    for (const c of children) await c.stop().catch(() => {});
    await db.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface Verdict {
  /** sample indices of the judged window (the last 30 intervals, or the last half of a shorter run) */
  from: number;
  to: number;
  /** samples averaged at each end of the window */
  k: number;
  instances: {
    rss: number;
    heap: number;
    handles: number;
    handlesFrom: number;
    handlesTo: number;
    lagMin: number;
    lagMax: number;
    lagWindowMin: number;
    lagWindowMax: number;
  }[];
  requests: number;
  errors: number;
  undelivered: number;
  /** request p99 (ms) over the first k intervals of the window and over its last k; ratio = last / first */
  p99First: number;
  p99Last: number;
  p99Ratio: number;
  p99WindowMin: number;
  p99WindowMax: number;
}

/** Bounds of the verdict: memory and handles grow under 5% over the window, p99 at its end within 2× of its start. */
export const GROWTH_BOUND = 0.05;
export const P99_BOUND = 2;

export function judge(run: SoakRun): Verdict {
  const { samples, loads } = run;
  const n = loads.length;
  const windowLen = Math.max(1, Math.min(30, Math.floor(n / 2))); // the last 30 intervals, or the last half
  const from = n - windowLen; // sample index (0 = before the load)
  // growth over the window: the mean of its last k samples against the mean of its first k (k ≤ 3),
  // so one garbage collection or one socket more or less does not decide it
  const k = Math.max(1, Math.min(3, Math.floor((windowLen + 1) / 2)));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ends = (xs: number[]) => {
    const w = xs.slice(from, n + 1);
    return [mean(w.slice(0, k)), mean(w.slice(-k))] as const;
  };
  const growth = (xs: number[]) => {
    const [a, b] = ends(xs);
    return (b - a) / a;
  };
  const instances = samples.map((s) => {
    const lags = s.slice(1).map((x) => x.lagP99ms);
    const lagWindow = lags.slice(from);
    const [handlesFrom, handlesTo] = ends(s.map((x) => x.handles));
    return {
      rss: growth(s.map((x) => x.rssMiB)),
      heap: growth(s.map((x) => x.heapMiB)),
      handles: growth(s.map((x) => x.handles)),
      handlesFrom,
      handlesTo,
      lagMin: Math.min(...lags),
      lagMax: Math.max(...lags),
      lagWindowMin: Math.min(...lagWindow),
      lagWindowMax: Math.max(...lagWindow),
    };
  });
  // request p99 over pooled latencies: loads[i] is the interval ending at sample i + 1
  const win = loads.slice(from);
  const pooled = (ls: LoadMinute[]) =>
    pct(
      ls.flatMap((l) => l.lat).sort((x, y) => x - y),
      99,
    );
  const p99First = pooled(win.slice(0, k));
  const p99Last = pooled(win.slice(-k));
  return {
    from,
    to: n,
    k,
    instances,
    requests: loads.reduce((t, l) => t + l.requests, 0),
    errors: loads.reduce((t, l) => t + Object.values(l.errors).reduce((a, b) => a + b, 0), 0),
    undelivered: loads.reduce((t, l) => t + l.undelivered, 0),
    p99First,
    p99Last,
    p99Ratio: p99Last / p99First,
    p99WindowMin: Math.min(...win.map((l) => l.p99)),
    p99WindowMax: Math.max(...win.map((l) => l.p99)),
  };
}

function writeResults(run: SoakRun, title: string) {
  const { samples, loads, dbConns, wallMinutes, opts } = run;
  const v = judge(run);
  const unit = opts.intervalMs === 60_000 ? 'minute' : `${opts.intervalMs / 1000}-s interval`;
  const fmt = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
  const verdicts: string[] = [];
  let allOk = true;
  for (const [i, x] of v.instances.entries()) {
    const flat = x.rss < GROWTH_BOUND && x.heap < GROWTH_BOUND && x.handles < GROWTH_BOUND;
    allOk &&= flat;
    verdicts.push(
      `- instance ${'AB'[i]}: over ${unit}s ${v.from}–${v.to} (mean of the last ${v.k} samples against the first ${v.k}), RSS ${fmt(x.rss)}, heap ${fmt(x.heap)}, open handles ${fmt(x.handles)} (${x.handlesFrom.toFixed(1)} → ${x.handlesTo.toFixed(1)}) (target under +5%: ${flat ? 'met' : 'MISSED'}); ` +
        `event-loop lag p99 per ${unit} ${x.lagMin.toFixed(1)}–${x.lagMax.toFixed(1)} ms (window: ${x.lagWindowMin.toFixed(1)}–${x.lagWindowMax.toFixed(1)} ms)`,
    );
  }
  const p99Ok = v.p99Ratio <= P99_BOUND;
  allOk &&= v.errors === 0 && v.undelivered === 0 && p99Ok;
  verdicts.push(
    `- request p99 over the window: ${v.p99First.toFixed(0)} ms over its first ${v.k} ${unit}s, ${v.p99Last.toFixed(0)} ms over its last ${v.k} (${v.p99Ratio.toFixed(2)}×; target at most ${P99_BOUND}×: ${p99Ok ? 'met' : 'MISSED'}); per ${unit} ${v.p99WindowMin.toFixed(0)}–${v.p99WindowMax.toFixed(0)} ms`,
  );
  const rows = loads.map((l, i) => {
    const [sa, sb] = [samples[0][i + 1], samples[1][i + 1]];
    const e = Object.values(l.errors).reduce((a, b) => a + b, 0);
    const [pa, pb] = [samples[0][i], samples[1][i]];
    const why = e ? ` (shed ${sa.shed + sb.shed - pa.shed - pb.shed}, storage ${sa.storage503 + sb.storage503 - pa.storage503 - pb.storage503})` : '';
    return `| ${l.minute} | ${l.loadavg.toFixed(1)} | ${l.requests} | ${e}${e ? ` ${JSON.stringify(l.errors)}${why}` : ''} | ${l.undelivered} | ${l.p99.toFixed(0)} | ${sa.rssMiB.toFixed(0)} / ${sb.rssMiB.toFixed(0)} | ${sa.heapMiB.toFixed(1)} / ${sb.heapMiB.toFixed(1)} | ${sa.lagP99ms.toFixed(1)} / ${sb.lagP99ms.toFixed(1)} | ${sa.handles} / ${sb.handles} | ${sa.pool} / ${sb.pool} | ${dbConns[i + 1]} | ${sa.sockets} / ${sb.sockets} |`;
  });
  const [s0a, s0b] = [samples[0][0], samples[1][0]];
  writeSection(
    title,
    [
      `${machine()}. \`npm run soak -- --minutes ${opts.minutes}${opts.rate !== 40 ? ` --rate ${opts.rate}` : ''}${opts.members !== 5000 ? ` --members ${opts.members}` : ''}${opts.intervalMs !== 60_000 ? ` --interval-s ${opts.intervalMs / 1000}` : ''}\` (${wallMinutes.toFixed(1)} min with setup): two instances (\`liaison serve\`, PostgreSQL and NATS on 127.0.0.1, ${opts.members.toLocaleString('en-US')} seeded members), an open-loop load of ${opts.rate} requests/s alternating between them (70% profile views, 20% inbox and conversation reads, 10% sends with Idempotency-Key), 20 stream clients of which 4 reconnect with \`?since=\` every ${unit}; every sent message must reach its recipient's socket within 5 s. Each row is one ${unit}; "A / B" are the two instances, read from their \`GET /metrics\`; DB connections from \`pg_stat_activity\`.`,
      '',
      `**${allOk ? 'Met' : 'MISSED'}**: ${v.requests.toLocaleString('en-US')} requests, **${v.errors} errors**, **${v.undelivered} messages not delivered** to their socket.`,
      ...verdicts,
      '',
      `Before the load: RSS ${s0a.rssMiB.toFixed(0)} / ${s0b.rssMiB.toFixed(0)} MiB, heap ${s0a.heapMiB.toFixed(1)} / ${s0b.heapMiB.toFixed(1)} MiB, handles ${s0a.handles} / ${s0b.handles}, DB connections ${dbConns[0]}.`,
      '',
      `| ${unit} | load avg | requests | errors | undelivered | p99 ms | RSS MiB | heap MiB | lag p99 ms | handles | pool | DB conns | sockets |`,
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
  console.log(`wrote bench/RESULTS.md (${title}): ${allOk ? 'met' : 'MISSED'}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '60' },
      rate: { type: 'string', default: process.env.SOAK_RATE ?? '40' },
      members: { type: 'string', default: process.env.SOAK_MEMBERS ?? '5000' },
      'interval-s': { type: 'string', default: '60' },
      title: { type: 'string', default: 'Soak' },
      json: { type: 'string' },
    },
  });
  // Ctrl-C (or SIGTERM) ends the load early; the instances stop, the scratch database is dropped and
  // the intervals run so far are written; a second Ctrl-C exits at once
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (stop.abort(), process.once(sig, () => process.exit(130))));
  const run = await runSoak({
    minutes: Number(values.minutes),
    rate: Number(values.rate),
    members: Number(values.members),
    intervalMs: Number(values['interval-s']) * 1000,
    signal: stop.signal,
  });
  if (run.loads.length === 0) return console.log('stopped before the first interval: nothing written');
  // the raw run (every sample, every interval's latencies) for a second look
  if (values.json) writeFileSync(values.json, JSON.stringify(run));
  writeResults(run, values.title);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
