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
import { any as anyRow, pause, rounds as runRounds } from './races.js';

let h: Harness;
const tally = new Map<string, string>();
let seq = 0;

const idOf = (u: User) => Number(u.member.id);
const close = (u: User) => h.call('POST', '/v1/me/close', { token: u.token });
const any = (q: ReturnType<typeof sql>) => anyRow(h, q);
const rounds = (name: string, rule: string, round: (i: number) => Promise<{ statuses: number[]; broke: boolean }>) => runRounds(h, tally, name, rule, round);

/** Whether the group has members and no admin (DOMAIN.md 2: the last admin cannot leave). */
const adminless = (gid: number | string) =>
  any(sql`select 1 from group_members where group_id = ${Number(gid)} having count(*) > 0 and count(*) filter (where admin) = 0`);

async function groupOf(admin: User, joinPolicy: 'open' | 'approval'): Promise<string> {
  const g = await h.call('POST', '/v1/groups', { token: admin.token, body: { name: 'g', joinPolicy } });
  expect(g.status, g.text).toBe(201);
  return g.body.id as string;
}

/** x, y (both admins) and z in a group. */
async function twoAdmins(): Promise<{ x: User; y: User; gid: number }> {
  const [x, y, z] = [await signUp(h), await signUp(h), await signUp(h)];
  const gid = await makeGroup(h, [x, y, z]);
  const ad = await h.call('POST', `/v1/groups/${gid}/admins`, { token: x.token, body: { handle: y.handle } });
  expect(ad.status, ad.text).toBeLessThan(300);
  return { x, y, gid: Number(gid) };
}

beforeAll(async () => {
  h = await harness();
}, 120_000);

afterAll(async () => {
  console.log(`closure races (${storageKind}): ${[...tally].map(([k, v]) => `${k}: ${v}`).join(' | ')}`);
  await h?.close();
});

describe('closure races (DOMAIN.md 1: a closed member holds no place anywhere)', () => {
  it('B follows A while A closes: no follow names a closed member', () =>
    rounds('close_vs_follow', 'no follow of a closed member', async (i) => {
      const [a, b] = [await signUp(h), await signUp(h)];
      const [closed, followed] = await Promise.all([
        close(a),
        pause(i % 3).then(() => h.call('POST', '/v1/follows', { token: b.token, body: { handle: a.handle } })),
      ]);
      return { statuses: [closed.status, followed.status], broke: await any(sql`select 1 from follows where ${idOf(a)} in (follower, followee)`) };
    }));

  it('B invites A while A closes: no open invitation names a closed member', () =>
    rounds('close_vs_invite', 'no open invitation of a closed member', async (i) => {
      const [a, b] = [await signUp(h), await signUp(h)];
      const [closed, invited] = await Promise.all([
        close(a),
        pause(i % 3).then(() => h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } })),
      ]);
      const open = await any(sql`select 1 from invitations where ${idOf(a)} in (to_id, from_id) and status in ('pending','ignored')`);
      return { statuses: [closed.status, invited.status], broke: open };
    }));

  it("an admin approves A's join request while A closes: A holds no group place", () =>
    rounds('close_vs_approve', 'no group place of a closed member', async (i) => {
      const [admin, a] = [await signUp(h), await signUp(h)];
      const gid = await groupOf(admin, 'approval');
      expect((await h.call('POST', `/v1/groups/${gid}/members`, { token: a.token })).status).toBe(202);
      const [closed, approved] = await Promise.all([
        close(a),
        pause(i % 3).then(() => h.call('POST', `/v1/groups/${gid}/requests/${a.handle}/approve`, { token: admin.token })),
      ]);
      return { statuses: [closed.status, approved.status], broke: await any(sql`select 1 from group_members where member_id = ${idOf(a)}`) };
    }));

  it('A accepts an invitation and follows someone while closing (two tabs): no connection or follow for closed A', () =>
    rounds('close_vs_own_accept_follow', 'no connection or follow of a closed member', async (i) => {
      const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
      const inv = await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
      expect(inv.status, inv.text).toBe(201);
      const answers = await Promise.all([
        close(a),
        pause(i % 3).then(() => h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: a.token })),
        pause(i % 2).then(() => h.call('POST', '/v1/follows', { token: a.token, body: { handle: c.handle } })),
      ]);
      const broke =
        (await any(sql`select 1 from connections where ${idOf(a)} in (a, b)`)) ||
        (await any(sql`select 1 from follows where ${idOf(a)} in (follower, followee)`));
      return { statuses: answers.map((r) => r.status), broke };
    }));

  it('A joins a group and creates a page while closing (two tabs): no group place or page for closed A', () =>
    rounds('close_vs_own_join_and_page', 'no group place or page of a closed member', async (i) => {
      const [owner, a] = [await signUp(h), await signUp(h)];
      const gid = await groupOf(owner, 'open');
      const answers = await Promise.all([
        close(a),
        pause(i % 3).then(() => h.call('POST', `/v1/groups/${gid}/members`, { token: a.token })),
        pause(i % 2).then(() => h.call('POST', '/v1/pages', { token: a.token, body: { handle: `racepage_${process.pid % 1000}_${++seq}`, name: 'P' } })),
      ]);
      const broke =
        (await any(sql`select 1 from group_members where member_id = ${idOf(a)}`)) || (await any(sql`select 1 from page_admins where member_id = ${idOf(a)}`));
      return { statuses: answers.map((r) => r.status), broke };
    }));
});

describe('group races (DOMAIN.md 2)', () => {
  it('two admins of a group close at once: the group keeps an admin', () =>
    rounds('two_admins_close', 'a group keeps an admin', async (i) => {
      const { x, y, gid } = await twoAdmins();
      const answers = await Promise.all([close(x), pause(i % 3).then(() => close(y))]);
      return { statuses: answers.map((r) => r.status), broke: await adminless(gid) };
    }));

  it('an admin closes while the other admin leaves: the group keeps an admin', () =>
    rounds('admin_close_vs_admin_leave', 'a group keeps an admin', async (i) => {
      const { x, y, gid } = await twoAdmins();
      const answers = await Promise.all([close(x), pause(i % 3).then(() => h.call('DELETE', `/v1/groups/${gid}/members/me`, { token: y.token }))]);
      return { statuses: answers.map((r) => r.status), broke: await adminless(gid) };
    }));

  it('the sole admin closes while someone joins the open group: the group keeps an admin (or is gone)', () =>
    rounds('sole_admin_close_vs_join', 'a group keeps an admin', async (i) => {
      const [x, w] = [await signUp(h), await signUp(h)];
      const gid = await groupOf(x, 'open');
      const [cx, jw] = await Promise.all([close(x), pause(i % 3).then(() => h.call('POST', `/v1/groups/${gid}/members`, { token: w.token }))]);
      // joined before the closure (and became its heir), or after it (the group went with its last member)
      expect([204, 404], jw.text).toContain(jw.status);
      return { statuses: [cx.status, jw.status], broke: await adminless(gid) };
    }));

  it('switching to open while a member asks to join: no request is left pending in an open group', () =>
    rounds('open_vs_join', 'switching to open approves what is pending', async (i) => {
      const [admin, a] = [await signUp(h), await signUp(h)];
      const gid = await groupOf(admin, 'approval');
      const answers = await Promise.all([
        h.call('PATCH', `/v1/groups/${gid}`, { token: admin.token, body: { joinPolicy: 'open' } }),
        pause(i % 3).then(() => h.call('POST', `/v1/groups/${gid}/members`, { token: a.token })),
      ]);
      const stuck = await any(sql`select 1 from group_requests r join groups g on g.id = r.group_id where g.id = ${Number(gid)} and g.join_policy = 'open'`);
      return { statuses: answers.map((r) => r.status), broke: stuck };
    }));

  it('a member asks to join again (a double tap) while an admin approves or opens the group: one lock order (no deadlock), the member in', () =>
    rounds('join_again_vs_approve', 'the member is in, without a deadlock', async (i) => {
      const [admin, a] = [await signUp(h), await signUp(h)];
      const gid = await groupOf(admin, 'approval');
      expect((await h.call('POST', `/v1/groups/${gid}/members`, { token: a.token })).status).toBe(202);
      const answers = await Promise.all([
        pause(i % 3).then(() => h.call('POST', `/v1/groups/${gid}/members`, { token: a.token })),
        i % 2 === 0
          ? h.call('POST', `/v1/groups/${gid}/requests/${a.handle}/approve`, { token: admin.token })
          : h.call('PATCH', `/v1/groups/${gid}`, { token: admin.token, body: { joinPolicy: 'open' } }),
      ]);
      return {
        statuses: answers.map((r) => r.status),
        broke: !(await any(sql`select 1 from group_members where group_id = ${Number(gid)} and member_id = ${idOf(a)}`)),
      };
    }));

  it('a member withdraws their join request while an admin approves it: an acknowledged withdrawal holds', () =>
    rounds('withdraw_vs_approve', 'a 204 withdrawal holds', async (i) => {
      const [admin, a] = [await signUp(h), await signUp(h)];
      const gid = await groupOf(admin, 'approval');
      expect((await h.call('POST', `/v1/groups/${gid}/members`, { token: a.token })).status).toBe(202);
      const [withdrew, approved] = await Promise.all([
        pause(i % 4).then(() => h.call('DELETE', `/v1/groups/${gid}/members/me`, { token: a.token })),
        h.call('POST', `/v1/groups/${gid}/requests/${a.handle}/approve`, { token: admin.token }),
      ]);
      const member = await any(sql`select 1 from group_members where group_id = ${Number(gid)} and member_id = ${idOf(a)}`);
      return { statuses: [withdrew.status, approved.status], broke: withdrew.status === 204 && approved.status === 204 && member };
    }));
});

describe('invitation answers vs block / close: one lock order (no deadlock), no connection next to a block or a closure', () => {
  for (const other of ['block', 'close'] as const)
    for (const verb of ['accept', 'withdraw'] as const)
      it(`${verb} racing the other side's ${other}`, () =>
        rounds(`${verb}_vs_${other}`, 'no connection next to a block or a closure', async (i) => {
          const [a, b] = [await signUp(h), await signUp(h)];
          const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
          expect(inv.status, inv.text).toBe(201);
          // accept: b accepts while a blocks b / a closes; withdraw: a withdraws while b blocks a / b closes
          const [actor, rival] = verb === 'accept' ? [b, a] : [a, b];
          const answers = await Promise.all([
            pause(i % 3).then(() => h.call('POST', `/v1/invitations/${inv.body.id}/${verb}`, { token: actor.token })),
            other === 'block' ? h.call('POST', '/v1/blocks', { token: rival.token, body: { handle: actor.handle } }) : close(rival),
          ]);
          const [lo, hi] = [Math.min(idOf(a), idOf(b)), Math.max(idOf(a), idOf(b))];
          return { statuses: answers.map((r) => r.status), broke: await any(sql`select 1 from connections where a = ${lo} and b = ${hi}`) };
        }));
});

describe('after the races', () => {
  it('every data invariant holds', async () => {
    expect(await invariantViolations(h)).toEqual([]);
  });
});
