/** Starting and stopping a Liaison instance: storage, migrations, the HTTP app, graceful shutdown. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import type { Metrics } from './util/metrics.js';
import { shedAtTheDoor } from './http/pressure.js';
import type { Deps } from './services/context.js';
import { attachmentsDir } from './services/attachments.js';
import { loadGraph } from './services/graph.js';
import { Housekeeper } from './services/housekeeping.js';
import { warmReadModel } from './services/members.js';
import type { BusGroup } from './realtime/bus.js';
import { Realtime } from './realtime/index.js';
import type { HubOptions } from './realtime/stream.js';
import { openStore, type Store } from './store/db.js';
import { systemClock, type Clock } from './util/clock.js';
import { packageRoot } from './util/paths.js';

export interface Instance {
  app: Awaited<ReturnType<typeof buildApp>>;
  store: Store;
  deps: Deps;
  /** the bus, the sockets and the catch-up from storage */
  realtime: Realtime;
  /** expired idempotency keys, idle sessions, unattached uploads */
  housekeeper: Housekeeper;
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: boolean | object;
  listen?: boolean;
  /** process metrics (RSS, heap, event-loop lag, handles) in GET /metrics; `liaison serve` turns them on */
  processMetrics?: boolean;
  /** realtime tuning (tests): heartbeat, slow-consumer limit, catch-up period, a shared in-process bus */
  realtime?: { hub?: Partial<HubOptions>; pollIntervalMs?: number; group?: BusGroup; subjectPrefix?: string };
}

/**
 * Serving limits on PostgreSQL (docs/OPERATIONS.md): a statement may run 5 s, a request waits at
 * most 2 s for a pooled connection, the server ends a transaction idle for 10 s. Beyond them the
 * request answers 503 service_unavailable with Retry-After instead of hanging.
 */
export const DB_DEFAULTS = { poolSize: 10, statementTimeoutMs: 5000, connectTimeoutMs: 2000, idleInTransactionTimeoutMs: 10_000, preparedStatements: 256 };

export async function startServer(config: Config, opts: StartOptions = {}): Promise<Instance> {
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.db?.poolSize ?? DB_DEFAULTS.poolSize,
    statementTimeoutMs: config.db?.statementTimeoutMs ?? DB_DEFAULTS.statementTimeoutMs,
    connectTimeoutMs: config.db?.connectTimeoutMs ?? DB_DEFAULTS.connectTimeoutMs,
    idleInTransactionTimeoutMs: DB_DEFAULTS.idleInTransactionTimeoutMs,
    preparedStatements: config.db?.preparedStatements ?? DB_DEFAULTS.preparedStatements,
  });
  await store.migrate();
  // Lines logged before the app exists wait in `early.lines`; from then on they go to its logger.
  const early: { logger?: FastifyBaseLogger; lines: [string, object | undefined][] } = { lines: [] };
  const log = (msg: string, extra?: object) => (early.logger ? early.logger.info(extra ?? {}, msg) : early.lines.push([msg, extra]));
  // Subscribe to the bus before loading the graph, so nothing committed in between is missed.
  let realtime: Realtime;
  try {
    realtime = await Realtime.connect({
      natsUrl: config.natsUrl,
      subjectPrefix: opts.realtime?.subjectPrefix ?? (process.env.LIAISON_NATS_SUBJECT?.trim() || undefined),
      group: opts.realtime?.group,
      pollIntervalMs: opts.realtime?.pollIntervalMs,
      hub: opts.realtime?.hub,
      log,
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  // The graph index reads whole tables: no request-sized statement timeout for that.
  const { graph, lastEventId } = await store.transaction(async (tx) => {
    await tx.execute(sql`set local statement_timeout = 0`);
    await tx.execute(sql`set local idle_in_transaction_session_timeout = 0`);
    return loadGraph(tx, log);
  });
  const deps: Deps = {
    store,
    policy: config.policy,
    clock: opts.clock ?? systemClock,
    graph,
    cache: config.cache,
    // Synchronous: the local graph (read-your-writes), local sockets, then the bus.
    onCommit: (events) => realtime.onCommit(events),
  };
  await realtime.attach(deps, lastEventId);
  // The read model starts warm: the most recently active members (LIAISON_CACHE_MEMBERS at most).
  const warmStart = performance.now();
  const warmed = await warmReadModel(deps);
  log('read model: members loaded', { members: warmed, ms: Math.round(performance.now() - warmStart) });
  const housekeeper = new Housekeeper(deps, attachmentsDir(config.dataDir), undefined, log);
  const app = await buildApp({ config, deps, logger: opts.logger ?? false });
  early.logger = app.log;
  const metrics = (app as unknown as { metrics: Metrics }).metrics;
  deps.onRetry = (code) => metrics.retries.inc({ code });
  if (opts.processMetrics) metrics.enableProcessMetrics();
  metrics.watchRuntime({
    pool: () => store.poolStats(),
    busConnected: () => realtime.busConnected,
    events: () => realtime.stats,
    streamBuffered: () => realtime.hub.bufferedBytes(),
  });
  for (const [m, e] of early.lines) app.log.info(e ?? {}, m);
  log('realtime: bus ready', { bus: realtime.busKind, lastEventId });
  const webRoot = join(packageRoot(), 'dist', 'web');
  if (existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: 'index.html' });
  }
  let url = '';
  shedAtTheDoor(app.server, metrics, config.maxInFlight);
  if (opts.listen !== false) url = await app.listen({ port: config.port, host: config.host });
  housekeeper.start();
  let closed = false;
  return {
    app,
    store,
    deps,
    realtime,
    housekeeper,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await housekeeper.stop();
      // Sockets first, with 1012 "service restart" (clients reconnect elsewhere with ?since=),
      // then in-flight requests, then the bus (their events still go out), then storage.
      await realtime.close();
      await app.close();
      await realtime.closeBus();
      await store.close();
    },
  };
}
