/**
 * The bus between instances: committed outbox events (graph changes and socket events alike) and
 * ephemeral signals (typing). Two implementations behind one interface:
 * - InProcessBus: one instance (or several in one process sharing a BusGroup, for tests);
 * - NatsBus: several processes through a NATS server (LIAISON_NATS_URL), subject `<prefix>.events`.
 * The bus is the fast path only: PostgreSQL's `events` table is the truth, and instances catch up
 * from it after a bus reconnect and periodically (see realtime/index.ts).
 */
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { BusEvent } from '../services/context.js';

/** A signal that is delivered to sockets but never stored (typing). */
export interface Ephemeral {
  type: 'typing';
  /** the members (or pages) whose sockets get it */
  memberIds: number[];
  payload: Record<string, unknown>;
}

export interface BusMessage {
  /** the instance that published it (an instance ignores its own messages) */
  origin: string;
  events?: BusEvent[];
  ephemeral?: Ephemeral;
  /** publish time (ms since the epoch, sub-millisecond precision) for latency measurements */
  ts?: number;
}

export type BusHandler = (msg: BusMessage) => void;

export interface Bus {
  readonly kind: 'in-process' | 'nats';
  /** This instance's id on the bus. */
  readonly origin: string;
  /** Fire and forget: never throws, never waits. */
  publish(msg: Omit<BusMessage, 'origin' | 'ts'>): void;
  /** Messages of the other instances. */
  subscribe(handler: BusHandler): void;
  /** Called after the bus reconnects (messages may have been lost while it was away). */
  onReconnect(cb: () => void): void;
  /** Whether messages flow now (false while NATS is away). */
  readonly connected: boolean;
  close(): Promise<void>;
}

export const wallClockMs = () => performance.timeOrigin + performance.now();

/** Instances of one process that share an in-process bus. */
export class BusGroup {
  readonly members = new Set<InProcessBus>();
}

export class InProcessBus implements Bus {
  readonly kind = 'in-process' as const;
  private handlers: BusHandler[] = [];
  private closed = false;
  get connected(): boolean {
    return !this.closed;
  }

  constructor(
    readonly origin: string,
    private readonly group: BusGroup = new BusGroup(),
  ) {
    group.members.add(this);
  }

  publish(msg: Omit<BusMessage, 'origin' | 'ts'>): void {
    if (this.closed || this.group.members.size < 2) return; // alone: local delivery already happened
    const full: BusMessage = { ...msg, origin: this.origin, ts: wallClockMs() };
    for (const other of this.group.members) {
      if (other === this) continue;
      queueMicrotask(() => other.receive(full));
    }
  }

  private receive(msg: BusMessage): void {
    if (this.closed) return;
    for (const h of this.handlers) h(msg);
  }

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  onReconnect(): void {
    /* never disconnects */
  }

  close(): Promise<void> {
    this.closed = true;
    this.group.members.delete(this);
    return Promise.resolve();
  }
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  private handlers: BusHandler[] = [];
  private reconnects: (() => void)[] = [];
  private sub: Subscription;
  private closed = false;
  connected = true;

  private constructor(
    private readonly nc: NatsConnection,
    readonly subject: string,
    readonly origin: string,
    private readonly log?: (msg: string, extra?: object) => void,
  ) {
    this.sub = nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) {
          this.log?.('bus: subscription error', { err: String(err) });
          return;
        }
        let msg: BusMessage;
        try {
          msg = m.json<BusMessage>();
        } catch {
          return;
        }
        if (!msg || msg.origin === this.origin) return;
        for (const h of this.handlers) {
          try {
            h(msg);
          } catch (e) {
            this.log?.('bus: handler failed', { err: String(e) });
          }
        }
      },
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'reconnect') {
          this.connected = true;
          this.log?.('bus: NATS reconnected', { server: s.server });
          for (const cb of this.reconnects) cb();
        } else if (s.type === 'disconnect') {
          this.connected = false;
          this.log?.('bus: NATS disconnected', { server: s.server });
        }
      }
    })().catch(() => undefined);
  }

  static async connect(url: string, opts: { subjectPrefix: string; origin: string; log?: (msg: string, extra?: object) => void }): Promise<NatsBus> {
    const nc = await connect({
      servers: url.split(',').map((s) => s.trim()),
      name: `liaison-${opts.origin}`,
      noEcho: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 5000,
    });
    return new NatsBus(nc, `${opts.subjectPrefix}.events`, opts.origin, opts.log);
  }

  publish(msg: Omit<BusMessage, 'origin' | 'ts'>): void {
    if (this.closed) return;
    try {
      this.nc.publish(this.subject, JSON.stringify({ ...msg, origin: this.origin, ts: wallClockMs() }));
    } catch (e) {
      // closed or the reconnect buffer is full: the catch-up from storage covers durable events
      this.log?.('bus: publish failed', { err: String(e) });
    }
  }

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  onReconnect(cb: () => void): void {
    this.reconnects.push(cb);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sub.unsubscribe();
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close().catch(() => undefined);
    }
  }
}

/** A NATS subject prefix: tokens of letters, digits, `_` and `-`, separated by dots. */
export function validSubjectPrefix(p: string): boolean {
  return /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(p) && p.length <= 200;
}

export async function createBus(opts: {
  natsUrl?: string;
  subjectPrefix?: string;
  origin: string;
  group?: BusGroup;
  log?: (msg: string, extra?: object) => void;
}): Promise<Bus> {
  if (!opts.natsUrl) return new InProcessBus(opts.origin, opts.group);
  const prefix = opts.subjectPrefix ?? 'liaison';
  if (!validSubjectPrefix(prefix)) throw new Error(`LIAISON_NATS_SUBJECT: not a NATS subject prefix: ${prefix}`);
  return NatsBus.connect(opts.natsUrl, { subjectPrefix: prefix, origin: opts.origin, log: opts.log });
}
