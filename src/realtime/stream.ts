/**
 * The sockets of this instance (GET /v1/stream): the registry, the fan-out of events to them, the
 * replay of missed events (`?since=`), typing, heartbeats, slow consumers and the shutdown drain.
 *
 * A socket is registered under its member's id and under the id of every page the member
 * administers, so delivering an event is a synchronous map lookup per id the event names.
 *
 * Event ids sent to clients: a durable event's id is its outbox id as a decimal string ("1234").
 * Typing is never stored; its id is "<cursor>:t<n>" where <cursor> is the id of the last durable
 * event this socket was sent (or its `since`, or the instance's head when it connected) and <n>
 * counts typing signals. A client that keeps the last id it saw and reconnects with
 * `?since=<that id>` therefore resumes from the right durable event either way.
 */
import { mayTellTyping, notificationRetentionCutoff } from '../policy/index.js';
import type { WebSocket } from 'ws';
import type { Metrics } from '../util/metrics.js';
import type { BusEvent, Deps } from '../services/context.js';
import { memberByHandle, type MemberRecord } from '../services/members.js';
import { clientData, concerned, frameOf, messageText, num } from './frames.js';
import { StreamReads } from './stream-reads.js';
import { parseTypingSignal, takeToken } from './typing.js';
import type { Ephemeral } from './bus.js';
import { CLOSE, STREAM_EVENT_TYPES } from '../contract/stream.js';

/** The event types clients see (the contract's); every other type feeds the graph indexes only. */
export const EXTERNAL_TYPES = STREAM_EVENT_TYPES;
const EXTERNAL = new Set<string>(EXTERNAL_TYPES);

/** Close codes (the contract's). */
export { CLOSE };

export interface HubOptions {
  /** ping every socket this often; one without a pong by the next round is terminated */
  pingIntervalMs: number;
  /** a socket whose unsent bytes exceed this is closed with 4008 */
  maxBufferedBytes: number;
  /** typing signals a socket may send: burst and refill per second */
  typingBurst: number;
  typingPerSecond: number;
  /** how long typing's lookup of a conversation's sides and state is cached */
  convCacheTtlMs: number;
  /** how long a member's settings and status are cached for typing (settings.updated and member.status events invalidate at once) */
  memberCacheTtlMs: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  pingIntervalMs: 25_000,
  maxBufferedBytes: 1024 * 1024,
  typingBurst: 30,
  typingPerSecond: 10,
  convCacheTtlMs: 30_000,
  memberCacheTtlMs: 60_000,
};

interface Client {
  ws: WebSocket;
  memberId: number;
  /** the public id of the session the socket signed in with */
  sessionId?: string;
  /** the member and the pages it administers */
  subIds: Set<number>;
  alive: boolean;
  live: boolean;
  closing: boolean;
  /** live events that arrived during the replay */
  pending: { id: number; frame: string }[];
  replayed: Set<number> | null;
  /** ids replayed from storage before this instance applied them: the catch-up will bring them again */
  ahead: Set<number> | null;
  cursor: string;
  typingSeq: number;
  tokens: number;
  refilledAt: number;
}

export class StreamHub {
  readonly options: HubOptions;
  private readonly bySub = new Map<number, Set<Client>>();
  private readonly clients = new Set<Client>();
  private metrics?: Metrics;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private readonly reads: StreamReads;

  constructor(
    private readonly deps: Deps,
    /** the instance's head (highest applied event id), the cursor of sockets without ?since= */
    private readonly head: () => number,
    /** hands a typing signal to every instance (this one included) */
    private readonly emitEphemeral: (e: Ephemeral) => void,
    options: Partial<HubOptions> = {},
    private readonly log?: (msg: string, extra?: object) => void,
    /** whether this instance has yet to apply an event id (it will then reach deliver()) */
    private readonly notApplied: (id: number) => boolean = () => false,
  ) {
    this.options = { ...DEFAULT_HUB_OPTIONS, ...options };
    // a notification past retention is not replayed, as the list no longer shows it (before housekeeping purges it)
    this.reads = new StreamReads(deps.store.db, this.options, () => notificationRetentionCutoff(deps.clock.now(), deps.policy));
    this.startHeartbeats();
  }

  setMetrics(m: Metrics): void {
    this.metrics = m;
    m.openSockets.set(this.clients.size);
  }

  get size(): number {
    return this.clients.size;
  }

  /** Bytes queued for the sockets and not yet handed to the network (each bounded by maxBufferedBytes). */
  bufferedBytes(): number {
    let n = 0;
    for (const c of this.clients) n += c.ws.bufferedAmount;
    return n;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  private startHeartbeats(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      for (const c of this.clients) {
        if (!c.alive) {
          this.metrics?.streamClosed.inc({ code: 'heartbeat' });
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        try {
          c.ws.ping();
        } catch {
          /* closing */
        }
      }
    }, this.options.pingIntervalMs);
    this.timer.unref();
  }

  /** Changes the heartbeat period (tests). */
  setPingInterval(ms: number): void {
    this.options.pingIntervalMs = ms;
    this.startHeartbeats();
  }

  // ------------------------------------------------------------------ accepting a socket

  /** Takes an authenticated socket; replays from `since` (if given) and then goes live. */
  async accept(ws: WebSocket, member: MemberRecord, since: number | undefined, sessionId?: string): Promise<void> {
    if (this.draining) {
      ws.close(CLOSE.serviceRestart, 'service restart: reconnect');
      return;
    }
    const c: Client = {
      ws,
      memberId: member.id,
      sessionId,
      subIds: new Set([member.id]),
      alive: true,
      live: since === undefined,
      closing: false,
      pending: [],
      replayed: since === undefined ? null : new Set(),
      ahead: null,
      cursor: String(since ?? this.head()),
      typingSeq: 0,
      tokens: this.options.typingBurst,
      refilledAt: Date.now(),
    };
    // Register first (buffering if replaying) so nothing committed from now on is missed.
    this.register(c, member.id);
    this.clients.add(c);
    this.metrics?.openSockets.set(this.clients.size);
    ws.on('pong', () => (c.alive = true));
    ws.on('close', () => this.unregister(c));
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      void this.onClientMessage(c, messageText(data)).catch((e) => this.log?.('stream: client message failed', { err: String(e) }));
    });
    try {
      const pages = await this.reads.adminPages(member.id);
      for (const p of pages) this.register(c, p);
      if (since !== undefined) await this.replay(c, since);
    } catch (e) {
      this.log?.('stream: replay failed', { err: String(e) });
      if (c.ws.readyState === c.ws.OPEN) this.close(c, 1011, 'replay failed: reconnect');
    }
  }

  private register(c: Client, subId: number): void {
    c.subIds.add(subId);
    let set = this.bySub.get(subId);
    if (!set) this.bySub.set(subId, (set = new Set()));
    set.add(c);
  }

  /** Stops delivering `subId`'s events (a page the member no longer administers) to the socket. */
  private unregisterSub(c: Client, subId: number): void {
    if (subId === c.memberId || !c.subIds.delete(subId)) return;
    const set = this.bySub.get(subId);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) this.bySub.delete(subId);
  }

  private unregister(c: Client): void {
    if (!this.clients.delete(c)) return;
    for (const id of c.subIds) {
      const set = this.bySub.get(id);
      if (!set) continue;
      set.delete(c);
      if (set.size === 0) this.bySub.delete(id);
    }
    c.pending = [];
    c.replayed = null;
    this.metrics?.openSockets.set(this.clients.size);
  }

  /** Sends what the client missed from storage, then what arrived meanwhile, then goes live. */
  private async replay(c: Client, since: number): Promise<void> {
    let from = since;
    const PAGE = 500;
    for (;;) {
      if (c.closing || c.ws.readyState !== c.ws.OPEN) return;
      const evs = await this.reads.eventsAfter(from, c.subIds, PAGE);
      const now = await this.reads.replayFilter(c.subIds, evs);
      for (const ev of evs) {
        c.replayed!.add(ev.id);
        if (this.notApplied(ev.id)) (c.ahead ??= new Set()).add(ev.id);
        for (const subId of ev.memberIds) {
          if (c.subIds.has(subId) && this.visible(subId, ev) && now(subId, ev)) {
            this.write(c, frameOf(ev), String(ev.id));
            break;
          }
        }
      }
      if (evs.length < PAGE) break;
      from = evs[evs.length - 1].id;
      await this.drained(c);
    }
    // Bounded: ids the instance has applied meanwhile can no longer arrive.
    if (c.ahead && c.ahead.size > 1000) for (const id of c.ahead) if (!this.notApplied(id)) c.ahead.delete(id);
    // Live events that arrived during the replay, without the ones the replay already sent.
    const pending = c.pending;
    c.pending = [];
    const replayed = c.replayed!;
    c.replayed = null;
    c.live = true;
    for (const p of pending) if (!replayed.has(p.id)) this.write(c, p.frame, String(p.id));
  }

  /** Waits until the socket's buffer is below half the limit (or it closed). */
  private async drained(c: Client): Promise<void> {
    while (c.ws.readyState === c.ws.OPEN && c.ws.bufferedAmount > this.options.maxBufferedBytes / 2) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ------------------------------------------------------------------ fan-out

  /** Whether the member (or page) `subId` may still see an event (no block either way with anyone it names). */
  private visible(subId: number, ev: { memberIds: number[]; payload: Record<string, unknown> }): boolean {
    for (const other of concerned(ev)) {
      if (other !== subId && this.deps.graph.isBlockedEitherWay(subId, other)) return false;
    }
    return true;
  }

  /** Committed events (this instance's or another's, each once): to the sockets concerned. */
  deliver(evs: BusEvent[]): void {
    for (const ev of evs) {
      if (!EXTERNAL.has(ev.type)) {
        this.internal(ev);
        continue;
      }
      // a message may begin its thread again (a request now, or back for a side that had ignored
      // it): typing reads the conversation's sides and state again
      if (ev.type === 'message.created') this.forgetConversation(ev.payload);
      if (this.clients.size === 0) continue;
      let frame: string | null = null;
      const done = new Set<Client>();
      for (const subId of ev.memberIds) {
        const set = this.bySub.get(subId);
        if (!set) continue;
        if (!this.visible(subId, ev)) continue;
        for (const c of set) {
          if (done.has(c)) continue;
          done.add(c);
          if (c.ahead?.delete(ev.id)) continue; // already replayed to it from storage
          frame ??= frameOf(ev);
          if (!c.live) c.pending.push({ id: ev.id, frame });
          else this.write(c, frame, String(ev.id));
        }
      }
    }
  }

  /** Internal events: what the sockets' bookkeeping must learn. */
  private internal(ev: BusEvent): void {
    const p = ev.payload;
    switch (ev.type) {
      case 'page.admin_added':
      case 'page.created': {
        const admin = num(p.adminId);
        const page = num(p.pageId);
        if (admin === undefined || page === undefined) return;
        for (const c of this.bySub.get(admin) ?? []) if (c.memberId === admin) this.register(c, page);
        return;
      }
      case 'member.status': {
        const id = num(p.memberId);
        if (id === undefined) return;
        this.reads.forgetMember(id);
        if (p.status === 'deactivated' || p.status === 'closed') {
          for (const c of [...(this.bySub.get(id) ?? [])]) {
            if (c.memberId === id) this.close(c, CLOSE.accountInactive, 'account inactive');
          }
        }
        return;
      }
      case 'settings.updated': {
        const id = num(p.memberId);
        if (id !== undefined) this.reads.forgetMember(id);
        return;
      }
      case 'conversation.ignored':
      case 'conversation.accepted':
        // typing checks the conversation's sides from a cache: forget it, the next signal reads them again
        this.forgetConversation(p);
        return;
      case 'page.admin_removed': {
        const admin = num(p.adminId);
        const page = num(p.pageId);
        if (admin === undefined || page === undefined) return;
        for (const c of [...(this.bySub.get(admin) ?? [])]) if (c.memberId === admin) this.unregisterSub(c, page);
        return;
      }
      case 'sessions.revoked': {
        const id = num(p.memberId);
        const ended = new Set(Array.isArray(p.sessionIds) ? p.sessionIds.map(String) : []);
        if (id === undefined) return;
        for (const c of [...(this.bySub.get(id) ?? [])]) {
          if (c.memberId === id && c.sessionId !== undefined && ended.has(c.sessionId)) this.close(c, CLOSE.sessionEnded, 'session ended');
        }
        return;
      }
      default:
        return;
    }
  }

  private forgetConversation(payload: Record<string, unknown>): void {
    const conv = num(payload.conversationId);
    if (conv !== undefined) this.reads.forgetConversation(conv);
  }

  /** An ephemeral signal (typing), from this instance or another. */
  deliverEphemeral(e: Ephemeral): void {
    if (this.clients.size === 0) return;
    const data = clientData(e.payload);
    const done = new Set<Client>();
    for (const subId of e.memberIds) {
      if (!this.visible(subId, e)) continue;
      for (const c of this.bySub.get(subId) ?? []) {
        if (done.has(c) || !c.live) continue; // ephemeral: not worth replaying
        done.add(c);
        const id = `${c.cursor}:t${++c.typingSeq}`;
        this.write(c, JSON.stringify({ id, type: e.type, data }), null);
      }
    }
  }

  /** Sends a frame, or disconnects a slow consumer instead of growing memory. */
  private write(c: Client, frame: string, durableId: string | null): void {
    if (c.closing || c.ws.readyState !== c.ws.OPEN) return;
    if (c.ws.bufferedAmount + frame.length > this.options.maxBufferedBytes) {
      this.close(c, CLOSE.slowConsumer, 'slow consumer: reconnect with ?since=');
      return;
    }
    c.ws.send(frame);
    if (durableId !== null) c.cursor = durableId;
  }

  /** Closes with a code; terminates if the close handshake does not finish soon. */
  private close(c: Client, code: number, reason: string): void {
    if (c.closing) return;
    c.closing = true;
    this.metrics?.streamClosed.inc({ code: String(code) });
    try {
      c.ws.close(code, reason);
    } catch {
      c.ws.terminate();
    }
    const t = setTimeout(() => c.ws.terminate(), 2000);
    t.unref();
    c.ws.once('close', () => clearTimeout(t));
  }

  // ------------------------------------------------------------------ typing

  private async onClientMessage(c: Client, text: string): Promise<void> {
    if (!c.live || c.closing) return;
    const signal = parseTypingSignal(text);
    if (!signal || !takeToken(c, Date.now(), this.options.typingBurst, this.options.typingPerSecond)) return;
    let actorId = c.memberId;
    if (signal.as !== undefined) {
      const page = await memberByHandle(this.deps.store.db, signal.as);
      if (!page || page.kind !== 'page' || !c.subIds.has(page.id)) return;
      actorId = page.id;
    }
    const conv = await this.reads.conversation(signal.conversationId);
    if (!conv || (conv.starterId !== actorId && conv.recipientId !== actorId)) return;
    const otherId = conv.starterId === actorId ? conv.recipientId : conv.starterId;
    const [actor, other] = await Promise.all([this.reads.member(actorId), this.reads.member(otherId)]);
    const told = mayTellTyping({
      actorId,
      conversation: conv,
      blockedEitherWay: this.deps.graph.isBlockedEitherWay(actorId, otherId),
      actor,
      other,
    });
    if (!told || !actor) return;
    this.emitEphemeral({
      type: 'typing',
      memberIds: [otherId],
      payload: {
        conversationId: String(signal.conversationId),
        memberId: String(actorId),
        member: { id: String(actor.id), handle: actor.handle, name: actor.name },
      },
    });
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Closes every socket with 1012 "service restart" (reconnect elsewhere, with ?since=), waits up to
   * `graceMs` for the close handshakes, then terminates the rest.
   */
  async drain(graceMs = 2000): Promise<void> {
    this.draining = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const all = [...this.clients];
    const closed = all.map((c) => new Promise<void>((r) => (c.ws.readyState === c.ws.CLOSED ? r() : c.ws.once('close', () => r()))));
    for (const c of all) this.close(c, CLOSE.serviceRestart, 'service restart: reconnect');
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise((r) => (t = setTimeout(r, graceMs)))]);
    if (t) clearTimeout(t);
    for (const c of all) if (c.ws.readyState !== c.ws.CLOSED) c.ws.terminate();
  }
}
