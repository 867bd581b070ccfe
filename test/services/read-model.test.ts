/**
 * The read model (src/services/cache.ts, issue 17): with it warm a profile view and the "why can't
 * I message X?" decision read no row; every change is seen at once on the instance that made it and,
 * through the bus, on the others; a read racing a commit never caches what the commit changed; time
 * alone ends what counters say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/services/accounts.js';
import { MemberCache, membersNamed, sessionKeyOfHash } from '../../src/services/cache.js';
import { quotaRowValidUntil } from '../../src/services/facts.js';
import { memberRecord } from '../helpers/members.js';
import { BusGroup } from '../../src/realtime/bus.js';
import { startServer, type Instance } from '../../src/server.js';
import { resolvePolicy } from '../../src/policy/policy.js';
import { ManualClock } from '../../src/util/clock.js';
import { ADMIN_TOKEN, harness, recordStatements, scratchDatabase, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, makeGroup, send, type User } from '../helpers/messaging.js';

const member = (id: number, handle = `m${id}`) => memberRecord(id, handle);

describe('MemberCache (pure)', () => {
  it('an entry filled by a read that began before an invalidation is never kept', () => {
    const c = new MemberCache();
    const stamp = c.stamp();
    c.invalidate(7); // a commit about member 7 lands while the read is in flight
    c.put(member(7), stamp);
    expect(c.member(7)).toBeUndefined();
    c.put(member(7), c.stamp());
    expect(c.member(7)?.id).toBe(7);
  });

  it("a viewer's roster is stale once an event names them; events about others leave it", () => {
    const c = new MemberCache();
    const roster = new Map([[2, { blockedBy: true as const }]]);
    c.putRoster(1, roster, c.stamp());
    c.putRoster(3, roster, c.stamp());
    expect(c.roster(1)).toBe(roster);
    c.onEvents([{ type: 'block.added', memberIds: [5], payload: { blocker: 5, blocked: 1 } }]);
    expect(c.roster(1)).toBeUndefined();
    expect(c.roster(3)).toBe(roster);
    c.onEvents([{ type: 'invitation.received', memberIds: [9], payload: { invitation: { from: { id: '3' }, to: { id: '9' } } } }]);
    expect(c.roster(3)).toBeUndefined();
  });

  it('a message keeps the members it names cached (records), not their rosters; a profile edit ends the record', () => {
    const c = new MemberCache();
    c.put(member(1), c.stamp());
    c.put(member(2), c.stamp());
    c.putRoster(1, new Map(), c.stamp());
    c.onEvents([{ type: 'message.created', memberIds: [1, 2], payload: { conversationId: '5' } }]);
    expect(c.member(1)?.id).toBe(1);
    expect(c.memberByHandle('m2')?.id).toBe(2);
    expect(c.roster(1)).toBeUndefined();
    // and `liaison verify` checks what is served: the records kept
    const held = c.held(Date.now()).filter((x) => x.kind === 'member');
    expect(held.map((x) => (x.kind === 'member' ? x.id : 0)).sort()).toEqual([1, 2]);
    expect(held.every((x) => c.stillHeld(x))).toBe(true);
    for (const type of [
      'member.profile',
      'settings.updated',
      'member.status',
      'member.restricted',
      'member.bulk_flagged',
      'member.subscription',
      'some.new.type',
    ]) {
      c.put(member(1), c.stamp());
      expect(c.member(1)?.id, type).toBe(1);
      c.onEvents([{ type, memberIds: [1], payload: { memberId: 1 } }]);
      expect(c.member(1), type).toBeUndefined();
    }
    // a read that began before a message may still be kept as a record, not as a roster
    const stamp = c.stamp();
    c.onEvents([{ type: 'message.created', memberIds: [1], payload: {} }]);
    c.put(member(1), stamp);
    c.putRoster(1, new Map(), stamp);
    expect(c.member(1)?.id).toBe(1);
    expect(c.roster(1)).toBeUndefined();
  });

  it('counters are used only from their read until they stop being right', () => {
    const c = new MemberCache();
    c.putQuota(1, { row: {}, readAt: 1000, validUntil: 5000 }, c.stamp());
    expect(c.quota(1, 999)).toBeUndefined();
    expect(c.quota(1, 1000)).toBeDefined();
    expect(c.quota(1, 4999)).toBeDefined();
    expect(c.quota(1, 5000)).toBeUndefined();
  });

  it('a handle cached as naming nobody is forgotten when a member or page is created (here or elsewhere)', () => {
    const c = new MemberCache();
    c.putHandle('newcomer', null, c.stamp(), c.createdStamp());
    expect(c.memberByHandle('newcomer')).toBeNull();
    c.onEvents([{ type: 'member.created', memberIds: [8], payload: { memberId: 8 } }]);
    expect(c.memberByHandle('newcomer')).toBeUndefined();
    // and a read that began before the creation does not put "nobody" back
    const created = c.createdStamp();
    c.onEvents([{ type: 'page.created', memberIds: [9], payload: { pageId: 10, adminId: 9 } }]);
    c.putHandle('newcomer', null, c.stamp(), created);
    expect(c.memberByHandle('newcomer')).toBeUndefined();
  });

  it('sessions end with a revocation, also one read before it', () => {
    const c = new MemberCache();
    const s = { memberId: 1, sessionId: 's', lastUsedAt: 0 };
    const h = sessionKeyOfHash(hashToken('a token'));
    const before = c.sessionStamp();
    c.onEvents([{ type: 'sessions.revoked', memberIds: [1], payload: { memberId: 1 } }]);
    c.putSession(h, s, before);
    expect(c.session(h)).toBeUndefined();
    c.putSession(h, s, c.sessionStamp());
    expect(c.session(h)).toMatchObject(s);
    c.onEvents([{ type: 'sessions.revoked', memberIds: [1], payload: { memberId: 1 } }]);
    expect(c.session(h)).toBeUndefined();
  });

  it('is bounded: least recently used entries go first; the generation map stays bounded too', () => {
    const c = new MemberCache({ maxEntries: 100 });
    for (let i = 1; i <= 100; i++) c.put(member(i), c.stamp());
    c.member(1); // used: kept
    c.put(member(101), c.stamp());
    expect(c.member(1)?.id).toBe(1);
    expect(c.member(2)).toBeUndefined();
    // every entry used: the eviction still makes room (their marks are cleared on the way)
    for (let i = 1; i <= 101; i++) c.member(i);
    for (let i = 200; i < 400; i++) c.put(member(i), c.stamp());
    expect((c as unknown as { byId: { size: number } }).byId.size).toBeLessThanOrEqual(100);
    for (let i = 0; i < 1000; i++) c.invalidate(1000 + i);
    expect((c as unknown as { gens: { size: number } }).gens.size).toBeLessThanOrEqual(100);
    // clearing the generation map made every earlier entry stale (it can no longer tell)
    expect(c.member(1)).toBeUndefined();
  });

  it('the handle index follows the member entries: eviction, a new handle, a handle taken over, invalidation', () => {
    const c = new MemberCache({ maxEntries: 10 });
    c.put(member(1, 'Alice'), c.stamp());
    expect(c.memberByHandle('ALICE')?.id).toBe(1);
    // a new handle: the old one names nobody cached any more
    c.put(member(1, 'alice2'), c.stamp());
    expect(c.memberByHandle('alice')).toBeUndefined();
    expect(c.memberByHandle('alice2')?.id).toBe(1);
    // the old handle taken by another member: theirs, and member 1's eviction later leaves it
    c.put(member(2, 'alice'), c.stamp());
    expect(c.memberByHandle('alice')?.id).toBe(2);
    c.invalidate(1);
    expect(c.memberByHandle('alice2')).toBeUndefined();
    expect(c.memberByHandle('alice')?.id).toBe(2);
    // evicted members leave the index with their entries (a lookup by handle counts as a use)
    for (let i = 3; i <= 30; i++) {
      c.memberByHandle('alice');
      c.put(member(i), c.stamp());
    }
    const index = (c as unknown as { byHandle: Map<string, { id: number }> }).byHandle;
    const byId = (c as unknown as { byId: { peek(id: number): unknown } }).byId;
    expect(index.size).toBeLessThanOrEqual(10);
    for (const [handle, e] of index) expect(byId.peek(e.id), handle).toBe(e);
    expect(c.memberByHandle('alice')?.id).toBe(2);
    expect(c.memberByHandle('m3')).toBeUndefined();
    // a read model of one entry: a new entry evicted at once takes its handle with it
    const one = new MemberCache({ maxEntries: 1 });
    one.put(member(1), one.stamp());
    one.member(1);
    one.put(member(2), one.stamp());
    expect(one.memberByHandle('m2')).toBeUndefined();
    expect(one.memberByHandle('m1')?.id).toBe(1);
  });

  it('sessions are kept by the bytes of their token hash; held() names them by the hash', () => {
    const c = new MemberCache();
    const hash = hashToken('a token');
    const h = sessionKeyOfHash(hash);
    expect(h.length).toBe(32);
    c.putSession(h, { memberId: 1, sessionId: 's', lastUsedAt: 5 }, c.sessionStamp());
    expect(c.session(h)).toMatchObject({ memberId: 1, sessionId: 's', lastUsedAt: 5 });
    expect(c.session(sessionKeyOfHash(hashToken('another token')))).toBeUndefined();
    const held = c.held(0);
    expect(held.map((x) => (x.kind === 'session' ? x.tokenHash : x.kind))).toEqual([hash]);
    expect(c.stillHeld(held[0])).toBe(true);
    // only a token hash as the sessions table keeps it makes a key
    for (const bad of ['not a hash', hash.toUpperCase(), hash.slice(1), `${hash}0`]) expect(() => sessionKeyOfHash(bad), bad).toThrow();
    c.dropSession(h);
    expect(c.session(h)).toBeUndefined();
  });

  it("the entries' clock moves its base every 2^29 ms: entries keep their age, those past their TTL go", () => {
    const day = 86_400_000;
    const c = new MemberCache({ ttlMs: 8 * day });
    const inner = c as unknown as { base: number; byId: { peek(id: number): { at: number } | undefined }; byHandle: Map<string, unknown> };
    c.put(member(1), c.stamp());
    c.put(member(2), c.stamp());
    const h = sessionKeyOfHash(hashToken('a token'));
    c.putSession(h, { memberId: 1, sessionId: 's', lastUsedAt: 5 }, c.sessionStamp());
    // seven days pass (the base is moved back instead): member 2's entry was read nine days ago
    inner.base -= 7 * day;
    inner.byId.peek(2)!.at -= 2 * day;
    expect(c.member(1)?.id).toBe(1);
    expect(c.member(2)).toBeUndefined();
    c.put(member(3), c.stamp()); // the clock is past 2^29 ms: its base moves to now
    expect(Date.now() - inner.base).toBeLessThan(60_000);
    expect(inner.byId.peek(3)!.at).toBeLessThan(60_000);
    expect(inner.byId.peek(1)!.at).toBeLessThanOrEqual(-7 * day);
    expect(inner.byId.peek(1)!.at).toBeGreaterThan(-7 * day - 60_000);
    expect(c.member(1)?.id).toBe(1);
    expect(c.session(h)?.memberId).toBe(1);
    expect(inner.byId.peek(2)).toBeUndefined();
    expect(inner.byHandle.has('m2')).toBe(false);
    // and a day later member 1's entry, read eight days ago, is past its TTL
    inner.base -= day;
    expect(c.member(1)).toBeUndefined();
    expect(c.member(3)?.id).toBe(3);
  });

  it('the TTL is a backstop', () => {
    const c = new MemberCache({ ttlMs: 0 });
    c.put(member(1), c.stamp());
    expect(c.member(1)).toBeUndefined();
  });

  it('membersNamed reads every side an event names', () => {
    expect(membersNamed({ memberIds: [1], payload: { a: 2, b: 3 } }).sort()).toEqual([1, 2, 3]);
    expect(membersNamed({ memberIds: [], payload: { follower: 4, followee: 5, by: '6' } }).sort()).toEqual([4, 5, 6]);
    expect(membersNamed({ memberIds: [], payload: { message: { sender: { id: '7' } } } })).toEqual([7]);
  });

  it('counter rows are right until the oldest item leaves its window or the month ends', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const nextMonth = Date.parse('2026-04-01T00:00:00Z');
    expect(quotaRowValidUntil({}, now)).toBe(nextMonth);
    expect(quotaRowValidUntil({ msg1m_oldest: '2026-03-10T11:59:30Z' }, now)).toBe(Date.parse('2026-03-10T12:00:30Z'));
    expect(quotaRowValidUntil({ inv7_oldest: '2026-03-05T00:00:00Z' }, now)).toBe(Date.parse('2026-03-12T00:00:00Z'));
    expect(quotaRowValidUntil({ idk_oldest: '2025-12-20T00:00:00Z' }, now)).toBe(Date.parse('2026-03-20T00:00:00Z'));
    expect(quotaRowValidUntil({ idk_oldest: '2026-01-20T00:00:00Z' }, now)).toBe(nextMonth);
  });
});

describe(`the read model on one instance (${storageKind})`, () => {
  let h: Harness;
  let rec: ReturnType<typeof recordStatements>;
  beforeAll(async () => {
    h = await harness();
    rec = recordStatements(h);
  }, 60_000);
  afterAll(async () => {
    rec?.stop();
    await h?.close();
  });

  const view = (u: User, handle: string) => h.call('GET', `/v1/members/${handle}`, { token: u.token });
  const decision = (u: User, handle: string) => h.call('GET', `/v1/members/${handle}/decisions/message`, { token: u.token });

  it('warm: a profile view and a message decision read no row at all', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const c = await signUp(h);
    await connect(h, a, b);
    await connect(h, b, c); // a and c: 2nd degree, b a mutual and an introduction path
    expect((await view(a, c.handle)).status).toBe(200);
    expect((await decision(a, c.handle)).status).toBe(200);
    rec.clear();
    const again = await view(a, c.handle);
    const why = await decision(a, c.handle);
    expect(again.status).toBe(200);
    expect(again.body.mutualConnections.count).toBe(1);
    expect(why.status).toBe(200);
    expect(rec.list).toEqual([]);
  });

  it('warm: the inbox and a conversation read their members from the read model, not the member rows', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const sent = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'hello' } });
    expect(sent.status).toBe(201);
    const id = sent.body.conversation.id;
    const inbox = () => h.call('GET', '/v1/conversations', { token: b.token });
    const thread = () => h.call('GET', `/v1/conversations/${id}/messages`, { token: b.token });
    expect((await inbox()).status).toBe(200);
    expect((await thread()).status).toBe(200);
    rec.clear();
    const [list, msgs] = [await inbox(), await thread()];
    expect(list.body.items[0].participants.map((p: { handle: string }) => p.handle).sort()).toEqual([a.handle, b.handle].sort());
    expect(msgs.body.items[0].sender.handle).toBe(a.handle);
    // (the hidden-members check of the list, goneFor, reads blocks and statuses from the rows on purpose)
    const memberReads = rec.list.filter((q) => /from "members"|from members\b/.test(q) && !/from blocks/.test(q));
    expect(memberReads, memberReads.join('\n---\n')).toEqual([]);
  });

  it('every change shows at once on the instance that made it: ignore, report, accept, block', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const inv = await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
    expect(inv.status).toBe(201);
    expect((await view(a, b.handle)).body.primaryAction).toBe('accept');
    expect((await h.call('POST', `/v1/invitations/${inv.body.id}/ignore`, { token: a.token })).status).toBe(200);
    // ignored: gone for its recipient (and still pending for its sender)
    expect((await view(a, b.handle)).body.relationship.invitation).toBeNull();
    expect((await view(b, a.handle)).body.primaryAction).toBe('pending');

    // a request accepted: the sender's view of the pair changes with it
    const x = await signUp(h);
    const y = await signUp(h);
    await makeGroup(h, [x, y]);
    const sent = await send(h, x, y, 'hello there');
    expect(sent.status, sent.text).toBe(201);
    expect(sent.body.conversation.state).toBe('request');
    expect((await decision(x, y.handle)).body.allowed).toBe(true); // one follow-up while pending
    expect((await send(h, x, y, 'a follow-up')).status).toBe(201);
    expect((await decision(x, y.handle)).body.reason).toBe('awaiting_response');
    const conv = sent.body.conversation.id;
    expect((await h.call('POST', `/v1/conversations/${conv}/accept`, { token: y.token })).status).toBe(200);
    expect((await decision(x, y.handle)).body.allowed).toBe(true);

    // a block: the profile is gone at once
    expect((await h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } })).status).toBe(201);
    expect((await view(b, a.handle)).status).toBe(404);
  });

  it('counters end with time alone: a minute after the last message the per-minute count is free again', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const perMinute = h.inst.deps.policy.messagesPerMinute;
    for (let i = 0; i < perMinute; i++) expect((await send(h, a, b, `m ${i}`)).status).toBe(201);
    const full = (await decision(a, b.handle)).body;
    expect(full.allowed).toBe(false);
    expect(full.reason).toBe('rate_limited');
    h.clock.set(new Date(h.clock.now().getTime() + 61_000));
    expect((await decision(a, b.handle)).body.allowed).toBe(true);
  });
});

describe.skipIf(storageKind !== 'postgres')('the read model across two instances (PostgreSQL, one bus)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let A: Instance;
  let B: Instance;
  const clock = new ManualClock(new Date('2026-03-10T12:00:00Z'));
  beforeAll(async () => {
    db = await scratchDatabase();
    const group = new BusGroup();
    const config = {
      port: 0,
      host: '127.0.0.1',
      dataDir: 'memory://read-model',
      databaseUrl: db.url,
      policy: resolvePolicy({ sessionIdleDays: 36500, signupsPerHourPerAddress: 1_000_000 }),
      adminToken: ADMIN_TOKEN,
      logLevel: 'silent',
    };
    A = await startServer(config, { clock, listen: false, realtime: { group, pollIntervalMs: 0 } });
    B = await startServer(config, { clock, listen: false, realtime: { group, pollIntervalMs: 0 } });
  }, 60_000);
  afterAll(async () => {
    await A?.close();
    await B?.close();
    await db?.drop();
  });

  const call = async (inst: Instance, method: string, url: string, token?: string, body?: unknown) => {
    const r = await inst.app.inject({
      method: method as never,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      payload: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
  };
  const signUpOn = async (inst: Instance, handle: string) => {
    const r = await call(inst, 'POST', '/v1/accounts', undefined, { handle, name: handle, email: `${handle}@example.test`, password: 'correct horse battery' });
    expect(r.status).toBe(201);
    return { token: r.body.token as string, handle };
  };
  /** The in-process bus delivers in a microtask: let it run. */
  const settle = () => new Promise((r) => setTimeout(r, 50));
  /** `liaison verify` on both instances (the operator route): every entry they hold agrees with the tables. */
  const verifyBoth = async () => {
    await settle();
    for (const inst of [A, B]) {
      const r = await call(inst, 'GET', '/admin/read-model/verify', ADMIN_TOKEN);
      expect(r.status).toBe(200);
      expect(r.body.differences).toEqual([]);
      const counts = Object.values(r.body.kinds as Record<string, { checked: number }>);
      expect(counts.reduce((n, c) => n + c.checked, 0)).toBeGreaterThan(0);
      expect(r.body.kinds.session.checked).toBeGreaterThan(0);
    }
  };

  it("an invitation ignored through A is gone from B's cached profile view; a withdrawal through B shows on A", async () => {
    const a = await signUpOn(A, 'rm_alice');
    const b = await signUpOn(A, 'rm_bob');
    const inv = await call(A, 'POST', '/v1/invitations', b.token, { to: a.handle });
    expect(inv.status).toBe(201);
    await settle();
    // B caches a's view of bob (Accept), and bob's view of a (Pending)
    expect((await call(B, 'GET', `/v1/members/${b.handle}`, a.token)).body.primaryAction).toBe('accept');
    expect((await call(B, 'GET', `/v1/members/${a.handle}`, b.token)).body.primaryAction).toBe('pending');
    expect((await call(A, 'POST', `/v1/invitations/${inv.body.id}/ignore`, a.token)).status).toBe(200);
    await settle();
    expect((await call(B, 'GET', `/v1/members/${b.handle}`, a.token)).body.relationship.invitation).toBeNull();
    // A caches bob's view of alice (still pending for him), then bob withdraws through B
    expect((await call(A, 'GET', `/v1/members/${a.handle}`, b.token)).body.primaryAction).toBe('pending');
    expect((await call(B, 'POST', `/v1/invitations/${inv.body.id}/withdraw`, b.token)).status).toBe(200);
    await settle();
    expect((await call(A, 'GET', `/v1/members/${a.handle}`, b.token)).body.primaryAction).not.toBe('pending');
    await verifyBoth();
  });

  it('a profile edited through A shows on B; a session signed out through A ends on B', async () => {
    const c = await signUpOn(A, 'rm_carol');
    const d = await signUpOn(A, 'rm_dave');
    expect((await call(B, 'GET', `/v1/members/${c.handle}`, d.token)).body.member.headline ?? '').toBe('');
    expect((await call(A, 'PATCH', '/v1/me/profile', c.token, { headline: 'Cartographer' })).status).toBe(200);
    await settle();
    expect((await call(B, 'GET', `/v1/members/${c.handle}`, d.token)).body.member.headline).toBe('Cartographer');
    expect((await call(B, 'GET', '/v1/me', c.token)).status).toBe(200);
    expect((await call(B, 'GET', `/v1/members/${d.handle}`, c.token)).status).toBe(200); // B caches c's session
    expect((await call(A, 'DELETE', '/v1/sessions', c.token)).status).toBeLessThan(300);
    await settle();
    expect((await call(B, 'GET', `/v1/members/${d.handle}`, c.token)).status).toBe(401);
    await verifyBoth();
  });
});
