/**
 * One data layer, two drivers: embedded PGlite (default, in LIAISON_DATA_DIR) or a PostgreSQL
 * server (DATABASE_URL) through node-postgres. Both expose the same Drizzle PgDatabase.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { namingPglite } from './pglite-named.js';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { sql, type ExtractTablesWithRelations, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { buildFlat } from './flatten.js';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { packageRoot } from '../util/paths.js';
import { CopyIn } from './copy.js';
import { statementNames } from './prepared.js';
import { freshPipe, pipeliningClient, roundTrips, type PipeClient, type PipeState } from './pipeline.js';
import { applyDistribution, type DistributionReport } from './distribution.js';
import { storageUnavailableReason } from './faults.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything that runs queries: the database or a transaction. */
export type Runner = Db | Tx;

export interface Store {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Applies the migrations, then (on a database with the citus extension) the distribution plan. */
  migrate(): Promise<DistributionReport>;
  /**
   * Whether the tables are distributed (Citus), as migrate() found: a statement may then join tables
   * of different co-location groups only through values known beforehand (docs/SCALING.md).
   */
  readonly distributed: boolean;
  /** Whether storage answers `select 1` within `timeoutMs` (default 1 s). */
  ping(timeoutMs?: number): Promise<boolean>;
  /**
   * One transaction. Unlike Drizzle's `db.transaction` on a pool, a connection that fails at BEGIN
   * (the server went away while it sat idle in the pool) is released, and one that broke is
   * destroyed rather than pooled: outages leak no connection (test/faults/postgres-outage.test.ts).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * One transaction on one connection for bulk loads (seed, import): raw statements and COPY,
   * without the serving limits (no statement timeout). Rolled back if `fn` throws.
   */
  bulk<T>(fn: (s: BulkSession) => Promise<T>): Promise<T>;
  /** Connections of the pool (PostgreSQL): open, idle, and requests waiting for one. */
  poolStats(): { total: number; idle: number; waiting: number } | undefined;
  /**
   * Observes the SQL text of every statement run through this store (null stops): tests count the
   * queries of a request (test/security/timing.test.ts). One call per statement, nothing else.
   */
  observe(fn: ((sql: string, params: unknown[]) => void) | null): void;
  close(): Promise<void>;
}

/** The statements of a bulk load (Store.bulk): parameters travel as text, rows as COPY's text format (copy.ts). */
export interface BulkSession {
  readonly kind: 'pglite' | 'postgres';
  /** One statement, or without `params` several separated by semicolons (the last one's rows). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * `COPY table (columns) FROM STDIN` (PostgreSQL) or `FROM '/dev/blob'` (PGlite), the rows being
   * the concatenation of `chunks` (each ending with a newline); `options` e.g. `freeze`. Returns the
   * number of rows copied.
   */
  copyIn(table: string, columns: readonly string[], chunks: Iterable<string>, options?: { freeze?: boolean }): Promise<number>;
}

function copyStatement(table: string, columns: readonly string[], source: string, options?: { freeze?: boolean }): string {
  return `copy ${table} (${columns.join(', ')}) from ${source}${options?.freeze ? ' with (freeze)' : ''}`;
}

/** PGlite reads a COPY's rows from one Blob held in memory: a load goes in blobs of about this size. */
const PGLITE_COPY_BYTES = 32 << 20;

/** A pooled client whose socket pg has given up on (it must be destroyed, not pooled again). */
const unqueryable = (client: pg.PoolClient) => (client as unknown as { _queryable?: boolean })._queryable === false;

const MIGRATIONS = join(packageRoot(), 'drizzle');
/** Failures after which the connection itself is fine (the transaction was rolled back). */
const HEALTHY_AFTER = new Set(['57014', '55P03', '40001', '40P01', 'pool_timeout']);
/** A Drizzle instance per pooled connection (built once: the pool reuses its connections). */
const drizzleByClient = new WeakMap<pg.PoolClient, Db>();
/** A PostgreSQL transaction's pipelining state (src/store/pipeline.ts), by the transaction handed to the caller. */
const pipes = new WeakMap<object, { pipe: PipeState; log: (sql: string, params: unknown[]) => void }>();

/**
 * The transaction's next statement is its last: on PostgreSQL its COMMIT goes with it, and that
 * statement's promise settles once the transaction has committed (src/store/pipeline.ts). Nothing
 * may run in `tx` after it. PGlite (in the process: no round trip to save) commits as before.
 */
export function commitWithNext(tx: Tx): void {
  const p = pipes.get(tx);
  if (p) p.pipe.commitNext = true;
}
/**
 * Runs `query` in `tx` — on PostgreSQL not now but with the transaction's next statement, in the
 * same round trip (src/store/pipeline.ts `held`): for a statement whose answer the caller does not
 * read (a lock), followed by one it does. Its error, if any, is the next statement's; a COMMIT
 * with one still held is refused (nothing commits), a rollback drops it. Its parameters must be
 * numbers, strings, booleans or null. PGlite (no round trip to save) runs it now.
 */
export async function runWithNext(tx: Tx, query: SQL): Promise<void> {
  const p = pipes.get(tx);
  if (!p) {
    await tx.execute(query);
    return;
  }
  const { sql: text, params } = (tx as unknown as { dialect: { sqlToQuery(q: SQL): { sql: string; params: unknown[] } } }).dialect.sqlToQuery(query);
  const values = params.map((v) => {
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
    throw new Error(`a statement held for the next takes numbers, strings, booleans or null: ${text.slice(0, 60)}`);
  });
  p.log(text, values); // logged as it is handed over, as drizzle logs the others
  p.pipe.first ??= text;
  p.pipe.held.push({ text, values });
}
const MIGRATION_LOCK = 7_424_201; // advisory lock id: one migrator at a time across instances
/**
 * Ids are bigint (int8): both drivers answer them as JS numbers (ids stay far below 2^53), in
 * Drizzle's typed results and in raw `db.execute` rows alike; count(*) is an int8 too. PGlite does
 * so by default; node-postgres is told here, for the process (Drizzle's node-postgres session asks
 * the module's parsers for every type it does not handle itself, so a pool-level setting is not seen).
 */
const INT8 = 20;
const INT8_ARRAY = 1016;
const int8Array = pg.types.getTypeParser(INT8_ARRAY as Parameters<typeof pg.types.getTypeParser>[0], 'text') as (v: string) => (string | null)[];
pg.types.setTypeParser(INT8, (v: string) => Number(v));
pg.types.setTypeParser(INT8_ARRAY as Parameters<typeof pg.types.setTypeParser>[0], (v: string) => int8Array(v).map((x) => (x === null ? null : Number(x))));

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
  /** PostgreSQL: how many distinct statement texts each connection may keep prepared (src/store/prepared.ts); 0 or unset: none. */
  preparedStatements?: number;
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPglite(opts.dataDir, opts.preparedStatements);
}

/** `p`, or false once `ms` have passed. */
function within(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * An in-memory store may start from an empty cluster dumped once (LIAISON_PGLITE_TEMPLATE, set by
 * the test run: test/global-setup.ts) instead of running initdb again, about 1.3 s of CPU each.
 * Only for `memory://`: a store on disk is made by initdb as always.
 */
function emptyCluster(dataDir: string): Blob | undefined {
  const file = process.env.LIAISON_PGLITE_TEMPLATE;
  return file && dataDir.startsWith('memory://') ? new Blob([readFileSync(file)]) : undefined;
}

async function openPglite(dataDir: string, preparedStatements = 0): Promise<Store> {
  let location = dataDir;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    location = join(dataDir, 'pgdata');
  }
  // pg_trgm and fuzzystrmatch back search (DOMAIN.md 10); PGlite ships them as contrib extensions.
  const client = await PGlite.create(location, { extensions: { pg_trgm, fuzzystrmatch }, loadDataDir: emptyCluster(dataDir) });
  let observer: ((sql: string, params: unknown[]) => void) | null = null;
  const logger = { logQuery: (q: string, params: unknown[]) => observer?.(q, params) };
  // repeated statements in transactions prepared once (src/store/pglite-named.ts)
  const named = namingPglite(client, preparedStatements ? statementNames(preparedStatements) : undefined);
  const db = buildFlat(drizzlePglite({ client: named as unknown as PGlite, schema, logger })) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    distributed: false,
    async migrate() {
      await migratePglite(db as never, { migrationsFolder: MIGRATIONS });
      // statements prepared before the schema changed would be planned for the old one
      await named.forget();
      return { citus: false, applied: [] };
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
    transaction: (fn) => db.transaction(fn),
    bulk: (fn) =>
      client.transaction(async (tx) =>
        fn({
          kind: 'pglite',
          async query<T>(text: string, params?: unknown[]) {
            if (params) return (await tx.query<T>(text, params)).rows;
            // several statements in one (the simple protocol): the last one's rows
            return ((await tx.exec(text)).at(-1)?.rows ?? []) as T[];
          },
          async copyIn(table, columns, chunks, options) {
            const text = copyStatement(table, columns, "'/dev/blob'", options);
            let rows = 0;
            let parts: string[] = [];
            let size = 0;
            const flush = async () => {
              if (size === 0) return;
              const blob = new Blob(parts);
              parts = [];
              size = 0;
              rows += (await tx.query(text, [], { blob })).affectedRows ?? 0;
            };
            for (const chunk of chunks) {
              parts.push(chunk);
              size += chunk.length;
              if (size >= PGLITE_COPY_BYTES) await flush();
            }
            await flush();
            return rows;
          },
        }),
      ),
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

function openPostgres(url: string, opts: StoreOptions): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 0,
    statement_timeout: opts.statementTimeoutMs ?? 0,
    idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 0,
    keepAlive: true,
    Client: pipeliningClient(opts.preparedStatements ? statementNames(opts.preparedStatements) : undefined),
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
  let observer: ((sql: string, params: unknown[]) => void) | null = null;
  const logger = { logQuery: (q: string, params: unknown[]) => observer?.(q, params) };
  const db = buildFlat(drizzlePg(pool, { schema, logger })) as unknown as Db;
  let distributed = false;
  return Promise.resolve({
    kind: 'postgres',
    db,
    get distributed() {
      return distributed;
    },
    async migrate() {
      const client = await pool.connect();
      try {
        // a migration may take longer than a request is allowed to (and waits for another instance's)
        await client.query('set statement_timeout = 0');
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          await migratePg(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS });
          // Citus: place the tables by the plan (src/store/distribution.ts); nothing otherwise.
          const report = await applyDistribution(async (text, params) => (await client.query<Record<string, unknown>>(text, params)).rows);
          distributed = report.citus;
          return report;
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
      const pipe = freshPipe();
      let broken = false;
      try {
        let onClient = drizzleByClient.get(client);
        if (!onClient) drizzleByClient.set(client, (onClient = buildFlat(drizzlePg(client, { schema, logger })) as unknown as Db));
        (client as unknown as PipeClient).pipe = pipe;
        return await onClient.transaction(async (tx) => {
          pipes.set(tx, { pipe, log: (q, params) => logger.logQuery(q, params) });
          return fn(tx);
        });
      } catch (e) {
        // a cancelled statement or a serialization failure leaves the connection sound
        const reason = storageUnavailableReason(e);
        broken = reason !== undefined && !HEALTHY_AFTER.has(reason);
        throw e;
      } finally {
        (client as unknown as PipeClient).pipe = null;
        roundTrips.transactions?.push({ first: pipe.first ?? '', trips: pipe.trips });
        client.release(broken || unqueryable(client));
      }
    },
    async bulk(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('begin');
        await client.query('set local statement_timeout = 0');
        await client.query('set local idle_in_transaction_session_timeout = 0');
        try {
          const result = await fn({
            kind: 'postgres',
            async query<T>(text: string, params?: unknown[]) {
              const r = (await client.query(text, params)) as pg.QueryResult | pg.QueryResult[];
              // several statements in one (the simple protocol): the last one's rows
              const last: pg.QueryResult | undefined = Array.isArray(r) ? r[r.length - 1] : r;
              return (last?.rows ?? []) as T[];
            },
            async copyIn(table, columns, chunks, options) {
              const copy = new CopyIn(copyStatement(table, columns, 'stdin', options), chunks);
              void client.query(copy as never);
              return copy.done;
            },
          });
          await client.query('commit');
          return result;
        } catch (e) {
          await client.query('rollback').catch(() => {
            broken = true;
          });
          throw e;
        }
      } catch (e) {
        if (storageUnavailableReason(e) !== undefined) broken = true;
        throw e;
      } finally {
        client.release(broken || unqueryable(client));
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
  });
}

/**
 * A raw statement's rows, whichever driver ran it: the one place a raw result is read. `T` names
 * the columns the statement selects (values as the driver returns them: check what you rely on).
 */
export async function selectRows<T = Record<string, unknown>>(db: Runner, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return rowsOf(result) as T[];
}

/** The rows of a raw `db.execute(sql…)` result, whichever driver ran it (both answer `{ rows }`). */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  return (result as { rows?: Record<string, unknown>[] }).rows ?? [];
}

/** A timestamp in a raw row: a Date, or the text or number some drivers answer; null when absent. */
export function rowDate(v: unknown): Date | null {
  return v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : null;
}

/** A timestamp in a raw row's NOT NULL column. */
export function rowDateOf(v: unknown): Date {
  const d = rowDate(v);
  if (!d) throw new Error('a NOT NULL timestamp column answered no value');
  return d;
}
