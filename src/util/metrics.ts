/** Prometheus metrics (prom-client): request counts and latency by route and status, plus domain counters. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  /** Requests by method, route and status, and their latency: tallied per request, read at scrape time (RequestTallies). */
  private readonly http = new RequestTallies(this.registry);
  readonly decisions = new Counter({
    name: 'liaison_decisions_total',
    help: 'Policy decisions by action and reason',
    labelNames: ['action', 'reason'] as const,
    registers: [this.registry],
  });
  readonly messagesSent = new Counter({
    name: 'liaison_messages_sent_total',
    help: 'Messages sent by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  readonly openSockets = new Gauge({
    name: 'liaison_open_sockets',
    help: 'Open WebSocket connections',
    registers: [this.registry],
  });

  readonly storageUnavailable = new Counter({
    name: 'liaison_storage_unavailable_total',
    help: 'Requests answered 503 because storage was unreachable or busy, by reason (SQLSTATE, socket errno, pool_timeout, connection)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'liaison_transaction_retries_total',
    help: 'Units of work run again after PostgreSQL refused them, by SQLSTATE (40001 serialization failure, 40P01 deadlock)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly diskFull = new Counter({
    name: 'liaison_attachment_disk_full_total',
    help: 'Uploads answered 507 because the attachment storage was full',
    registers: [this.registry],
  });
  readonly shed = new Counter({
    name: 'liaison_load_shed_total',
    help: 'Requests answered 503 at once because the instance had too many in flight (LIAISON_MAX_IN_FLIGHT)',
    registers: [this.registry],
  });
  /** HTTP requests being handled now: kept by the door (src/http/pressure.ts), read at scrape time. */
  inFlightNow = 0;
  readonly inFlight = new Gauge({
    name: 'liaison_http_in_flight',
    help: 'HTTP requests being handled now',
    registers: [this.registry],
    collect: () => {
      this.inFlight.set(this.inFlightNow);
    },
  });
  readonly streamClosed = new Counter({
    name: 'liaison_stream_closed_total',
    help: 'Stream sockets closed by the server, by close code (4008 slow consumer, 1012 restart, 4003 account inactive, 1011 replay failed; heartbeat: terminated for not answering pings)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private processMetrics = false;

  constructor(defaults = false) {
    if (defaults) this.enableProcessMetrics();
  }

  /** prom-client's process metrics: RSS, heap, event-loop lag percentiles, open handles, GC (once per registry). */
  enableProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  /** Gauges and counters read at scrape time from the instance's storage pool and realtime core. */
  watchRuntime(src: {
    pool: () => { total: number; idle: number; waiting: number } | undefined;
    busConnected: () => boolean;
    events: () => { local: number; remote: number; caughtUp: number; duplicates: number; catchUpFailures: number };
    streamBuffered?: () => number;
  }): void {
    new Gauge({
      name: 'liaison_stream_buffered_bytes',
      help: 'Bytes queued for stream sockets and not yet sent (a socket past 1 MiB is closed with 4008)',
      registers: [this.registry],
      collect() {
        this.set(src.streamBuffered?.() ?? 0);
      },
    });
    new Gauge({
      name: 'liaison_db_pool_connections',
      help: 'PostgreSQL pool: connections open (total), idle, and requests waiting for one (waiting)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = src.pool();
        if (!p) return;
        this.set({ state: 'total' }, p.total);
        this.set({ state: 'idle' }, p.idle);
        this.set({ state: 'waiting' }, p.waiting);
      },
    });
    new Gauge({
      name: 'liaison_bus_connected',
      help: '1 while the bus (NATS) is connected; 0 while it is away (delivery then runs on the catch-up from storage)',
      registers: [this.registry],
      collect() {
        this.set(src.busConnected() ? 1 : 0);
      },
    });
    new Counter({
      name: 'liaison_events_applied_total',
      help: 'Committed events applied by this instance, by path: local (its own commits), bus (from other instances over NATS), catchup (read from storage)',
      labelNames: ['path'] as const,
      registers: [this.registry],
      collect() {
        const e = src.events();
        this.reset();
        this.inc({ path: 'local' }, e.local);
        this.inc({ path: 'bus' }, e.remote - e.caughtUp);
        this.inc({ path: 'catchup' }, e.caughtUp);
      },
    });
    new Counter({
      name: 'liaison_events_duplicate_total',
      help: 'Events that arrived twice (bus and catch-up) and were dropped',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(src.events().duplicates);
      },
    });
    new Counter({
      name: 'liaison_catchup_failures_total',
      help: 'Catch-ups from storage that failed (storage unreachable); they are retried every 2 s',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(src.events().catchUpFailures);
      },
    });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.http.observe(method, route, status, seconds);
  }
}

/** The latency histogram's buckets, in seconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Tally {
  labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** observations per bucket (not cumulative); the last is above every bound (+Inf) */
  buckets: number[];
}

/**
 * liaison_http_requests_total and liaison_http_request_duration_seconds, as prom-client would expose
 * them (a counter and a histogram by method, route and status), but tallied per request in plain
 * numbers behind three small Map lookups: prom-client validates and hashes the labels on every inc
 * and observe (twice a request, a few percent of a profile view's CPU: bench/RESULTS.md "Profile
 * views"). The keys are bounded by the routes × methods × statuses the server answers (Node's parser
 * refuses unknown methods; unknown paths share the route 'unknown').
 */
class RequestTallies {
  /** route → method → status → tally: the route and method strings are the router's own (hashed once), no key is built */
  private readonly byRoute = new Map<string, Map<string, Map<number, Tally>>>();

  constructor(registry: Registry) {
    const tallies = () => [...this.byRoute.values()].flatMap((byMethod) => [...byMethod.values()].flatMap((byStatus) => [...byStatus.values()]));
    const counter = {
      name: 'liaison_http_requests_total',
      help: 'HTTP requests by method, route and status',
      type: 'counter',
      get: () => ({
        name: counter.name,
        help: counter.help,
        type: counter.type,
        aggregator: 'sum',
        values: tallies().map((t) => ({ labels: t.labels, value: t.count })),
      }),
      reset: () => this.byRoute.clear(),
    };
    const name = 'liaison_http_request_duration_seconds';
    const histogram = {
      name,
      help: 'HTTP request latency by method, route and status',
      type: 'histogram',
      get: () => ({
        name,
        help: histogram.help,
        type: histogram.type,
        aggregator: 'sum',
        values: tallies().flatMap((t) => {
          let acc = 0;
          const bounds = [...LATENCY_BUCKETS, '+Inf' as const].map((le, i) => {
            acc += t.buckets[i];
            return { labels: { le, ...t.labels }, value: acc, metricName: `${name}_bucket` };
          });
          return [...bounds, { labels: t.labels, value: t.sum, metricName: `${name}_sum` }, { labels: t.labels, value: t.count, metricName: `${name}_count` }];
        }),
      }),
      reset: () => this.byRoute.clear(),
    };
    registry.registerMetric(counter as never);
    registry.registerMetric(histogram as never);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map<string, Map<number, Tally>>()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map<number, Tally>()));
    let t = byStatus.get(status);
    if (!t) {
      t = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0) };
      byStatus.set(status, t);
    }
    t.count++;
    t.sum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    t.buckets[i]++;
  }
}
