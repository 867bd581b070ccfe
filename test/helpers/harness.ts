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

async function onDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const withDb = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
};

/**
 * Citus does not pass CREATE DATABASE to the workers: the database is created, and given the
 * extension, on the coordinator and on every worker the coordinator knows; then the new database's
 * coordinator learns its workers. Four shards per table keep the suites quick on one machine.
 */
async function citusScratchDatabase(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `liaison_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const coord = new URL(base);
  const workers = await onDb(
    base,
    async (c) =>
      (await c.query(`select nodename, nodeport from pg_dist_node where groupid <> 0 and noderole = 'primary' order by nodeport`)).rows as {
        nodename: string;
        nodeport: number;
      }[],
  );
  const nodeUrl = (host: string, port: number) => {
    const u = new URL(base);
    u.hostname = host;
    u.port = String(port);
    return u.toString();
  };
  const nodes = [base, ...workers.map((w) => nodeUrl(w.nodename, w.nodeport))];
  for (const n of nodes) {
    await onDb(n, (c) => c.query(`create database ${name}`));
    await onDb(withDb(n, name), (c) => c.query(`create extension citus`));
  }
  const url = withDb(base, name);
  await onDb(url, async (c) => {
    await c.query(`select citus_set_coordinator_host($1, $2)`, [coord.hostname, Number(coord.port || 5432)]);
    for (const w of workers) await c.query(`select citus_add_node($1, $2)`, [w.nodename, w.nodeport]);
    await c.query(`alter database ${name} set citus.shard_count = 4`);
  });
  return {
    url,
    drop: async () => {
      for (const n of nodes) await onDb(n, (c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
    },
  };
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
