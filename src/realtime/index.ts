/**
 * The realtime core of one instance: the bus, the graph index and the read model kept fresh by it, the sockets, and
 * the catch-up from storage that makes the bus a fast path rather than the truth.
 *
 * Start-up without a window: subscribe to the bus first (messages are buffered), load the graph
 * from storage, then apply every buffered event (applying is idempotent, and the buffer holds only
 * what committed after the subscription, in commit order per publisher), then go live.
 *
 * Catch-up: events carry their outbox id; the tracker de-duplicates and remembers holes (ids not
 * yet seen below the highest applied one, because identity ids commit out of order). On a bus
 * reconnect, and every `pollIntervalMs` on PostgreSQL, the instance reads from storage the events
 * above its highest id and those filling its holes, and applies the new ones.
 */
import { randomUUID } from 'node:crypto';
import { asc, gt, inArray } from 'drizzle-orm';
import type { BusEvent, Deps } from '../services/context.js';
import { applyToGraph } from '../services/graph.js';
import { cacheOf } from '../services/cache.js';
import { events } from '../store/schema.js';
import { createBus, type Bus, type BusGroup, type BusMessage, type Ephemeral } from './bus.js';
import { StreamHub, type HubOptions } from './stream.js';
import { rowToEvent } from './frames.js';
import { EventTracker } from './tracker.js';

export interface RealtimeOptions {
  natsUrl?: string;
  /** NATS subject prefix (LIAISON_NATS_SUBJECT, default "liaison"): instances sharing it share events */
  subjectPrefix?: string;
  /** in-process bus shared by several instances of one process (tests) */
  group?: BusGroup;
  /** catch-up from storage every this many ms; 0 = only on bus reconnect. Default: 2000 on PostgreSQL, 0 on PGlite */
  pollIntervalMs?: number;
  hub?: Partial<HubOptions>;
  log?: (msg: string, extra?: object) => void;
}

const registry = new WeakMap<Deps, Realtime>();

/** The realtime core serving these deps (set by startServer). */
export function realtimeFor(deps: Deps): Realtime | undefined {
  return registry.get(deps);
}

export class Realtime {
  readonly origin = randomUUID();
  private bus!: Bus;
  private buffer: BusMessage[] | null = [];
  private deps!: Deps;
  tracker!: EventTracker;
  hub!: StreamHub;
  private timer: NodeJS.Timeout | null = null;
  private catching: Promise<void> | null = null;
  private again = false;
  private failing = false;
  private closed = false;
  /** counters for tests and the docs */
  readonly stats = { local: 0, remote: 0, duplicates: 0, caughtUp: 0, catchUpFailures: 0 };

  private constructor(private readonly opts: RealtimeOptions) {}

  /** Step 1: connect and subscribe to the bus (buffering) before the graph is loaded. */
  static async connect(opts: RealtimeOptions): Promise<Realtime> {
    const rt = new Realtime(opts);
    rt.bus = await createBus({ natsUrl: opts.natsUrl, subjectPrefix: opts.subjectPrefix, origin: rt.origin, group: opts.group, log: opts.log });
    rt.bus.subscribe((m) => (rt.buffer ? rt.buffer.push(m) : rt.onBus(m)));
    rt.bus.onReconnect(() => void rt.catchUp().catch(() => undefined));
    return rt;
  }

  get busKind(): Bus['kind'] {
    return this.bus.kind;
  }

  get busConnected(): boolean {
    return this.bus.connected;
  }

  /** Step 2: with the graph loaded as of `lastEventId`, apply what the bus brought meanwhile and go live. */
  async attach(deps: Deps, lastEventId: number): Promise<void> {
    this.deps = deps;
    this.tracker = new EventTracker(lastEventId);
    // Ids just below the load point that were not committed yet when the index was loaded.
    const lo = Math.max(0, lastEventId - 1000);
    const present = await deps.store.db.select({ id: events.id }).from(events).where(gt(events.id, lo)).orderBy(asc(events.id));
    const have = new Set(present.map((r) => r.id));
    const holes: number[] = [];
    for (let id = lo + 1; id <= lastEventId; id++) if (!have.has(id)) holes.push(id);
    this.tracker.addGaps(holes);
    this.hub = new StreamHub(
      deps,
      () => this.tracker.high,
      (e) => this.emitEphemeral(e),
      this.opts.hub,
      this.opts.log,
      (id) => this.tracker.isNew(id),
    );
    registry.set(deps, this);
    const buffered = this.buffer ?? [];
    this.buffer = null;
    for (const m of buffered) {
      for (const ev of m.events ?? []) {
        applyToGraph(deps.graph, ev); // idempotent; committed after the subscription
        this.tracker.mark(ev.id);
      }
      cacheOf(deps).onEvents(m.events ?? []);
    }
    const poll = this.opts.pollIntervalMs ?? (deps.store.kind === 'postgres' ? 2000 : 0);
    if (poll > 0) {
      this.timer = setInterval(() => void this.catchUp().catch(() => undefined), poll);
      this.timer.unref();
    }
  }

  /** deps.onCommit: this instance's committed events. Synchronous: graph first (read-your-writes), sockets, then the bus. */
  onCommit(evs: BusEvent[]): void {
    try {
      const fresh: BusEvent[] = [];
      for (const ev of evs) {
        if (this.tracker.mark(ev.id)) {
          applyToGraph(this.deps.graph, ev);
          fresh.push(ev);
        }
      }
      this.stats.local += fresh.length;
      if (fresh.length) this.hub.deliver(fresh);
      this.bus.publish({ events: evs });
    } catch (e) {
      this.opts.log?.('realtime: onCommit failed', { err: String(e) });
    }
  }

  private onBus(m: BusMessage): void {
    if (this.closed) return;
    if (m.events?.length) this.applyRemote(m.events);
    if (m.ephemeral) this.hub.deliverEphemeral(m.ephemeral);
  }

  private applyRemote(evs: BusEvent[]): void {
    const fresh: BusEvent[] = [];
    for (const ev of evs) {
      if (this.tracker.mark(ev.id)) {
        applyToGraph(this.deps.graph, ev);
        fresh.push(ev);
      } else this.stats.duplicates++;
    }
    this.stats.remote += fresh.length;
    // Other instances' commits: the read model forgets what they changed (its own: src/services/uow.ts).
    if (fresh.length) cacheOf(this.deps).onEvents(fresh);
    if (fresh.length) this.hub.deliver(fresh);
  }

  private emitEphemeral(e: Ephemeral): void {
    this.hub.deliverEphemeral(e);
    this.bus.publish({ ephemeral: e });
  }

  /** Reads from storage what the bus did not bring (above the highest id, and the holes below it). */
  catchUp(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.catching) {
      this.again = true;
      return this.catching;
    }
    this.catching = (async () => {
      try {
        do {
          this.again = false;
          await this.catchUpOnce();
        } while (this.again && !this.closed);
        if (this.failing) {
          this.failing = false;
          this.opts.log?.('realtime: catch-up from storage works again');
        }
      } catch (e) {
        this.stats.catchUpFailures++;
        // logged once per outage, not every 2 s; retried by the timer (and on the next bus reconnect)
        if (!this.failing) this.opts.log?.('realtime: catch-up failed (storage unreachable?); retrying every poll', { err: String(e) });
        this.failing = true;
        throw e;
      } finally {
        this.catching = null;
      }
    })();
    return this.catching;
  }

  private async catchUpOnce(): Promise<void> {
    const db = this.deps.store.db;
    const found: BusEvent[] = [];
    const PAGE = 1000;
    let from = this.tracker.high;
    for (let i = 0; i < 50 && !this.closed; i++) {
      const rows = await db.select().from(events).where(gt(events.id, from)).orderBy(asc(events.id)).limit(PAGE);
      for (const r of rows) found.push(rowToEvent(r));
      if (rows.length < PAGE) break;
      from = rows[rows.length - 1].id;
    }
    const holes = this.tracker.openGaps();
    for (let i = 0; i < holes.length && !this.closed; i += PAGE) {
      const rows = await db
        .select()
        .from(events)
        .where(inArray(events.id, holes.slice(i, i + PAGE)));
      for (const r of rows) found.push(rowToEvent(r));
    }
    if (this.closed || found.length === 0) return;
    found.sort((a, b) => a.id - b.id);
    const before = this.stats.remote;
    this.applyRemote(found);
    this.stats.caughtUp += this.stats.remote - before;
  }

  /** Stops catching up, drains the sockets (1012), closes the bus. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.hub?.drain();
    this.closed = true;
    await this.catching?.catch(() => undefined);
  }

  /** After the HTTP server closed: the bus goes last (in-flight requests may still publish). */
  async closeBus(): Promise<void> {
    this.closed = true;
    await this.bus.close();
  }
}
