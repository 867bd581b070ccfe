/**
 * A short-lived read cache of members and sessions for GET requests (profile views, lists).
 * Writes never read from it: every write path loads its rows inside its transaction. Entries live
 * `ttlMs` (2 s) at most, and this instance's committed events evict the members they name at once,
 * so a read is at most 2 s behind a change made through another instance.
 */
import type { Deps, BusEvent } from './context.js';
import type { MemberRecord } from './records.js';

interface Entry<T> {
  value: T;
  at: number;
}

/** A session as the read cache keeps it: whose it is, its public id, and when it was last used. */
export interface CachedSession {
  memberId: number;
  sessionId: string;
  lastUsedAt: number;
}

export class MemberCache {
  private byId = new Map<number, Entry<MemberRecord>>();
  private byHandle = new Map<string, Entry<number>>();
  /** Handles looked up and found to name nobody: an unknown handle is cached like a member. */
  private absent = new Map<string, Entry<true>>();
  private sessions = new Map<string, Entry<CachedSession>>();

  constructor(
    readonly ttlMs = 2000,
    readonly maxEntries = 50_000,
  ) {}

  private fresh<T>(e: Entry<T> | undefined, now: number): e is Entry<T> {
    return !!e && now - e.at < this.ttlMs;
  }

  private bound<K, V>(m: Map<K, V>): void {
    if (m.size <= this.maxEntries) return;
    // Maps iterate in insertion order: drop the oldest tenth.
    let n = Math.ceil(this.maxEntries / 10);
    for (const k of m.keys()) {
      m.delete(k);
      if (--n <= 0) break;
    }
  }

  member(id: number, now = Date.now()): MemberRecord | undefined {
    this.trace?.('member');
    const e = this.byId.get(id);
    return this.fresh(e, now) ? e.value : undefined;
  }

  /**
   * The member a handle names (null: nobody), or undefined when not cached. One lookup whether the
   * handle names a member or nobody (issue 15: an unknown handle and a hidden member take one path).
   */
  memberByHandle(handle: string, now = Date.now()): MemberRecord | null | undefined {
    this.trace?.('handle');
    const key = handle.toLowerCase();
    if (this.fresh(this.absent.get(key), now)) return null;
    const e = this.byHandle.get(key);
    if (!this.fresh(e, now)) return undefined;
    const m = this.byId.get(e.value);
    return this.fresh(m, now) ? m.value : undefined;
  }

  /** Caches what a handle names: a member, or nobody. */
  putHandle(handle: string, m: MemberRecord | null, now = Date.now()): void {
    if (m) {
      this.absent.delete(handle.toLowerCase());
      this.put(m, now);
      return;
    }
    this.absent.set(handle.toLowerCase(), { value: true, at: now });
    this.bound(this.absent);
  }

  memberIdByHandle(handle: string, now = Date.now()): number | undefined {
    const e = this.byHandle.get(handle.toLowerCase());
    return this.fresh(e, now) ? e.value : undefined;
  }

  put(m: MemberRecord, now = Date.now()): void {
    this.absent.delete(m.handle.toLowerCase());
    this.byId.delete(m.id);
    this.byId.set(m.id, { value: m, at: now });
    this.byHandle.set(m.handle.toLowerCase(), { value: m.id, at: now });
    this.bound(this.byId);
    this.bound(this.byHandle);
  }

  session(tokenHash: string, now = Date.now()): CachedSession | undefined {
    this.trace?.('session');
    const e = this.sessions.get(tokenHash);
    return this.fresh(e, now) ? e.value : undefined;
  }

  putSession(tokenHash: string, s: CachedSession, now = Date.now()): void {
    this.sessions.set(tokenHash, { value: s, at: now });
    this.bound(this.sessions);
  }

  /** Drops every cached session of a member (password change, sessions revoked, status change). */
  dropSessionsOf(memberId: number): void {
    for (const [hash, s] of this.sessions) if (s.value.memberId === memberId) this.sessions.delete(hash);
  }

  /** Observes every lookup (tests: an unknown handle and a hidden member make the same ones). */
  trace?: (op: string) => void;

  /** Forgets everything (tests). */
  clear(): void {
    this.byId.clear();
    this.byHandle.clear();
    this.absent.clear();
    this.sessions.clear();
  }

  dropSession(tokenHash: string): void {
    this.sessions.delete(tokenHash);
  }

  invalidate(id: number): void {
    const e = this.byId.get(id);
    if (e) this.byHandle.delete(e.value.handle.toLowerCase());
    this.byId.delete(id);
  }

  /** Evicts every member an event names (its member ids and a `memberId` in its payload). */
  onEvents(events: Pick<BusEvent, 'memberIds' | 'payload' | 'type'>[]): void {
    for (const ev of events) {
      for (const id of ev.memberIds) this.invalidate(id);
      const p = ev.payload as { memberId?: unknown };
      if (typeof p?.memberId === 'number') this.invalidate(p.memberId);
      if (ev.type === 'member.status' || ev.type === 'sessions.revoked') for (const id of ev.memberIds) this.dropSessionsOf(id);
      // a new member or page may take a handle cached as naming nobody
      if (ev.type === 'member.created' || ev.type === 'page.created') this.absent.clear();
    }
  }
}

const caches = new WeakMap<Deps, MemberCache>();

/** The read cache of an instance (one per Deps). */
export function cacheOf(deps: Deps): MemberCache {
  let c = caches.get(deps);
  if (!c) {
    c = new MemberCache();
    caches.set(deps, c);
  }
  return c;
}
