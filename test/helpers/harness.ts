/**
 * Test harness: a Liaison app on PGlite (default) or on a fresh database of the PostgreSQL server
 * named by DATABASE_URL. Every harness creates its own database and drops it on close.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/config.js';
import { resolvePolicy, type Policy } from '../../src/policy/policy.js';
import { startServer, type Instance } from '../../src/server.js';
import { ManualClock } from '../../src/util/clock.js';
import { createCitusDatabase } from '../../src/store/citus-database.js';
import type { Member } from '../../src/contract/index.js';
import { rawAnswer } from './client.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/**
 * A Citus coordinator (LIAISON_TEST_CITUS_URL, e.g. postgres://postgres@127.0.0.1:9700/postgres):
 * when set, every harness database is a Citus database with the tables distributed by the plan
 * (src/store/distribution.ts), and storageKind is 'postgres' (Citus is PostgreSQL).
 */
export const citusUrl = process.env.LIAISON_TEST_CITUS_URL || undefined;
export const storageKind = citusUrl || process.env.DATABASE_URL ? 'postgres' : 'pglite';

/** Creates a scratch database on the server (on Citus: on every node); returns its URL and a dropper. */
export async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (citusUrl) return citusScratchDatabase(citusUrl);
  const base = process.env.DATABASE_URL!;
  const name = `liaison_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A scratch database on the Citus cluster (src/store/citus-database.ts); four shards a table keep the suites quick on one machine. */
function citusScratchDatabase(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  return createCitusDatabase(base, `liaison_t_${process.pid}_${randomBytes(4).toString('hex')}`, { shardCount: 4 });
}

export interface Harness {
  inst: Instance;
  clock: ManualClock;
  config: Config;
  call: (method: string, url: string, opts?: CallOpts) => Promise<Res>;
  close: () => Promise<void>;
  /** Reopens the same storage (a restart). */
  restart: () => Promise<void>;
}

export interface CallOpts {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  rawBody?: string | Buffer;
}

export interface Res {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  text: string;
}

export async function harness(
  opts: { policy?: Partial<Policy> | Record<string, unknown>; now?: string; persistent?: boolean; trustProxy?: boolean; config?: Partial<Config> } = {},
): Promise<Harness> {
  const clock = new ManualClock(new Date(opts.now ?? '2026-03-10T12:00:00Z'));
  let dropDb: (() => Promise<void>) | undefined;
  let tmp: string | undefined;
  let databaseUrl: string | undefined;
  // In memory, with attachment files of its own (attachmentsDir): a purge in one harness never
  // touches another's files.
  const memoryName = `h${process.pid}-${randomBytes(4).toString('hex')}`;
  let dataDir = `memory://${memoryName}`;
  if (storageKind === 'postgres') {
    const db = await scratchDatabase();
    databaseUrl = db.url;
    dropDb = db.drop;
  } else if (opts.persistent) {
    tmp = mkdtempSync(join(tmpdir(), 'liaison-'));
    dataDir = tmp;
  }
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    databaseUrl,
    // Sessions end after sessionIdleDays without use; suites that move the clock by months are not about that.
    // Sign-ups are limited per address: every harness member signs up from 127.0.0.1.
    policy: resolvePolicy({ sessionIdleDays: 36500, signupsPerHourPerAddress: 1_000_000, ...(opts.policy ?? {}) }),
    adminToken: ADMIN_TOKEN,
    logLevel: 'silent',
    trustProxy: opts.trustProxy ?? false,
    ...opts.config,
  };
  let inst = await startServer(config, { clock, listen: false });
  const h: Harness = {
    inst,
    clock,
    config,
    async call(method, url, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let payload: string | Buffer | undefined;
      if (o.rawBody !== undefined) payload = o.rawBody;
      else if (o.body !== undefined) {
        payload = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const r = await h.inst.app.inject({ method: method as never, url, headers, payload });
      let body: unknown = undefined;
      try {
        body = r.body ? JSON.parse(r.body) : undefined;
      } catch {
        body = undefined;
      }
      return { status: r.statusCode, body, headers: r.headers as Record<string, unknown>, text: r.body };
    },
    async close() {
      await h.inst.close();
      if (dropDb) await dropDb();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      if (dataDir.startsWith('memory://')) rmSync(join(tmpdir(), 'liaison-attachments', memoryName), { recursive: true, force: true });
    },
    async restart() {
      await h.inst.close();
      inst = await startServer(config, { clock, listen: false });
      h.inst = inst;
    },
  };
  return h;
}

let seq = 0;
/** Signs up a member; returns its token and member. */
export async function signUp(h: Harness, handle?: string, extra: Record<string, unknown> = {}) {
  const hd = handle ?? `m${process.pid % 1000}_${++seq}`;
  const r = await rawAnswer(h, undefined, (c) =>
    c.postAccounts({ body: { handle: hd, name: `Name ${hd}`, email: `${hd}@example.test`, password: 'correct horse battery', ...extra } }),
  );
  if (r.status !== 201) throw new Error(`signUp ${hd}: ${r.status} ${r.text}`);
  return { token: r.body.token as string, member: r.body.member as Member, handle: hd };
}

export async function admin(h: Harness, method: string, url: string, body?: unknown) {
  return h.call(method, url, { token: ADMIN_TOKEN, body });
}

/**
 * The statements `h`'s store runs from now on (SQL text), but the realtime catch-up's poll of the
 * outbox (every 2 s on PostgreSQL, whatever the requests). `clear()` starts again; `stop()` ends it.
 */
export function recordStatements(h: Harness): { readonly list: string[]; clear(): void; stop(): void } {
  const list: string[] = [];
  h.inst.store.observe((q) => {
    if (!/^select .* from "events" where "events"\."id" > \$1 order by/.test(q)) list.push(q);
  });
  return {
    list,
    clear: () => void list.splice(0),
    stop: () => h.inst.store.observe(null),
  };
}
