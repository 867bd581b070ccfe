/**
 * The read model of an instance (issue 17): members, sessions, the per-pair rows the policy's
 * relationship facts come from, and each viewer's quota counters, for the read paths (profile views,
 * "why can't I message X?", lists). Writes never read from it: every write path loads its rows
 * inside its transaction, under its locks, and the policy decides again there.
 *
 * Kept current by the outbox events the instance applies: its own at once after commit
 * (src/services/uow.ts), other instances' from the bus and the catch-up (src/realtime). An event
 * invalidates every member it names (membersNamed below); an entry is valid only while none of its
 * members was invalidated since the read that filled it began (a generation stamp per member), so a
 * read racing a commit never caches what the commit changed. A viewer's pair rows are kept for all
 * their pairs at once (Roster), so every event that changes a pair names both of its members. Time-bound counters carry the instant
 * they stop being right (validUntil). Bounded: every map is least-recently-used with a size from
 * configuration (LIAISON_CACHE_MEMBERS), and entries also expire after `ttlMs` (LIAISON_CACHE_TTL_MS,
 * default 60 s) as a backstop.
 */
import type { Deps, BusEvent } from './context.js';
import { concerned, num } from './event-members.js';
import type { MemberRecord } from './records.js';
import { PackedMember } from './packed-member.js';

/**
 * What every entry carries besides its value, in the entry itself (one object an entry: a wrapper
 * per entry cost 40 bytes, and the Lru's node another 40).
 */
interface Stamped {
  /** when it was read, in ms on the read model's clock (MemberCache.now: the TTL backstop) */
  at: number;
  /** the generation when the read that filled it began */
  stamp: number;
  /** used since the Lru last looked (its second chance) */
  hit: boolean;
}

interface Entry<T> extends Stamped {
  value: T;
}

/** A session as the read cache keeps it: whose it is, its public id, and when it was last used. */
export interface CachedSession {
  readonly memberId: number;
  readonly sessionId: string;
  readonly lastUsedAt: number;
}

/** A session's entry: the session's fields in the entry itself (what `session` answers). */
interface SessionEntry extends CachedSession, Stamped {}

/**
 * What the read model keys a session by: the 32 bytes of its token's hash as a 32-character string
 * (48 bytes of heap; the hash's 64 hex digits, as the sessions table keeps it, take 80). Made from
 * the hash's bytes where the request has them (sessionKey: no more work than the hex), from the hex
 * where a row gives it (sessionKeyOfHash).
 */
export type SessionKey = string & { readonly __sessionKey: true };

export function sessionKey(digest: Buffer): SessionKey {
  if (digest.length !== 32) throw new Error('a session key is made of a 32-byte hash');
  return digest.toString('latin1') as SessionKey;
}

/** The key of a token hash as the sessions table keeps it (64 lower-case hex digits; anything else throws). */
export function sessionKeyOfHash(tokenHash: string): SessionKey {
  if (!/^[0-9a-f]{64}$/.test(tokenHash)) throw new Error('a token hash is 64 lower-case hex digits');
  return sessionKey(Buffer.from(tokenHash, 'hex'));
}

const tokenHashOf = (key: SessionKey) => Buffer.from(key, 'latin1').toString('hex');

/** The raw rows behind a pair's relationship facts, read from the viewer's side. */
export interface PairRows {
  row: Record<string, unknown>;
  conversation: Record<string, unknown> | null;
  /** the viewer's own asks, when the rows came from their roster (else read when introduction paths are offered) */
  asks?: ViewerAsks;
}

/** What a viewer's roster knows of their pair with one member (absent fields: no such row). */
export interface RosterPair {
  /** the open invitation either way (raw: id, fromId, toId, status, createdAt) */
  invitation?: Record<string, unknown>;
  /** the viewer's last withdrawal of an invitation to them */
  lastWithdrawn?: unknown;
  /** the viewer's block of them: null while it holds, its unblock date once lifted */
  block?: unknown;
  /** they block the viewer now */
  blockedBy?: true;
  /** the live conversation, as liveConversationFacts answers it */
  conversation?: Record<string, unknown>;
  /** the viewer's own introduction asks: on the viewer's own entry only (no pair of theirs has that key) */
  asks?: ViewerAsks;
}

/**
 * A viewer's own introduction asks (DOMAIN.md 11), as far as they decide which introduction paths
 * are offered as a way in (src/policy/asks.ts): instants in ms.
 */
export interface ViewerAsks {
  /** member asked about → when, for each ask still `asked` (expiry is applied at the facts' `now`) */
  open: ReadonlyMap<number, number>;
  /** introducer → when they declined the viewer's asks (the last 120 days) */
  declines: ReadonlyMap<number, readonly number[]>;
  /** when each ask made since the start of the month of the read was made */
  made: readonly number[];
}

/**
 * Everything of a viewer's pairs the relationship facts read, for every other member at once (so a
 * member absent from it shares none of these rows with the viewer): open invitations either way,
 * the viewer's last withdrawal and unblock per member, blocks either way, and the viewer's live
 * conversations with their side of each. Connections come from the graph index. A viewer with more
 * than ROSTER_MAX rows of a kind is marked 'big' and read pair by pair.
 */
export type Roster = ReadonlyMap<number, RosterPair>;
export type RosterEntry = Roster | 'big';

/** The raw counter row behind a viewer's quota facts, right until `validUntil` (ms, the facts' clock). */
export interface QuotaRows {
  row: Record<string, unknown>;
  readAt: number;
  validUntil: number;
}

/** A counter row's entry: the rows and the entry's own fields in one object (a wrapper cost 56 bytes an entry). */
class QuotaEntry implements QuotaRows, Stamped {
  readonly row: Record<string, unknown>;
  readonly readAt: number;
  readonly validUntil: number;
  hit = false;
  constructor(
    rows: QuotaRows,
    public at: number,
    public stamp: number,
  ) {
    this.row = rows.row;
    this.readAt = rows.readAt;
    this.validUntil = rows.validUntil;
  }
}

/**
 * A Map used as a cache of at most `max` entries, evicting the least recently used first by second
 * chance (CLOCK): a hit only marks its entry, so reads never reorder the Map (a delete and a set on
 * every hit cost a tenth of a profile view's time); when full, the oldest tenth of the unmarked
 * entries goes, and marked ones met on the way are moved to the young end with their mark cleared.
 */
class Lru<K, E extends Stamped> {
  private m = new Map<K, E>();
  /** `onEvict`: told of each entry the Lru drops to make room (not of those deleted or replaced) */
  constructor(
    private readonly max: number,
    private readonly onEvict?: (k: K, e: E) => void,
  ) {}
  get size(): number {
    return this.m.size;
  }
  get(k: K): E | undefined {
    const e = this.m.get(k);
    if (e !== undefined) e.hit = true;
    return e;
  }
  peek(k: K): E | undefined {
    return this.m.get(k);
  }
  /** A new entry for `k`: in the place of the one it replaces, marked as used, or as the youngest. */
  set(k: K, e: E): void {
    if (this.m.has(k)) {
      e.hit = true;
      this.m.set(k, e);
      return;
    }
    this.m.set(k, e);
    if (this.m.size > this.max) this.evict();
  }
  private evict(): void {
    let n = Math.max(1, Math.ceil(this.max / 10));
    // two passes at most: the first clears the marks it meets (all of them, if everything was hit)
    for (let pass = 0; pass < 2 && n > 0; pass++) {
      const again: [K, E][] = [];
      for (const [k, e] of this.m) {
        if (n <= 0) break;
        this.m.delete(k);
        if (e.hit) {
          e.hit = false;
          again.push([k, e]);
        } else {
          n--;
          this.onEvict?.(k, e);
        }
      }
      for (const [k, e] of again) this.m.set(k, e);
    }
  }
  delete(k: K): void {
    this.m.delete(k);
  }
  clear(): void {
    this.m.clear();
  }
  entries(): IterableIterator<[K, E]> {
    return this.m.entries();
  }
}

/** How far the read model's clock runs before it moves its base (MemberCache.now): 2^29 ms, a small integer on every V8. */
const REBASE_MS = 2 ** 29;

/**
 * `n` (an integer) as a small integer where it is one: arithmetic on wall-clock times answers a heap
 * number even when the result is small, and one heap number stored in a field makes V8 keep that
 * field as a separate 16-byte box in every object of the shape from then on.
 */
const small = (n: number) => (n >= -REBASE_MS && n < REBASE_MS ? n | 0 : n);

/** The pair a graph event is about (connections, follows, blocks) and a page's admin. */
const PAIR_KEYS = ['a', 'b', 'follower', 'followee', 'blocker', 'blocked', 'adminId'] as const;

/**
 * Every member an event names: the members the stream finds it concerns (its member ids, the actor,
 * the parties of an invitation, message, introduction or notification), and both sides of the pair
 * a connection, follow or block event is about (an event the stream never delivers).
 */
export function membersNamed(ev: Pick<BusEvent, 'memberIds' | 'payload'>): number[] {
  const out = new Set(concerned(ev));
  for (const k of PAIR_KEYS) {
    const id = num(ev.payload[k]);
    if (id !== undefined) out.add(id);
  }
  return [...out];
}

/**
 * Event types that change no member record (profile fields, settings, tier, status, restricted or
 * bulk flags: those come with member.*, settings.updated, page.created): they end the rosters and
 * counters of the members they name, not their records. A type not listed ends both.
 */
export const ROWS_ONLY: ReadonlySet<string> = new Set([
  'message.created',
  'conversation.request',
  'conversation.accepted',
  'conversation.ignored',
  'read',
  'notification.created',
  'invitation.received',
  'invitation.accepted',
  'invitation.withdrawn',
  'invitation.ignored',
  'invitation.expired',
  'connection.added',
  'connection.removed',
  'follow.added',
  'follow.removed',
  'block.added',
  'block.removed',
  'group.joined',
  'group.left',
  'introduction.asked',
  'introduction.declined',
  'introduction.closed',
  'introduction.forwarded',
]);

/**
 * Per-member generations: an entry read at generation `stamp` about member `id` is current while
 * nothing made `id` stale since. Bounded: past `max` members remembered, all are forgotten at once
 * and every earlier read counts as stale (the floor).
 */
class Generations {
  private touched = new Map<number, number>();
  private floor = 0;
  /** `clock`: the counter stamps are taken from, shared by the generations a read may be checked against. */
  constructor(
    private readonly max: number,
    private readonly clock: { gen: number } = { gen: 0 },
  ) {}
  /** Take it before the read's statements run. */
  stamp(): number {
    return this.clock.gen;
  }
  unchanged(stamp: number, id: number): boolean {
    return stamp >= this.floor && stamp >= (this.touched.get(id) ?? 0);
  }
  bump(id: number): void {
    this.touched.set(id, ++this.clock.gen);
    if (this.touched.size > this.max) this.bumpAll();
  }
  bumpAll(): void {
    this.touched.clear();
    this.floor = ++this.clock.gen;
  }
  get size(): number {
    return this.touched.size;
  }
}

/**
 * One entry of the read model as a read would be served from it (`liaison verify`,
 * src/services/cache-verify.ts): its key, its value, and the entry itself (`ref`) to tell later
 * whether it is still the one served.
 */
export type HeldEntry =
  | { kind: 'member'; id: number; value: MemberRecord; ref: object }
  | { kind: 'handle'; handle: string; ref: object }
  | { kind: 'session'; tokenHash: string; value: CachedSession; ref: object }
  | { kind: 'roster'; id: number; value: RosterEntry; ref: object }
  | { kind: 'counters'; id: number; value: QuotaRows; ref: object };

export interface CacheOptions {
  /** entries of each kind (members, sessions, pairs, viewers' counters) */
  maxEntries?: number;
  /** backstop: no entry is used longer than this after its read */
  ttlMs?: number;
}

export class MemberCache {
  readonly ttlMs: number;
  readonly maxEntries: number;
  private byId: Lru<number, PackedMember>;
  /**
   * handle (lower case) → the entry of the member it names, the same object as byId's: kept in step
   * with byId (an entry leaves both), so it is as bounded; the entry decides whether it is live. The
   * key is the record's own handle string when that is lower case already (toLowerCase answers it).
   */
  private byHandle = new Map<string, PackedMember>();
  /** Handles looked up and found to name nobody: an unknown handle is cached like a member. */
  private absent: Lru<string, Entry<true>>;
  /** by sessionKey (the token hash's bytes) */
  private sessions: Lru<SessionKey, SessionEntry>;
  private rosters: Lru<number, Entry<RosterEntry>>;
  private quotas: Lru<number, QuotaEntry>;

  /** What each member's cached rows were read at (roster, counters): every event naming them ends them. */
  private gens: Generations;
  /**
   * The same for member records (profile, settings, tier, status, flags), on the same clock: ended
   * only by events that may change a record (all but ROWS_ONLY), so a member who keeps messaging
   * stays cached.
   */
  private recordGens: Generations;
  /** The same for each member's sessions: ended by a revocation or a change of status only. */
  private sessionGens: Generations;
  /** Bumped when a handle may newly name someone (member or page created). */
  private createdGen = 0;

  constructor(opts: CacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 200_000;
    const n = this.maxEntries;
    this.byId = new Lru(n, (_id, e) => this.unindex(e));
    this.absent = new Lru(Math.max(1, Math.ceil(n / 10)));
    this.sessions = new Lru(n);
    this.rosters = new Lru(Math.max(1, Math.ceil(n / 10)));
    this.quotas = new Lru(n);
    const clock = { gen: 0 };
    this.gens = new Generations(n, clock);
    this.recordGens = new Generations(n, clock);
    this.sessionGens = new Generations(n);
  }

  /** The generation to stamp a read with: take it before the read's statements run. */
  stamp(): number {
    return this.gens.stamp();
  }

  /**
   * The entries' clock: wall-clock ms since `base`, which moves to now once that passes REBASE_MS
   * (about six days), so that an entry's read time stays a small integer, held in the entry itself
   * (a wall-clock ms is past 2^31: a heap number of 16 bytes of its own, an entry each). The move
   * takes every entry's time with it and drops those past their TTL: a walk over the read model
   * once in six days.
   */
  private base = Date.now();
  private now(): number {
    const t = Date.now() - this.base;
    if (t >= -REBASE_MS && t < REBASE_MS) return t | 0;
    this.rebase(t);
    return small(Date.now() - this.base);
  }

  private rebase(by: number): void {
    this.base += by;
    const move = <K, E extends Stamped>(lru: Lru<K, E>, dropped?: (e: E) => void) => {
      for (const [k, e] of lru.entries())
        if (by - e.at >= this.ttlMs) {
          lru.delete(k);
          dropped?.(e);
        } else e.at = small(e.at - by);
    };
    move(this.byId, (e) => this.unindex(e));
    move(this.absent);
    move(this.sessions);
    move(this.rosters);
    move(this.quotas);
  }

  private entry<T>(value: T, stamp: number): Entry<T> {
    return { value, at: this.now(), stamp, hit: false };
  }

  private young(e: { at: number }): boolean {
    return Date.now() - this.base - e.at < this.ttlMs;
  }

  /** Drops the handle index's pointer to `e`, if it still points to it. */
  private unindex(e: PackedMember): void {
    const key = e.handle.toLowerCase();
    if (this.byHandle.get(key) === e) this.byHandle.delete(key);
  }

  private live<E extends Stamped>(e: E | undefined, ...ids: number[]): e is E {
    if (!e || !this.young(e)) return false;
    for (const id of ids) if (!this.gens.unchanged(e.stamp, id)) return false;
    return true;
  }

  private liveRecord(e: PackedMember | undefined, id: number): e is PackedMember {
    return e !== undefined && this.young(e) && this.recordGens.unchanged(e.stamp, id);
  }

  /** What serves a read, kind by kind (the reads below and `held`, which `liaison verify` checks, ask the same). */
  private liveAbsent(e: Entry<true> | undefined): e is Entry<true> {
    return e !== undefined && this.young(e) && e.stamp === this.createdGen;
  }

  private liveSession(e: SessionEntry | undefined): e is SessionEntry {
    return e !== undefined && this.young(e) && this.sessionGens.unchanged(e.stamp, e.memberId);
  }

  private liveQuota(e: QuotaEntry | undefined, v: number, now: number): e is QuotaEntry {
    return this.live(e, v) && now >= e.readAt && now < e.validUntil;
  }

  member(id: number): MemberRecord | undefined {
    this.trace?.('member');
    const e = this.byId.get(id);
    return this.liveRecord(e, id) ? e.record() : undefined;
  }

  /**
   * The member a handle names (null: nobody), or undefined when not cached. One lookup whether the
   * handle names a member or nobody (issue 15: an unknown handle and a hidden member take one path).
   */
  memberByHandle(handle: string): MemberRecord | null | undefined {
    this.trace?.('handle');
    const key = handle.toLowerCase();
    if (this.liveAbsent(this.absent.get(key))) return null;
    const e = this.byHandle.get(key);
    if (e === undefined) return undefined;
    e.hit = true; // used, as byId.get would mark it
    return this.liveRecord(e, e.id) ? e.record() : undefined;
  }

  /** Caches what a handle names: a member, or nobody (`stamp` taken before the read). */
  putHandle(handle: string, m: MemberRecord | null, stamp: number, createdStamp: number): void {
    if (m) {
      this.put(m, stamp);
      return;
    }
    if (createdStamp === this.createdGen) this.absent.set(handle.toLowerCase(), this.entry(true as const, createdStamp));
  }

  /** The stamp for a "names nobody" read (see putHandle). */
  createdStamp(): number {
    return this.createdGen;
  }

  put(m: MemberRecord, stamp: number): void {
    if (!this.recordGens.unchanged(stamp, m.id)) return;
    const key = m.handle.toLowerCase();
    this.absent.delete(key);
    const old = this.byId.peek(m.id);
    if (old) this.unindex(old);
    const e = new PackedMember(m);
    e.at = this.now();
    e.stamp = stamp;
    // indexed first: should making room evict the new entry itself, it leaves the index with it
    this.byHandle.set(key, e);
    this.byId.set(m.id, e);
  }

  session(key: SessionKey): CachedSession | undefined {
    this.trace?.('session');
    const e = this.sessions.get(key);
    return this.liveSession(e) ? e : undefined;
  }

  /** The stamp for a session read (see putSession). */
  sessionStamp(): number {
    return this.sessionGens.stamp();
  }

  putSession(key: SessionKey, s: CachedSession, sessionStamp: number): void {
    if (!this.sessionGens.unchanged(sessionStamp, s.memberId)) return;
    const e: SessionEntry = { memberId: s.memberId, sessionId: s.sessionId, lastUsedAt: s.lastUsedAt, at: this.now(), stamp: sessionStamp, hit: false };
    this.sessions.set(key, e);
  }

  /** Viewer v's pair rows with everyone, if cached and nothing of v changed since (see Roster). */
  roster(v: number): RosterEntry | undefined {
    this.trace?.('roster');
    const e = this.rosters.get(v);
    return this.live(e, v) ? e.value : undefined;
  }

  putRoster(v: number, roster: RosterEntry, stamp: number): void {
    if (!this.gens.unchanged(stamp, v)) return;
    this.rosters.set(v, this.entry(roster, stamp));
  }

  /** The viewer's counter rows, if cached, unchanged and still right at `now` (ms). */
  quota(v: number, now: number): QuotaRows | undefined {
    this.trace?.('quota');
    const e = this.quotas.get(v);
    return this.liveQuota(e, v, now) ? e : undefined;
  }

  putQuota(v: number, rows: QuotaRows, stamp: number): void {
    if (!this.gens.unchanged(stamp, v)) return;
    this.quotas.set(v, new QuotaEntry(rows, this.now(), stamp));
  }

  /** Ends every cached session of a member (password change, sessions revoked, status change). */
  dropSessionsOf(memberId: number): void {
    this.sessionGens.bump(memberId);
  }

  /** Observes every lookup (tests: an unknown handle and a hidden member make the same ones). */
  trace?: (op: string) => void;

  /** Forgets everything (tests). */
  clear(): void {
    this.byId.clear();
    this.byHandle.clear();
    this.absent.clear();
    this.sessions.clear();
    this.rosters.clear();
    this.quotas.clear();
    this.gens.bumpAll();
    this.recordGens.bumpAll();
    this.sessionGens.bumpAll();
    this.createdGen++;
  }

  /**
   * A snapshot of every entry a read would be served from now (`now`: the facts' clock, ms, for
   * counter rows): young, and read after the last change of its member. Handles: those cached as
   * naming nobody (a handle naming a member is served through the member's entry). Reads nothing
   * twice and marks nothing as used.
   */
  held(now: number): HeldEntry[] {
    const out: HeldEntry[] = [];
    for (const [id, e] of this.byId.entries()) if (this.liveRecord(e, id)) out.push({ kind: 'member', id, value: e.record(), ref: e });
    for (const [handle, e] of this.absent.entries()) if (this.liveAbsent(e)) out.push({ kind: 'handle', handle, ref: e });
    for (const [key, e] of this.sessions.entries()) if (this.liveSession(e)) out.push({ kind: 'session', tokenHash: tokenHashOf(key), value: e, ref: e });
    for (const [id, e] of this.rosters.entries()) if (this.live(e, id)) out.push({ kind: 'roster', id, value: e.value, ref: e });
    for (const [id, e] of this.quotas.entries()) if (this.liveQuota(e, id, now)) out.push({ kind: 'counters', id, value: e, ref: e });
    return out;
  }

  /**
   * Whether a held entry is still the one served under its key and nothing of its member was made
   * stale since its read (an event applied meanwhile: the entry is being refreshed, not wrong).
   */
  stillHeld(h: HeldEntry): boolean {
    switch (h.kind) {
      case 'member':
        return this.byId.peek(h.id) === h.ref && this.recordGens.unchanged((h.ref as Stamped).stamp, h.id);
      case 'handle':
        return this.absent.peek(h.handle) === h.ref && (h.ref as Stamped).stamp === this.createdGen;
      case 'session':
        return this.sessions.peek(sessionKeyOfHash(h.tokenHash)) === h.ref && this.sessionGens.unchanged((h.ref as Stamped).stamp, h.value.memberId);
      case 'roster':
        return this.rosters.peek(h.id) === h.ref && this.gens.unchanged((h.ref as Stamped).stamp, h.id);
      case 'counters':
        return this.quotas.peek(h.id) === h.ref && this.gens.unchanged((h.ref as Stamped).stamp, h.id);
    }
  }

  /** Forgets one session (signed out or idle here; the revocation's event ends it on every instance). */
  dropSession(key: SessionKey): void {
    this.sessions.delete(key);
  }

  /** Everything cached about a member (and every pair with them) is stale from now on. */
  invalidate(id: number): void {
    this.invalidateRows(id);
    this.recordGens.bump(id);
    const e = this.byId.peek(id);
    if (e) this.unindex(e);
    this.byId.delete(id);
  }

  /** A member's pair rows and counters are stale from now on (their record stays). */
  invalidateRows(id: number): void {
    this.gens.bump(id);
    this.quotas.delete(id);
    this.rosters.delete(id);
  }

  /** Applies committed events (this instance's, the bus's, the catch-up's): invalidates every member they name. */
  onEvents(events: Pick<BusEvent, 'memberIds' | 'payload' | 'type'>[]): void {
    for (const ev of events) {
      const keepsRecords = ROWS_ONLY.has(ev.type);
      for (const id of membersNamed(ev))
        if (keepsRecords) this.invalidateRows(id);
        else this.invalidate(id);
      if (ev.type === 'member.status' || ev.type === 'sessions.revoked') for (const id of ev.memberIds) this.dropSessionsOf(id);
      // a new member or page may take a handle cached as naming nobody
      if (ev.type === 'member.created' || ev.type === 'page.created') {
        this.createdGen++;
        this.absent.clear();
      }
    }
  }
}

const caches = new WeakMap<Deps, MemberCache>();

/** The read model of an instance (one per Deps), sized by `deps.cache`. */
export function cacheOf(deps: Deps): MemberCache {
  let c = caches.get(deps);
  if (!c) {
    c = new MemberCache(deps.cache);
    caches.set(deps, c);
  }
  return c;
}
