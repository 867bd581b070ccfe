/** Shared by the benchmarks: the machine line, RESULTS.md sections, child servers, percentiles. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createClient } from '../src/client/index.js';
import { createCitusDatabase } from '../src/store/citus-database.js';
import { selectRows, type Store } from '../src/store/db.js';
import { sql } from '../src/store/sql.js';
import { packageRoot } from '../src/util/paths.js';

export const ROOT = packageRoot();
export const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env.BENCH_NATS_URL ?? process.env.LIAISON_NATS_URL ?? 'nats://127.0.0.1:4222';

export function machine(): string {
  const cpus = os.cpus();
  return `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}`;
}

/** Replaces (or appends; with `first`, puts right under the title) the `## <title>` section of bench/RESULTS.md. */
export function writeSection(title: string, body: string, first = false): void {
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n';
  const section = `## ${title}\n\n${body.trim()}\n`;
  const re = new RegExp(`^## ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm');
  const start = text.search(re);
  if (start >= 0) {
    const rest = text.slice(start + 1);
    const next = rest.search(/^## /m);
    const end = next >= 0 ? start + 1 + next : text.length;
    text = text.slice(0, start) + (first ? '' : section + (end < text.length ? '\n' : '')) + text.slice(end);
  }
  if (first || start < 0) {
    const at = first ? text.search(/^## /m) : -1;
    text = at >= 0 ? text.slice(0, at) + section + '\n' + text.slice(at) : text.replace(/\s*$/, '\n\n') + section;
  }
  writeFileSync(file, text);
}

/** An integer column as a raw query may answer it (int8: a bigint or a string, depending on the driver); read it with Number(). */
export type DbInt = number | bigint | string;

/** The rows of a raw `db.execute` result (PGlite and node-postgres both answer `{ rows }`), typed by the caller's query. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const ratio = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(2)) + '×';

/**
 * A Citus coordinator (BENCH_CITUS_URL, e.g. postgres://postgres@127.0.0.1:9700/postgres): the
 * benchmarks that take a scratch database run on a Citus database instead, the tables placed by
 * `liaison migrate` (src/store/distribution.ts).
 */
export const CITUS_URL = process.env.BENCH_CITUS_URL || undefined;

/** A scratch database on the PostgreSQL server (or on the Citus cluster of BENCH_CITUS_URL), dropped by `drop()`. */
export async function scratchDb(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}`;
  if (CITUS_URL) return createCitusDatabase(CITUS_URL, name, { replace: true });
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface Child {
  url: string;
  child: ChildProcess;
  pid: number;
  stop: () => Promise<void>;
}

/** Starts a compiled `liaison serve` (or any script printing {"url": …}) and waits for its URL. */
export async function startChild(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, script, ...(/main\.[jt]s$/.test(script) ? ['serve'] : [])], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no URL from ' + script + ': ' + out)), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out) ?? /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited ${code}: ${out}`));
    });
  });
  return {
    url,
    child,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}

/** A process's CPU ticks so far (user, system), from /proc/<pid>/stat (Linux); throws when it is gone. */
function cpuTicks(pid: number | string): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(stat[11]), system: Number(stat[12]) };
}

/**
 * CPU seconds used so far by every PostgreSQL process on this machine (backends and background
 * workers, from /proc; Linux). 0 when none is visible (PostgreSQL on another machine): callers then
 * report nothing.
 */
export function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/comm`, 'utf8').startsWith('postgres')) continue;
      const t = cpuTicks(d);
      ticks += t.user + t.system;
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100;
}

/** CPU seconds and RSS of a process, from /proc (Linux). */
export function procStats(pid: number): { cpuSeconds: number; systemSeconds: number; rssMiB: number } {
  try {
    const t = cpuTicks(pid);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: (t.user + t.system) / 100, systemSeconds: t.system / 100, rssMiB: rss / 1024 };
  } catch {
    return { cpuSeconds: NaN, systemSeconds: NaN, rssMiB: NaN };
  }
}

/**
 * Opens sessions for seeded members straight in the database (bench setup only: signing in 100
 * viewers through POST /v1/sessions would trip the per-address sign-in limit).
 */
export async function openSessions(dbUrl: string, handles: string[]): Promise<string[]> {
  const { hashToken, newToken } = await import('../src/services/accounts.js');
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const tokens: string[] = [];
    for (const h of handles) {
      const token = newToken();
      const r = await c.query('insert into sessions (token_hash, member_id) select $1, id from members where lower(handle) = lower($2) returning member_id', [
        hashToken(token),
        h,
      ]);
      if (r.rowCount !== 1) throw new Error(`no member ${h}`);
      tokens.push(token);
    }
    return tokens;
  } finally {
    await c.end();
  }
}

/**
 * `n` pairs of members connected in a seeded network, no member in two pairs, each side signed in
 * straight in the database (bench setup only): both sides send, each to the other.
 */
export async function seededPairs(store: Store, n: number): Promise<{ token: string; to: string }[]> {
  const { hashToken, newToken } = await import('../src/services/accounts.js');
  const rows = await selectRows<{ a: number; b: number; ha: string; hb: string }>(
    store.db,
    sql`select c.a, c.b, ma.handle as ha, mb.handle as hb from connections c join members ma on ma.id = c.a join members mb on mb.id = c.b
        order by c.a, c.b limit ${n * 50}`,
  );
  const used = new Set<number>();
  const senders: { token: string; to: string }[] = [];
  for (const r of rows) {
    if (senders.length >= 2 * n) break;
    if (used.has(r.a) || used.has(r.b)) continue;
    used.add(r.a).add(r.b);
    for (const [id, to] of [
      [r.a, r.hb],
      [r.b, r.ha],
    ] as const) {
      const token = newToken();
      await store.db.execute(sql`insert into sessions (token_hash, member_id) values (${hashToken(token)}, ${id})`);
      senders.push({ token, to });
    }
  }
  if (senders.length < 2 * n) throw new Error(`the seeded network has ${senders.length / 2} disjoint connected pairs, not ${n}`);
  return senders;
}

/** The functions with the most self time in the first .cpuprofile of `dir` (percent of samples). */
export function topCosts(dir: string, n = 10): string[] {
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

/**
 * The baseline of the send benchmarks: one raw single-row INSERT transaction (BEGIN, INSERT,
 * COMMIT) into `bench_raw`, which RAW_TABLE makes.
 */
export const RAW_TABLE =
  'create table if not exists bench_raw (id bigint generated always as identity primary key, conversation_id bigint not null, sender_id int not null, body text not null, created_at timestamptz not null default now())';
export async function rawInsertTransaction(c: pg.PoolClient, conversation: number, sender: number): Promise<void> {
  await c.query('begin');
  await c.query('insert into bench_raw (conversation_id, sender_id, body) values ($1, $2, $3)', [conversation, sender, 'hello from the bench']);
  await c.query('commit');
}

/**
 * `n` connected pairs signed up through the typed client (eight pairs at a time; the server's
 * sign-up limit lifted by the caller's policy): both directions of each pair, as a sender's token and
 * the other's handle.
 */
export async function connectedPairs(url: string, n: number): Promise<{ token: string; to: string }[]> {
  const senders: { token: string; to: string }[] = [];
  const pair = async (i: number) => {
    const anon = createClient({ baseUrl: url });
    const a = await anon.postAccounts({ body: { handle: `ba${i}`, name: `A ${i}`, email: `ba${i}@bench.test`, password: 'bench-password-1' } });
    const b = await anon.postAccounts({ body: { handle: `bb${i}`, name: `B ${i}`, email: `bb${i}@bench.test`, password: 'bench-password-1' } });
    if (!a.token || !b.token) throw new Error('sign-up answered no token');
    const inv = await createClient({ baseUrl: url, token: a.token }).postInvitations({ body: { to: `bb${i}` } });
    await createClient({ baseUrl: url, token: b.token }).postInvitationsByIdAccept({ params: { id: inv.id } });
    senders.push({ token: a.token, to: `bb${i}` }, { token: b.token, to: `ba${i}` });
  };
  for (let i = 0; i < n; i += 8) await Promise.all(Array.from({ length: Math.min(8, n - i) }, (_, k) => pair(i + k)));
  return senders;
}
