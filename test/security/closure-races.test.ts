/**
 * Races against account closure, group admin rules and invitation answers (found by a reviewer, issue
 * 10's method): each repeated on fresh members and checked against the tables afterwards. They show
 * on PostgreSQL (DATABASE_URL), where the requests run in parallel; on PGlite they interleave on one
 * connection and pass trivially. Deadlocks are counted by liaison_transaction_retries_total.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { makeGroup, type User } from '../helpers/messaging.js';
import { invariantViolations } from './invariants.js';

const ROUNDS = Number(process.env.LIAISON_RACE_ROUNDS ?? 10);
let h: Harness;
const tally = new Map<string, string>();
let seq = 0;

async function rows<T = Record<string, unknown>>(q: ReturnType<typeof sql>): Promise<T[]> {
  return ((await h.inst.store.db.execute(q)) as unknown as { rows: T[] }).rows;
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idOf = (u: User) => Number(u.member.id);
const deadlocks = async () => {
  const text = (await h.call('GET', '/metrics')).text;
  return [...text.matchAll(/^liaison_transaction_retries_total\{code="40P01"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
};

beforeAll(async () => {
  h = await harness();
}, 120_000);

afterAll(async () => {
  console.log(`closure races (${storageKind}): ${[...tally].map(([k, v]) => `${k}: ${v}`).join(' | ')}`);
  await h?.close();
});

async function approvalGroup(admin: User): Promise<string> {
  const g = await h.call('POST', '/v1/groups', { token: admin.token, body: { name: 'g', joinPolicy: 'approval' } });
  expect(g.status, g.text).toBe(201);
  return g.body.id as string;
}

describe('closure races', () => {
  it('B follows A while A closes: no follow row may name a closed member (DOMAIN.md 1)', async () => {
    let bad = 0;
    const statuses: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      const [closed, followed] = await Promise.all([
        h.call('POST', '/v1/me/close', { token: a.token }),
        pause(round % 3).then(() => h.call('POST', '/v1/follows', { token: b.token, body: { handle: a.handle } })),
      ]);
      expect(closed.status, closed.text).toBe(200);
      statuses.push(String(followed.status));
      const left = await rows(sql`select 1 from follows where followee = ${idOf(a)} or follower = ${idOf(a)}`);
      if (left.length) bad++;
    }
    tally.set('close_vs_follow', `${bad}/${ROUNDS} violations, follow statuses ${statuses.join(',')}`);
    expect(bad, 'rounds leaving a follow of a closed member').toBe(0);
  });

  it('B invites A while A closes: no open invitation may name a closed member (DOMAIN.md 1)', async () => {
    let bad = 0;
    const statuses: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      const [closed, invited] = await Promise.all([
        h.call('POST', '/v1/me/close', { token: a.token }),
        pause(round % 3).then(() => h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } })),
      ]);
      expect(closed.status, closed.text).toBe(200);
      statuses.push(String(invited.status));
      const left = await rows(sql`select 1 from invitations where (to_id = ${idOf(a)} or from_id = ${idOf(a)}) and status in ('pending','ignored')`);
      if (left.length) bad++;
    }
    tally.set('close_vs_invite', `${bad}/${ROUNDS} violations, invite statuses ${statuses.join(',')}`);
    expect(bad, 'rounds leaving an open invitation to a closed member').toBe(0);
  });

  it("an admin approves A's join request while A closes: a closed member never holds a group place (DOMAIN.md 1)", async () => {
    let bad = 0;
    const statuses: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const admin = await signUp(h);
      const a = await signUp(h);
      const g = await h.call('POST', '/v1/groups', { token: admin.token, body: { name: 'g', joinPolicy: 'approval' } });
      expect(g.status, g.text).toBe(201);
      const j = await h.call('POST', `/v1/groups/${g.body.id}/members`, { token: a.token });
      expect(j.status, j.text).toBe(202);
      const [closed, approved] = await Promise.all([
        h.call('POST', '/v1/me/close', { token: a.token }),
        pause(round % 3).then(() => h.call('POST', `/v1/groups/${g.body.id}/requests/${a.handle}/approve`, { token: admin.token })),
      ]);
      expect(closed.status, closed.text).toBe(200);
      statuses.push(String(approved.status));
      const left = await rows(sql`select 1 from group_members where member_id = ${idOf(a)}`);
      if (left.length) bad++;
    }
    tally.set('close_vs_approve', `${bad}/${ROUNDS} violations, approve statuses ${statuses.join(',')}`);
    expect(bad, 'rounds leaving a closed member in a group').toBe(0);
  });

  it('two admins of a group close at once: the group keeps an admin (DOMAIN.md 2)', async () => {
    let bad = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const x = await signUp(h);
      const y = await signUp(h);
      const z = await signUp(h);
      const gid = await makeGroup(h, [x, y, z]);
      const ad = await h.call('POST', `/v1/groups/${gid}/admins`, { token: x.token, body: { handle: y.handle } });
      expect(ad.status, ad.text).toBeLessThan(300);
      const [cx, cy] = await Promise.all([
        h.call('POST', '/v1/me/close', { token: x.token }),
        pause(round % 3).then(() => h.call('POST', '/v1/me/close', { token: y.token })),
      ]);
      expect(cx.status, cx.text).toBe(200);
      expect(cy.status, cy.text).toBe(200);
      const admins = await rows(sql`select member_id from group_members where group_id = ${gid} and admin`);
      const membersLeft = await rows(sql`select member_id from group_members where group_id = ${gid}`);
      if (membersLeft.length > 0 && admins.length === 0) bad++;
    }
    tally.set('two_admins_close', `${bad}/${ROUNDS} groups left with members and no admin`);
    expect(bad, 'groups left without an admin').toBe(0);
  });

  it('an admin closes while the other admin leaves: the group keeps an admin (DOMAIN.md 2)', async () => {
    let bad = 0;
    const statuses: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const x = await signUp(h);
      const y = await signUp(h);
      const z = await signUp(h);
      const gid = await makeGroup(h, [x, y, z]);
      const ad = await h.call('POST', `/v1/groups/${gid}/admins`, { token: x.token, body: { handle: y.handle } });
      expect(ad.status, ad.text).toBeLessThan(300);
      const [cx, ly] = await Promise.all([
        h.call('POST', '/v1/me/close', { token: x.token }),
        pause(round % 3).then(() => h.call('DELETE', `/v1/groups/${gid}/members/me`, { token: y.token })),
      ]);
      expect(cx.status, cx.text).toBe(200);
      statuses.push(String(ly.status));
      const admins = await rows(sql`select member_id from group_members where group_id = ${gid} and admin`);
      const membersLeft = await rows(sql`select member_id from group_members where group_id = ${gid}`);
      if (membersLeft.length > 0 && admins.length === 0) bad++;
    }
    tally.set('admin_close_vs_admin_leave', `${bad}/${ROUNDS} groups left with members and no admin, leave statuses ${statuses.join(',')}`);
    expect(bad, 'groups left without an admin').toBe(0);
  });
});

describe('closure races, more', () => {
  it('the sole admin closes while someone joins the open group: the group keeps an admin (DOMAIN.md 2)', async () => {
    let bad = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const x = await signUp(h);
      const w = await signUp(h);
      const g = await h.call('POST', '/v1/groups', { token: x.token, body: { name: 'solo' } });
      const gid = Number(g.body.id);
      const [cx, jw] = await Promise.all([
        h.call('POST', '/v1/me/close', { token: x.token }),
        pause(round % 3).then(() => h.call('POST', `/v1/groups/${gid}/members`, { token: w.token })),
      ]);
      expect(cx.status, cx.text).toBe(200);
      // joined before the closure (and the heir), or after it (the group went with its last member)
      expect([204, 404], jw.text).toContain(jw.status);
      const admins = await rows(sql`select 1 from group_members where group_id = ${gid} and admin`);
      const left = await rows(sql`select 1 from group_members where group_id = ${gid}`);
      if (left.length > 0 && admins.length === 0) bad++;
    }
    tally.set('sole_admin_close_vs_join', `${bad}/${ROUNDS} groups with members and no admin`);
    expect(bad).toBe(0);
  });

  it('a member accepts an invitation / follows while closing (two tabs): no connection or follow for a closed member (DOMAIN.md 1)', async () => {
    let badConn = 0;
    let badFollow = 0;
    const st: string[] = [];
    const retries = async () => {
      const text = (await h.call('GET', '/metrics')).text;
      return [...text.matchAll(/^liaison_transaction_retries_total\{code="(\w+)"\} (\d+)/gm)].map((m) => `${m[1]}=${m[2]}`).join(',');
    };
    const r0 = await retries();
    for (let round = 0; round < ROUNDS; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      const c = await signUp(h);
      const inv = await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
      expect(inv.status, inv.text).toBe(201);
      const [closed, acc, fol] = await Promise.all([
        h.call('POST', '/v1/me/close', { token: a.token }),
        pause(round % 3).then(() => h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: a.token })),
        pause(round % 2).then(() => h.call('POST', '/v1/follows', { token: a.token, body: { handle: c.handle } })),
      ]);
      expect(closed.status, closed.text).toBe(200);
      st.push(`${acc.status}/${fol.status}`);
      if ((await rows(sql`select 1 from connections where a = ${idOf(a)} or b = ${idOf(a)}`)).length) badConn++;
      if ((await rows(sql`select 1 from follows where follower = ${idOf(a)} or followee = ${idOf(a)}`)).length) badFollow++;
    }
    tally.set(
      'close_vs_own_accept_follow',
      `connections ${badConn}/${ROUNDS}, follows ${badFollow}/${ROUNDS}, accept/follow statuses ${st.join(',')}, retries before ${r0} after ${await retries()}`,
    );
    expect([badConn, badFollow]).toEqual([0, 0]);
  });
});

describe('group races', () => {
  it('switching to open while a member asks to join: no request is left pending in an open group (DOMAIN.md 2)', async () => {
    let bad = 0;
    const statuses: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const admin = await signUp(h);
      const a = await signUp(h);
      const gid = await approvalGroup(admin);
      const [sw, joined] = await Promise.all([
        h.call('PATCH', `/v1/groups/${gid}`, { token: admin.token, body: { joinPolicy: 'open' } }),
        pause(round % 3).then(() => h.call('POST', `/v1/groups/${gid}/members`, { token: a.token })),
      ]);
      expect(sw.status, sw.text).toBe(200);
      statuses.push(String(joined.status));
      const pending = await rows(sql`select 1 from group_requests where group_id = ${Number(gid)}`);
      const [g] = await rows<{ join_policy: string }>(sql`select join_policy from groups where id = ${Number(gid)}`);
      if (g!.join_policy === 'open' && pending.length) bad++;
    }
    tally.set('open_vs_join', `${bad}/${ROUNDS} requests stuck pending in an open group, join statuses ${statuses.join(',')}`);
    expect(bad).toBe(0);
  });

  it('a member withdraws their join request while an admin approves it: the acknowledged withdrawal holds', async () => {
    let bad = 0;
    const statuses: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const admin = await signUp(h);
      const a = await signUp(h);
      const gid = await approvalGroup(admin);
      const j = await h.call('POST', `/v1/groups/${gid}/members`, { token: a.token });
      expect(j.status, j.text).toBe(202);
      const [withdrew, approved] = await Promise.all([
        pause(round % 4).then(() => h.call('DELETE', `/v1/groups/${gid}/members/me`, { token: a.token })),
        h.call('POST', `/v1/groups/${gid}/requests/${a.handle}/approve`, { token: admin.token }),
      ]);
      statuses.push(`${withdrew.status}/${approved.status}`);
      const member = await rows(sql`select 1 from group_members where group_id = ${Number(gid)} and member_id = ${idOf(a)}`);
      // both answered success, yet the withdrawal (204) did not hold: the member is in
      if (withdrew.status === 204 && approved.status === 204 && member.length) bad++;
    }
    tally.set('withdraw_vs_approve', `${bad}/${ROUNDS} member in after a 204 withdrawal and a 204 approval, statuses ${statuses.join(',')}`);
    expect(bad).toBe(0);
  });
});

describe('closure self-races (two tabs of one member)', () => {
  it('a member joins a group / creates a page while closing: no place left for a closed member (DOMAIN.md 1)', async () => {
    let badGroup = 0;
    let badPage = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const owner = await signUp(h);
      const a = await signUp(h);
      const g = await h.call('POST', '/v1/groups', { token: owner.token, body: { name: 'open' } });
      const [closed, joined, page] = await Promise.all([
        h.call('POST', '/v1/me/close', { token: a.token }),
        pause(round % 3).then(() => h.call('POST', `/v1/groups/${g.body.id}/members`, { token: a.token })),
        pause(round % 2).then(() => h.call('POST', '/v1/pages', { token: a.token, body: { handle: `pbpage_${process.pid % 1000}_${++seq}`, name: 'P' } })),
      ]);
      expect(closed.status, closed.text).toBe(200);
      void joined;
      void page;
      if ((await rows(sql`select 1 from group_members where member_id = ${idOf(a)}`)).length) badGroup++;
      if ((await rows(sql`select 1 from page_admins where member_id = ${idOf(a)}`)).length) badPage++;
    }
    tally.set('close_vs_own_join_and_page', `group places ${badGroup}/${ROUNDS}, page adminships ${badPage}/${ROUNDS}`);
    expect([badGroup, badPage]).toEqual([0, 0]);
  });
});

describe('invitation verbs vs block / close', () => {
  for (const other of ['block', 'close'] as const)
    for (const verb of ['accept', 'withdraw'] as const)
      it(`${verb} racing the inviter's/invitee's ${other}: no deadlock, no 500, no connection next to a block/closure`, async () => {
        const before = await deadlocks();
        const st: string[] = [];
        let bad = 0;
        const t0 = Date.now();
        for (let round = 0; round < ROUNDS; round++) {
          const a = await signUp(h);
          const b = await signUp(h);
          const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
          expect(inv.status, inv.text).toBe(201);
          // accept: b accepts while a blocks b / a closes; withdraw: a withdraws while b blocks a / b closes
          const actor = verb === 'accept' ? b : a;
          const rival = verb === 'accept' ? a : b;
          const [x, y] = await Promise.all([
            pause(round % 3).then(() => h.call('POST', `/v1/invitations/${inv.body.id}/${verb}`, { token: actor.token })),
            other === 'block'
              ? h.call('POST', '/v1/blocks', { token: rival.token, body: { handle: actor.handle } })
              : h.call('POST', '/v1/me/close', { token: rival.token }),
          ]);
          st.push(`${x.status}/${y.status}`);
          if (x.status >= 500 || y.status >= 500) bad++;
          const lo = Math.min(idOf(a), idOf(b));
          const hi = Math.max(idOf(a), idOf(b));
          if ((await rows(sql`select 1 from connections where a = ${lo} and b = ${hi}`)).length) bad++;
        }
        const n = (await deadlocks()) - before;
        tally.set(`${verb}_vs_${other}`, `${n} deadlocks retried in ${ROUNDS} rounds (${Date.now() - t0} ms), statuses ${st.join(',')}, bad ${bad}`);
        expect(bad).toBe(0);
        expect(n, 'deadlocks').toBe(0);
      });
});

describe('after the races', () => {
  it('every data invariant holds', async () => {
    expect(await invariantViolations(h)).toEqual([]);
  });
});
