/**
 * `liaison verify` (issue 17, src/services/cache-verify.ts): a warm instance's read model agrees
 * with the tables; rows written behind the instance's back (raw SQL, no event: what verify is there
 * to catch) show as differences of every kind, through the service, the operator route and the CLI;
 * an entry whose member changes while it is checked is skipped, not reported.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_MODEL_KINDS, type ReadModelReport } from '../../src/contract/index.js';
import { hashToken } from '../../src/services/accounts.js';
import { cacheOf, MemberCache, sessionKeyOfHash } from '../../src/services/cache.js';
import { memberRecord } from '../helpers/members.js';
import { verifyReadModel, type VerifyReport } from '../../src/services/cache-verify.js';
import { ADMIN_TOKEN, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, idOf, type User } from '../helpers/messaging.js';
import { collect, exitOf, runCli } from '../helpers/process.js';

const kinds = READ_MODEL_KINDS;
const total = (r: VerifyReport, k: 'checked' | 'differing' | 'skipped') => kinds.reduce((n, kind) => n + r.kinds[kind][k], 0);
const noWait = { settle: () => Promise.resolve() };

describe('MemberCache.held and stillHeld (pure)', () => {
  it('held lists the entries a read would be served from; stillHeld turns false once their member changes or the entry is replaced', () => {
    const c = new MemberCache();
    c.put(memberRecord(1, 'one'), c.stamp());
    c.putRoster(1, new Map(), c.stamp());
    c.putQuota(1, { row: {}, readAt: 1000, validUntil: 5000 }, c.stamp());
    c.putQuota(2, { row: {}, readAt: 1000, validUntil: 2000 }, c.stamp());
    c.putSession(sessionKeyOfHash(hashToken('a token')), { memberId: 1, sessionId: 's', lastUsedAt: 0 }, c.sessionStamp());
    c.putHandle('nobody', null, c.stamp(), c.createdStamp());
    const held = c.held(3000);
    // member 2's counter row stopped being right at 2000: not served, not held
    expect(held.map((h) => h.kind).sort()).toEqual(['counters', 'handle', 'member', 'roster', 'session']);
    expect(held.every((h) => c.stillHeld(h))).toBe(true);
    c.invalidate(1);
    expect(held.filter((h) => c.stillHeld(h)).map((h) => h.kind)).toEqual(['handle', 'session']);
    expect(
      c
        .held(3000)
        .map((h) => h.kind)
        .sort(),
    ).toEqual(['handle', 'session']);
    c.onEvents([{ type: 'sessions.revoked', memberIds: [1], payload: { memberId: 1 } }]);
    c.onEvents([{ type: 'member.created', memberIds: [3], payload: { memberId: 3 } }]);
    expect(held.filter((h) => c.stillHeld(h))).toEqual([]);
    // a new read of the same key is another entry: the one checked is no longer the one served
    c.put(memberRecord(1, 'one'), c.stamp());
    expect(c.stillHeld(held.find((h) => h.kind === 'member')!)).toBe(false);
    expect(c.held(3000).map((h) => h.kind)).toEqual(['member']);
  });
});

describe(`liaison verify on one instance (${storageKind})`, () => {
  let h: Harness;
  let url: string;
  let a: User, b: User, c: User, d: User;
  beforeAll(async () => {
    h = await harness();
    url = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
    [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    await connect(h, b, c);
    expect((await h.call('POST', '/v1/invitations', { token: c.token, body: { to: d.handle } })).status).toBe(201);
    // reads fill the read model: members, sessions, rosters, counters, a handle naming nobody
    for (const [u, others] of [
      [a, [b, c, d]],
      [b, [a, c]],
      [c, [a, d]],
      [d, [c]],
    ] as const) {
      for (const o of others) {
        expect((await h.call('GET', `/v1/members/${o.handle}`, { token: u.token })).status).toBe(200);
        expect((await h.call('GET', `/v1/members/${o.handle}/decisions/message`, { token: u.token })).status).toBe(200);
      }
    }
    expect((await h.call('GET', '/v1/members/nobody_by_that_name', { token: a.token })).status).toBe(404);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const cli = async (args: string[], env: Record<string, string | undefined> = {}) => {
    const child = runCli(['verify', ...args], { LIAISON_ADMIN_TOKEN: undefined, ...env });
    const out = collect(child);
    const code = await exitOf(child);
    return { code, out: out.out() };
  };

  it('a warm instance verifies clean: every kind checked, nothing differs', async () => {
    const r = await verifyReadModel(h.inst.deps);
    expect(r.differences).toEqual([]);
    for (const k of kinds) expect(r.kinds[k].differing, k).toBe(0);
    expect(r.kinds.member.checked).toBeGreaterThanOrEqual(4);
    expect(r.kinds.session.checked).toBeGreaterThanOrEqual(4);
    expect(r.kinds.roster.checked).toBeGreaterThanOrEqual(4);
    expect(r.kinds.counters.checked).toBeGreaterThanOrEqual(4);
    expect(r.kinds.handle.checked).toBe(1);
    expect(total(r, 'skipped')).toBe(0);
  });

  it('the operator route answers the report (401 without the token) and is not in the OpenAPI document', async () => {
    expect((await h.call('GET', '/admin/read-model/verify')).status).toBe(401);
    expect((await h.call('GET', '/admin/read-model/verify', { token: a.token })).status).toBe(401);
    const r = await h.call('GET', '/admin/read-model/verify', { token: ADMIN_TOKEN });
    expect(r.status, r.text).toBe(200);
    const report = r.body as ReadModelReport;
    expect(report.instance).toEqual(expect.any(String));
    expect(report.differences).toEqual([]);
    expect(report.kinds.member.checked).toBeGreaterThanOrEqual(4);
    const doc = (await h.call('GET', '/v1/openapi.json')).body;
    expect(Object.keys(doc.paths).filter((p) => p.includes('read-model'))).toEqual([]);
  });

  it('the CLI: exit 0 and a readable report when clean; 2 when the instance cannot be reached or refuses the token', async () => {
    const ok = await cli(['--url', url], { LIAISON_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain(`read model of ${url}`);
    expect(ok.out).toMatch(/member\s+\d+ checked\s+0 differing/);
    expect(ok.out).toContain('no differences');
    const refused = await cli(['--url', url, '--token', 'not-the-token']);
    expect(refused.code, refused.out).toBe(2);
    expect(refused.out).toContain('refused the operator token');
    const away = await cli(['--url', 'http://127.0.0.1:9', '--token', ADMIN_TOKEN]);
    expect(away.code, away.out).toBe(2);
    expect(away.out).toContain('cannot reach http://127.0.0.1:9');
  }, 60_000);

  it('rows written behind its back show as differences of every kind; the CLI exits 1 and lists them', async () => {
    const db = h.inst.store.db;
    // no event for any of these: the instance cannot know
    await db.execute(sql`update members set headline = 'Written behind its back' where id = ${idOf(c)}`);
    await db.execute(sql`insert into blocks (blocker, blocked) values (${idOf(d)}, ${idOf(a)})`);
    await db.execute(sql`delete from sessions where member_id = ${idOf(b)}`);
    await db.execute(sql`insert into inmail_ledger (member_id, kind, pool, amount) values (${idOf(c)}, 'purchase', 'purchased', 5)`);
    await db.execute(sql`insert into member_handles (handle, member_id) values ('nobody_by_that_name', ${idOf(d)})`);
    // a second invitation counted that c never sent: c's counter row disagrees with c's history
    await db.execute(sql`insert into member_counters (member_id, invitations_at) values (${idOf(c)}, array[${h.clock.now()}::timestamptz, ${h.clock.now()}::timestamptz])
      on conflict (member_id) do update set invitations_at = excluded.invitations_at`);

    const r = await verifyReadModel(h.inst.deps, noWait);
    const found = r.differences.map((x) => `${x.kind} ${x.handle} ${x.field}`);
    expect(found).toContain(`member ${c.handle} headline`);
    expect(r.differences.find((x) => x.kind === 'member')).toMatchObject({ memberId: c.member.id, cached: '', table: 'Written behind its back' });
    // a's roster: d blocks a now (a pair a shares no other row with... except d's none: a viewed d)
    expect(found).toContain(`roster ${a.handle} pairs[${idOf(d)}]`);
    expect(r.differences.find((x) => x.kind === 'roster' && x.memberId === a.member.id)).toMatchObject({ cached: null, table: { blockedBy: true } });
    // d's roster: the block of a
    expect(found).toContain(`roster ${d.handle} pairs[${idOf(a)}]`);
    expect(found.filter((f) => f.startsWith(`session ${b.handle} session `))).toHaveLength(1);
    expect(found).toContain(`counters ${c.handle} ledger_purchased`);
    expect(r.differences.find((x) => x.field === 'ledger_purchased')).toMatchObject({ cached: 0, table: 5 });
    expect(found).toContain(`handle nobody_by_that_name names`);
    expect(found).toContain(`counter_rows ${c.handle} inv7`);
    expect(r.differences.find((x) => x.kind === 'counter_rows' && x.field === 'inv7')).toMatchObject({ cached: 2, table: 1 });
    for (const k of kinds) expect(r.kinds[k].differing, k).toBeGreaterThan(0);
    expect(r.truncated).toBe(false);
    // bounded: all counted, `limit` listed
    const one = await verifyReadModel(h.inst.deps, { ...noWait, limit: 1 });
    expect(one.differences).toHaveLength(1);
    expect(one.truncated).toBe(true);
    expect(total(one, 'differing')).toBe(total(r, 'differing'));

    const bad = await cli(['--url', url, '--token', ADMIN_TOKEN]);
    expect(bad.code, bad.out).toBe(1);
    expect(bad.out).toMatch(/\d+ entries differ from the tables/);
    expect(bad.out).toContain(`member ${c.member.id} @${c.handle}  headline: cached "", table "Written behind its back"`);
    expect(bad.out).toContain(`handle ${idOf(d)} @nobody_by_that_name  names: cached null, table "member ${idOf(d)}"`);
    expect(bad.out).toContain(`counter_rows ${c.member.id} @${c.handle}  inv7: cached 2, table 1`);
    // the counter row put back (the next tests expect nothing but what they change)
    await db.execute(sql`update member_counters set invitations_at = invitations_at[1:1] where member_id = ${idOf(c)}`);
  }, 60_000);

  it('an entry whose member an event makes stale while it is checked is skipped, not reported', async () => {
    const cache = cacheOf(h.inst.deps);
    // the second look waits for events on their way: one names c (as a profile edit's would)
    const r = await verifyReadModel(h.inst.deps, {
      settle: () => {
        cache.onEvents([{ type: 'member.profile', memberIds: [idOf(c)], payload: { memberId: idOf(c) } }]);
        return Promise.resolve();
      },
    });
    expect(r.differences.filter((x) => x.memberId === c.member.id && x.kind !== 'handle')).toEqual([]);
    expect(r.kinds.member.skipped).toBe(1);
    expect(r.kinds.counters.skipped).toBe(1);
    // the others are still there
    expect(r.differences.map((x) => x.kind)).toEqual(expect.arrayContaining(['roster', 'session', 'handle']));
    // and a read after the event caches the table's row: c's member entry agrees again
    expect((await h.call('GET', `/v1/members/${c.handle}`, { token: a.token })).body.member.headline).toBe('Written behind its back');
    const again = await verifyReadModel(h.inst.deps, noWait);
    expect(again.differences.filter((x) => x.kind === 'member')).toEqual([]);
  });
});

describe(`liaison verify and time (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('an invitation that expired while cached is no difference (the read path drops it at use); entries out of use are not checked', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } })).status).toBe(201);
    expect((await h.call('GET', `/v1/members/${b.handle}`, { token: a.token })).body.primaryAction).toBe('pending');
    expect((await h.call('GET', `/v1/members/${a.handle}`, { token: b.token })).body.primaryAction).toBe('accept');
    const before = await verifyReadModel(h.inst.deps, noWait);
    expect(before.differences).toEqual([]);
    expect(before.kinds.roster.checked).toBe(2);
    expect(before.kinds.counters.checked).toBe(2);
    // past the invitation's expiry: the rosters still hold it, the tables' read no longer does
    h.clock.set(new Date(h.clock.now().getTime() + (h.inst.deps.policy.invitationExpiryDays + 1) * 86_400_000));
    const after = await verifyReadModel(h.inst.deps, noWait);
    expect(after.differences).toEqual([]);
    expect(after.kinds.roster.checked).toBe(2);
    // counter rows past their month and sessions idle past a minute are not served: not checked
    expect(after.kinds.counters.checked).toBe(0);
    expect(after.kinds.session.checked).toBe(0);
  });
});
