/**
 * One data layer, two drivers: embedded PGlite (default, in LIAISON_DATA_DIR) or a PostgreSQL
 * server (DATABASE_URL) through node-postgres. Both expose the same Drizzle PgDatabase.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { packageRoot } from '../util/paths.js';
import { storageUnavailableReason } from './faults.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, any>;
/** Anything that runs queries: the database or a transaction. */
export type Runner = Db | Tx;

export interface Store {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  migrate(): Promise<void>;
  /** Whether storage answers `select 1` within `timeoutMs` (default 1 s). */
  ping(timeoutMs?: number): Promise<boolean>;
  /**
   * One transaction. Unlike Drizzle's `db.transaction` on a pool, a connection that fails at BEGIN
   * (the server went away while it sat idle in the pool) is released, and one that broke is
   * destroyed rather than pooled: outages leak no connection (test/faults/postgres-outage.test.ts).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Connections of the pool (PostgreSQL): open, idle, and requests waiting for one. */
  poolStats(): { total: number; idle: number; waiting: number } | undefined;
  /**
   * Observes the SQL text of every statement run through this store (null stops): tests count the
   * queries of a request (test/security/timing.test.ts). One call per statement, nothing else.
   */
  observe(fn: ((sql: string) => void) | null): void;
  close(): Promise<void>;
}

const MIGRATIONS = join(packageRoot(), 'drizzle');
/** Failures after which the connection itself is fine (the transaction was rolled back). */
const HEALTHY_AFTER = new Set(['57014', '55P03', '40001', '40P01', 'pool_timeout']);
/** A Drizzle instance per pooled connection (built once: the pool reuses its connections). */
const drizzleByClient = new WeakMap<pg.PoolClient, Db>();
const MIGRATION_LOCK = 7_424_201; // advisory lock id: one migrator at a time across instances

export interface StoreOptions {
  /** postgres://… ; empty or undefined selects embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data folder; 'memory://' keeps it in memory. */
  dataDir: string;
  poolSize?: number;
  /**
   * Serving limits (PostgreSQL; `liaison serve` sets them, the CLI's bulk verbs do not): a statement
   * running longer is cancelled (57014), a request waiting longer for a pooled connection gives up,
   * a transaction left idle longer is ended by the server. Each failure answers 503 (src/http/errors.ts).
   */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPglite(opts.dataDir);
}

/** `p`, or false once `ms` have passed. */
function within(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function openPglite(dataDir: string): Promise<Store> {
  let location = dataDir;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    location = join(dataDir, 'pgdata');
  }
  // pg_trgm and fuzzystrmatch back search (DOMAIN.md 10); PGlite ships them as contrib extensions.
  const client = await PGlite.create(location, { extensions: { pg_trgm, fuzzystrmatch } });
  let observer: ((sql: string) => void) | null = null;
  const logger = { logQuery: (q: string) => observer?.(q) };
  const db = drizzlePglite(client, { schema, logger }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    async migrate() {
      await migratePglite(db as never, { migrationsFolder: MIGRATIONS });
    },
    async ping(timeoutMs = 1000) {
      return within(
        client.query('select 1').then(
          () => true,
          () => false,
        ),
        timeoutMs,
      );
    },
    transaction: (fn) => db.transaction(fn as never) as never,
    poolStats: () => undefined,
    observe: (fn) => {
      observer = fn;
    },
    async close() {
      if (client.closed) return;
      await client.close();
    },
  };
}

async function openPostgres(url: string, opts: StoreOptions): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 0,
    statement_timeout: opts.statementTimeoutMs ?? 0,
    idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 0,
    keepAlive: true,
  });
  pool.on('error', () => {
    /* an idle client died (server restart); the pool replaces it */
  });
  // A client checked out between two queries has no pool listener: without this one, a server
  // going away at that moment (pg_ctl stop, a restart) would be an unhandled 'error' event that
  // kills the process. The client is then not queryable; its next query fails, and on release the
  // pool drops it (test/faults/postgres-outage.test.ts).
  pool.on('connect', (client) => {
    client.on('error', () => {
      /* reported to whoever uses the client next */
    });
  });
  let observer: ((sql: string) => void) | null = null;
  const logger = { logQuery: (q: string) => observer?.(q) };
  const db = drizzlePg(pool, { schema, logger }) as unknown as Db;
  return {
    kind: 'postgres',
    db,
    async migrate() {
      const client = await pool.connect();
      try {
        // a migration may take longer than a request is allowed to (and waits for another instance's)
        await client.query('set statement_timeout = 0');
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          await migratePg(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      } finally {
        client.release(true); // not back to the pool: it holds the session setting above
      }
    },
    async ping(timeoutMs = 1000) {
      return within(
        db.execute(sql`select 1`).then(
          () => true,
          () => false,
        ),
        timeoutMs,
      );
    },
    async transaction(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        let onClient = drizzleByClient.get(client);
        if (!onClient) drizzleByClient.set(client, (onClient = drizzlePg(client, { schema, logger }) as unknown as Db));
        return await onClient.transaction(fn as never);
      } catch (e) {
        // a cancelled statement or a serialization failure leaves the connection sound
        const reason = storageUnavailableReason(e);
        broken = reason !== undefined && !HEALTHY_AFTER.has(reason);
        throw e;
      } finally {
        client.release(broken || (client as unknown as { _queryable?: boolean })._queryable === false);
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    observe: (fn) => {
      observer = fn;
    },
    async close() {
      if (pool.ended) return;
      await pool.end();
    },
  };
}

/** The rows of a raw `db.execute(sql…)` result, whichever driver ran it (both answer `{ rows }`). */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}
