/**
 * Notifications, request filters and open-to flags (issue 19; DOMAIN.md 7 and 9; API.md
 * Notification, Settings.openTo/requestFilters/notifications, GET /v1/notifications,
 * POST /v1/notifications/read, GET /v1/me unread, the filtered folder). On PGlite, and on
 * PostgreSQL with DATABASE_URL.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, citusUrl, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, count, makeGroup, makePage, send, setTier, settings, type User } from '../helpers/messaging.js';
import {
  activeMembersSql,
  blocksBetweenSql,
  groupActorsSql,
  groupsPageSql,
  liveConversationsSql,
  unreadGroupsSql,
  unreadSidesSql,
} from '../../src/services/notifications.js';

const DAY = 86_400_000;

async function notes(h: Harness, u: User, q = ''): Promise<any[]> {
  const r = await h.call('GET', `/v1/notifications${q}`, { token: u.token });
  expect(r.status, r.text).toBe(200);
  return r.body.items;
}
async function unread(h: Harness, u: User) {
  const r = await h.call('GET', '/v1/me', { token: u.token });
  expect(r.status, r.text).toBe(200);
  return r.body.unread as { notifications: number; inbox: number; requests: number; filtered: number };
}
async function invite(h: Harness, from: User, to: User) {
  const r = await h.call('POST', '/v1/invitations', { token: from.token, body: { to: to.handle } });
  expect(r.status, r.text).toBe(201);
  return r.body.id as string;
}
async function accept(h: Harness, u: User, id: string) {
  const r = await h.call('POST', `/v1/invitations/${id}/accept`, { token: u.token });
  expect(r.status, r.text).toBe(200);
}
const handles = (n: any) => n.actors.map((a: any) => a.handle);

describe(`notifications (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ now: '2026-03-10T09:00:00Z' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an invitation received notifies its recipient; a second one the same UTC day updates the group (count, actors newest first, on top, unread again)', async () => {
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const inv = await invite(h, a, b);
    let list = await notes(h, b);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: expect.stringMatching(/^[0-9]+$/),
      kind: 'invitation.received',
      count: 1,
      subject: { invitationId: inv },
      read: false,
      createdAt: h.clock.now().toISOString(),
    });
    expect(handles(list[0])).toEqual([a.handle]);
    expect((await unread(h, b)).notifications).toBe(1);

    // something else on top, then the invitation group is read
    await setTier(h, b, 'career');
    list = await notes(h, b);
    expect(list.map((n) => n.kind)).toEqual(['credits.granted', 'invitation.received']);
    const r = await h.call('POST', '/v1/notifications/read', { token: b.token, body: { upTo: list[0].id } });
    expect(r.status, r.text).toBe(204);
    expect((await unread(h, b)).notifications).toBe(0);
    expect((await notes(h, b)).every((n) => n.read)).toBe(true);

    // an update to the read group: unread, on top, one more, actors newest first
    h.clock.advance(60_000);
    await invite(h, c, b);
    h.clock.advance(60_000);
    await invite(h, d, b);
    list = await notes(h, b);
    expect(list.map((n) => n.kind)).toEqual(['invitation.received', 'credits.granted']);
    expect(list[0]).toMatchObject({ count: 3, read: false, createdAt: h.clock.now().toISOString() });
    expect(handles(list[0])).toEqual([d.handle, c.handle, a.handle]);
    expect(list[1].read).toBe(true);
    expect((await unread(h, b)).notifications).toBe(1);
  });

  it("a grouped invitation.received names the invitation of its newest visible actor (found by a member probe: it named a hidden inviter's)", async () => {
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const fromA = await invite(h, a, b);
    h.clock.advance(60_000);
    const fromC = await invite(h, c, b);
    h.clock.advance(60_000);
    await invite(h, d, b);
    // d becomes hidden from b (d deactivates): the group shows a and c, and names c's invitation
    expect((await h.call('POST', '/v1/me/deactivate', { token: d.token })).status).toBe(200);
    let [n] = (await notes(h, b)).filter((x) => x.kind === 'invitation.received');
    expect(handles(n)).toEqual([c.handle, a.handle]);
    expect(n.subject).toEqual({ invitationId: fromC });
    // c blocks b: a is the newest visible actor left
    expect((await h.call('POST', '/v1/blocks', { token: c.token, body: { handle: b.handle } })).status).toBe(201);
    [n] = (await notes(h, b)).filter((x) => x.kind === 'invitation.received');
    expect(handles(n)).toEqual([a.handle]);
    expect(n.subject).toEqual({ invitationId: fromA });
  });

  it('a page.request group names the conversation of its newest visible sender', async () => {
    const [admin, x, y] = [await signUp(h), await signUp(h), await signUp(h)];
    const page = `pg_${admin.handle}`.slice(0, 30);
    await makePage(h, page, [admin]);
    const fromX = await send(h, x, page, 'hello from x');
    h.clock.advance(60_000);
    const fromY = await send(h, y, page, 'hello from y');
    expect([fromX.status, fromY.status]).toEqual([201, 201]);
    let [n] = (await notes(h, admin)).filter((k) => k.kind === 'page.request');
    expect([handles(n), n.subject.conversationId]).toEqual([[y.handle, x.handle], fromY.body.conversation.id]);
    expect((await h.call('POST', '/v1/me/deactivate', { token: y.token })).status).toBe(200);
    [n] = (await notes(h, admin)).filter((k) => k.kind === 'page.request');
    expect([handles(n), n.subject.conversationId]).toEqual([[x.handle], fromX.body.conversation.id]);
  });

  it('a grouped invitation.accepted names the invitation of its newest visible accepter', async () => {
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const ids: string[] = [];
    for (const o of [b, c, d]) {
      const id = await invite(h, a, o);
      ids.push(id);
      h.clock.advance(60_000);
      await accept(h, o, id);
    }
    let [n] = (await notes(h, a)).filter((x) => x.kind === 'invitation.accepted');
    expect([handles(n), n.subject]).toEqual([[d.handle, c.handle, b.handle], { invitationId: ids[2] }]);
    expect((await h.call('POST', '/v1/me/deactivate', { token: d.token })).status).toBe(200);
    [n] = (await notes(h, a)).filter((x) => x.kind === 'invitation.accepted');
    expect([handles(n), n.subject]).toEqual([[c.handle, b.handle], { invitationId: ids[1] }]);
  });

  it("an earlier day's invitation.received keeps naming that day's invitation after a new one from the same member (found by a reviewer)", async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    const first = await invite(h, a, b);
    expect((await h.call('POST', `/v1/invitations/${first}/accept`, { token: b.token })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/connections/${b.handle}`, { token: a.token })).status).toBe(204);
    h.clock.advance(30 * DAY);
    const r = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    expect(r.status, r.text).toBe(201);
    const subjects = (await notes(h, b)).filter((x) => x.kind === 'invitation.received').map((x) => x.subject);
    expect(subjects).toEqual([{ invitationId: r.body.id }, { invitationId: first }]);
  });

  it('"Ann and 3 others accepted your invitations": invitation.accepted groups by UTC day, at most 3 actors', async () => {
    const ann = await signUp(h);
    const others = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const ids = [];
    for (const o of others) ids.push(await invite(h, ann, o));
    for (const [i, o] of others.entries()) {
      h.clock.advance(1000);
      await accept(h, o, ids[i]!);
    }
    let list = (await notes(h, ann)).filter((n) => n.kind === 'invitation.accepted');
    expect(list).toHaveLength(1);
    expect(list[0].count).toBe(4);
    expect(handles(list[0])).toEqual([others[3]!.handle, others[2]!.handle, others[1]!.handle]);
    // the next UTC day starts a new group; inviting back (crossing invitations) is an acceptance too
    h.clock.set(new Date(Date.UTC(h.clock.now().getUTCFullYear(), h.clock.now().getUTCMonth(), h.clock.now().getUTCDate() + 1, 0, 0, 1)));
    const late = await signUp(h);
    await invite(h, ann, late);
    const back = await h.call('POST', '/v1/invitations', { token: late.token, body: { to: ann.handle } });
    expect(back.status, back.text).toBe(200);
    list = (await notes(h, ann)).filter((n) => n.kind === 'invitation.accepted');
    expect(list.map((n) => n.count)).toEqual([1, 4]);
    expect(handles(list[0])).toEqual([late.handle]);
  });

  it('message requests and InMails notify, grouped by conversation; a page request notifies its admins, grouped by page', async () => {
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await makeGroup(h, [a, b]);
    const first = await send(h, a, b, 'hello through our group');
    expect(first.status, first.text).toBe(201);
    expect(first.body.conversation.state).toBe('request');
    const conv = first.body.conversation.id;
    let list = await notes(h, b);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'request.received', count: 1, subject: { conversationId: conv } });
    expect(handles(list[0])).toEqual([a.handle]);
    expect(await unread(h, b)).toMatchObject({ notifications: 1, requests: 1, inbox: 0, filtered: 0 });
    // the one follow-up joins the same group
    expect((await send(h, a, b, 'a follow-up')).status).toBe(201);
    list = await notes(h, b);
    expect(list).toHaveLength(1);
    expect(list[0].count).toBe(2);

    // InMail
    await setTier(h, c, 'career');
    const im = await send(h, c, b, 'an InMail', { channel: 'inmail', subject: 'Hi' });
    expect(im.status, im.text).toBe(201);
    list = await notes(h, b);
    expect(list[0]).toMatchObject({ kind: 'inmail.received', count: 1, subject: { conversationId: im.body.conversation.id } });
    expect(handles(list[0])).toEqual([c.handle]);
    expect((await unread(h, b)).inbox).toBe(1);

    // a page's request: every admin, grouped by page; the admin who writes is not told of themself
    const [x, y, s1, s2] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const page = await makePage(h, `pg_${x.handle}`.slice(0, 30), [x, y]);
    expect((await send(h, s1, page.handle, 'to the page')).status).toBe(201);
    expect((await send(h, s2, page.handle, 'me too')).status).toBe(201);
    for (const who of [x, y]) {
      const l = (await notes(h, who)).filter((n) => n.kind === 'page.request');
      expect(l).toHaveLength(1);
      expect(l[0]).toMatchObject({ count: 2, subject: { page: { handle: page.handle } } });
      expect(handles(l[0])).toEqual([s2.handle, s1.handle]);
    }
    // an admin removed from the page no longer has its requests' notifications
    expect((await unread(h, y)).notifications).toBe(1);
    const rm = await h.call('DELETE', `/v1/pages/${page.handle}/admins/${y.handle}`, { token: x.token });
    expect(rm.status, rm.text).toBe(204);
    expect((await notes(h, y)).filter((n) => n.kind === 'page.request')).toEqual([]);
    expect((await unread(h, y)).notifications).toBe(0);
    expect((await notes(h, x)).filter((n) => n.kind === 'page.request')).toHaveLength(1);
  });

  it('ignoring a request takes its notification away; an ignored request notifies nothing more', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    await makeGroup(h, [a, b]);
    const r = await send(h, a, b, 'hi');
    expect((await notes(h, b)).map((n) => n.kind)).toEqual(['request.received']);
    const ig = await h.call('POST', `/v1/conversations/${r.body.conversation.id}/ignore`, { token: b.token });
    expect(ig.status, ig.text).toBe(200);
    expect(await notes(h, b)).toEqual([]);
    expect((await send(h, a, b, 'still there?')).status).toBe(201);
    expect(await notes(h, b)).toEqual([]);
    expect((await unread(h, b)).notifications).toBe(0);
  });

  it('InMail credits granted notify (grouped by UTC day, with the credits); a purchase too', async () => {
    const a = await signUp(h);
    await setTier(h, a, 'career');
    const buy = await admin(h, 'POST', `/v1/admin/members/${a.handle}/inmail-credits`, { credits: 7 });
    expect(buy.status, buy.text).toBe(200);
    const list = await notes(h, a);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'credits.granted', count: 2, credits: 12, actors: [], read: false });
  });

  it('the monthly grant of the 1st is notified when the member next looks (written under their lock, once)', async () => {
    const a = await signUp(h);
    await setTier(h, a, 'career');
    await h.call('POST', '/v1/notifications/read', { token: a.token, body: { upTo: (await notes(h, a))[0].id } });
    const now = h.clock.now();
    h.clock.set(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 8)));
    expect((await unread(h, a)).notifications).toBe(1);
    const list = await notes(h, a);
    expect(list[0]).toMatchObject({ kind: 'credits.granted', credits: 5, read: false });
    expect((await notes(h, a)).filter((n) => !n.read)).toHaveLength(1);
  });

  it('each kind can be turned off; unknown kinds are 400 and change nothing', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    const bad = await h.call('PATCH', '/v1/me/settings', { token: b.token, body: { notifications: { 'invitation.received': false, 'party.started': false } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    let me = await h.call('GET', '/v1/me', { token: b.token });
    expect(me.body.settings.notifications['invitation.received']).toBe(true);
    const ok = await h.call('PATCH', '/v1/me/settings', { token: b.token, body: { notifications: { 'invitation.received': false } } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.settings.notifications).toMatchObject({ 'invitation.received': false, 'invitation.accepted': true, 'introduction.asked': true });
    const id = await invite(h, a, b);
    expect(await notes(h, b)).toEqual([]);
    await accept(h, b, id);
    expect((await notes(h, a)).map((n) => n.kind)).toEqual(['invitation.accepted']);
    me = await h.call('GET', '/v1/me', { token: b.token });
    expect(me.body.settings.notifications['invitation.received']).toBe(false);
  });

  it("a member who becomes hidden (block either way, deactivated, closed) disappears from the other side's notifications and counts; nothing is created about them", async () => {
    const [b, a, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await invite(h, a, b);
    h.clock.advance(1000);
    await invite(h, c, b);
    h.clock.advance(1000);
    await invite(h, d, b);
    let [n] = await notes(h, b);
    expect(n.count).toBe(3);
    expect(handles(n)).toEqual([d.handle, c.handle, a.handle]);

    // a blocks b: a is gone from b's group
    expect((await h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } })).status).toBe(201);
    [n] = await notes(h, b);
    expect(n.count).toBe(2);
    expect(handles(n)).toEqual([d.handle, c.handle]);
    // d deactivates: gone too (and back when reactivated)
    expect((await h.call('POST', '/v1/me/deactivate', { token: d.token })).status).toBe(200);
    [n] = await notes(h, b);
    expect(handles(n)).toEqual([c.handle]);
    expect(n.count).toBe(1);
    expect((await h.call('POST', '/v1/me/reactivate', { token: d.token })).status).toBe(200);
    expect(handles((await notes(h, b))[0])).toEqual([d.handle, c.handle]);
    // c closes: gone
    expect((await h.call('POST', '/v1/me/close', { token: c.token })).status).toBe(200);
    expect(handles((await notes(h, b))[0])).toEqual([d.handle]);
    // b blocks d: the group has no visible actor left and is not shown; the count drops
    expect((await h.call('POST', '/v1/blocks', { token: b.token, body: { handle: d.handle } })).status).toBe(201);
    expect(await notes(h, b)).toEqual([]);
    expect((await unread(h, b)).notifications).toBe(0);

    // a page admin who blocked the sender hears nothing of their request; the other admin does
    const [x, y, s] = [await signUp(h), await signUp(h), await signUp(h)];
    const page = await makePage(h, `pb_${x.handle}`.slice(0, 30), [x, y]);
    expect((await h.call('POST', '/v1/blocks', { token: x.token, body: { handle: s.handle } })).status).toBe(201);
    expect((await send(h, s, page.handle, 'hello page')).status).toBe(201);
    expect(await notes(h, x)).toEqual([]);
    expect((await notes(h, y)).map((m) => m.kind)).toEqual(['page.request']);
  });

  it("a hidden member's unread update no longer counts as unread", async () => {
    const [b, a, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await invite(h, a, b);
    await h.call('POST', '/v1/notifications/read', { token: b.token, body: { upTo: (await notes(h, b))[0].id } });
    h.clock.advance(1000);
    await invite(h, c, b);
    expect((await unread(h, b)).notifications).toBe(1);
    expect((await notes(h, b))[0].read).toBe(false);
    expect((await h.call('POST', '/v1/blocks', { token: b.token, body: { handle: c.handle } })).status).toBe(201);
    expect((await unread(h, b)).notifications).toBe(0);
    const [n] = await notes(h, b);
    expect(n).toMatchObject({ read: true, count: 1 });
    expect(handles(n)).toEqual([a.handle]);
  });

  it('kept notificationRetentionDays (90), read or not; housekeeping deletes them after', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    await invite(h, a, b);
    h.clock.advance(89 * DAY);
    expect(await notes(h, b)).toHaveLength(1);
    h.clock.advance(2 * DAY);
    expect(await notes(h, b)).toEqual([]);
    expect((await unread(h, b)).notifications).toBe(0);
    const before = await count(h, 'notifications');
    const rep = await h.inst.housekeeper.runOnce();
    expect(rep.notifications).toBeGreaterThan(0);
    expect(await count(h, 'notifications')).toBe(before - rep.notifications);
  });

  it("bad input: an upTo that is not the caller's is 404, a malformed one 400, cursors out of range 400; nothing changes", async () => {
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await invite(h, a, b);
    await invite(h, a, c);
    const theirs = (await notes(h, c))[0].id;
    const r = await h.call('POST', '/v1/notifications/read', { token: b.token, body: { upTo: theirs } });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
    for (const upTo of ['abc', '', '-1', 12]) {
      const x = await h.call('POST', '/v1/notifications/read', { token: b.token, body: { upTo } });
      expect(x.status, String(upTo)).toBe(400);
      expect(x.body.error.code).toBe('invalid_request');
    }
    const huge = await h.call('POST', '/v1/notifications/read', { token: b.token, body: { upTo: '999999999999999999' } });
    expect(huge.status).toBe(404);
    expect((await unread(h, b)).notifications).toBe(1);
    expect((await unread(h, c)).notifications).toBe(1);
    for (const cursor of ['abc', '99999999999999999999', '-5', '1.5']) {
      const x = await h.call('GET', `/v1/notifications?cursor=${encodeURIComponent(cursor)}`, { token: b.token });
      expect(x.status, cursor).toBe(400);
      expect(x.body.error.code).toBe('invalid_request');
    }
    const none = await h.call('GET', '/v1/notifications');
    expect(none.status).toBe(401);
  });

  it('pages through the list newest first with a cursor', async () => {
    const b = await signUp(h);
    const senders = [];
    for (let i = 0; i < 5; i++) senders.push(await signUp(h));
    for (const s of senders) {
      await makeGroup(h, [s, b]);
      h.clock.advance(1000);
      expect((await send(h, s, b, 'hi')).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await h.call('GET', `/v1/notifications?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: b.token });
      expect(r.status, r.text).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.items.map((n: any) => n.actors[0].handle));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(senders.map((s) => s.handle).reverse());
  });

  it('no notification without its cause: a refused invitation or message writes none', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    const before = await count(h, 'notifications');
    expect((await send(h, a, b, 'out of reach')).status).toBe(403);
    expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle, note: 'x'.repeat(301) } })).status).toBe(400);
    const events = async () =>
      Number(
        (
          (await h.inst.store.db.execute(
            sql`select count(*)::int as n from events where type = 'notification.created' and member_ids @> array[${Number(b.member.id)}::bigint]`,
          )) as unknown as { rows: { n: unknown }[] }
        ).rows[0]!.n,
      );
    expect(await count(h, 'notifications')).toBe(before);
    expect(await events()).toBe(0);
    // the same invitation, allowed: one notification and its event
    await invite(h, a, b);
    expect(await count(h, 'notifications')).toBe(before + 1);
    expect(await events()).toBe(1);
  });

  it('notification.created is written beside each notification, for its member, with the notification as they see it', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    await invite(h, a, b);
    const [n] = await notes(h, b);
    const res = (await h.inst.store.db.execute(
      sql`select member_ids, payload from events where type = 'notification.created' and member_ids @> array[${Number(b.member.id)}::bigint] order by id`,
    )) as unknown as { rows: { member_ids: number[]; payload: any }[] };
    expect(res.rows).toHaveLength(1);
    const p = typeof res.rows[0]!.payload === 'string' ? JSON.parse(res.rows[0]!.payload) : res.rows[0]!.payload;
    expect(res.rows[0]!.member_ids.map(Number)).toEqual([Number(b.member.id)]);
    expect(p.notification).toEqual(n);
    // an update sent live is the group as the list shows it: a member hidden since is left out (a
    // deactivated one: a block takes the blocked member's notifications away for good)
    const c = await signUp(h);
    expect((await h.call('POST', '/v1/me/deactivate', { token: a.token })).status).toBe(200);
    h.clock.advance(1000);
    await invite(h, c, b);
    const [n2] = await notes(h, b);
    expect(n2).toMatchObject({ id: n.id, count: 1, read: false });
    expect(handles(n2)).toEqual([c.handle]);
    const res2 = (await h.inst.store.db.execute(
      sql`select payload from events where type = 'notification.created' and member_ids @> array[${Number(b.member.id)}::bigint] order by id desc limit 1`,
    )) as unknown as { rows: { payload: any }[] };
    const p2 = typeof res2.rows[0]!.payload === 'string' ? JSON.parse(res2.rows[0]!.payload) : res2.rows[0]!.payload;
    expect(p2.notification).toEqual(n2);
  });
});

describe(`message-request filters (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ now: '2026-03-10T09:00:00Z' });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function folderOf(u: User, name: string) {
    const r = await h.call('GET', `/v1/conversations?folder=${name}`, { token: u.token });
    expect(r.status, r.text).toBe(200);
    return r.body.items as any[];
  }

  it('all off by default; turning one on is a partial patch; unknown filters are 400', async () => {
    const b = await signUp(h);
    const me = await h.call('GET', '/v1/me', { token: b.token });
    expect(me.body.settings.requestFilters).toEqual({ newAccounts: false, noSharedConnections: false, notFollowed: false });
    expect(me.body.settings.openTo).toEqual({ jobs: false, mentoring: false });
    const bad = await h.call('PATCH', '/v1/me/settings', { token: b.token, body: { requestFilters: { strangers: true } } });
    expect(bad.status).toBe(400);
    await settings(h, b, { requestFilters: { notFollowed: true } });
    await settings(h, b, { requestFilters: { newAccounts: true } });
    const after = await h.call('GET', '/v1/me', { token: b.token });
    expect(after.body.settings.requestFilters).toEqual({ newAccounts: true, noSharedConnections: false, notFollowed: true });
  });

  it('newAccounts: a request from an account younger than newAccountDays lands in filtered, without a notification; accepting works as in requests', async () => {
    const old = await signUp(h);
    h.clock.advance(31 * DAY);
    const [b, young] = [await signUp(h), await signUp(h)];
    await settings(h, b, { requestFilters: { newAccounts: true } });
    await makeGroup(h, [young, old, b]);
    const r1 = await send(h, young, b, 'new here');
    expect(r1.status, r1.text).toBe(201);
    const r2 = await send(h, old, b, 'been here a while');
    expect(r2.status, r2.text).toBe(201);
    expect((await folderOf(b, 'filtered')).map((c) => c.id)).toEqual([r1.body.conversation.id]);
    expect((await folderOf(b, 'filtered'))[0]).toMatchObject({ folder: 'filtered', state: 'request', unread: 1 });
    expect((await folderOf(b, 'requests')).map((c) => c.id)).toEqual([r2.body.conversation.id]);
    expect(await notes(h, b)).toHaveLength(1);
    expect(handles((await notes(h, b))[0])).toEqual([old.handle]);
    expect(await unread(h, b)).toMatchObject({ notifications: 1, requests: 1, filtered: 1, inbox: 0 });
    // the sender sees a pending request, as from any folder
    const theirs = await h.call('GET', `/v1/conversations/${r1.body.conversation.id}`, { token: young.token });
    expect(theirs.body).toMatchObject({ state: 'request', folder: 'inbox' });
    // a follow-up stays filtered and notifies nothing
    expect((await send(h, young, b, 'hello?')).status).toBe(201);
    expect((await folderOf(b, 'filtered'))[0].unread).toBe(2);
    expect(await notes(h, b)).toHaveLength(1);
    // accepting from filtered: inbox, accepted, and the two may write
    const acc = await h.call('POST', `/v1/conversations/${r1.body.conversation.id}/accept`, { token: b.token });
    expect(acc.status, acc.text).toBe(200);
    expect(acc.body).toMatchObject({ folder: 'inbox', state: 'open', accepted: true });
    expect(await folderOf(b, 'filtered')).toEqual([]);
    expect((await send(h, b, young, 'welcome')).status).toBe(201);
    expect((await unread(h, b)).filtered).toBe(0);
    expect((await h.call('GET', '/v1/conversations?folder=spam', { token: b.token })).status).toBe(400);
  });

  it('noSharedConnections and notFollowed; only messages delivered as requests are filtered; a filter is applied once, when the request arrives', async () => {
    const [b, friend, stranger, known, followed, conn] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, b, friend);
    await connect(h, friend, known);
    await connect(h, b, conn);
    await makeGroup(h, [b, stranger, known, followed]);
    // a request that arrived before the filter stays where it is
    const before = await send(h, stranger, b, 'before the filter');
    await settings(h, b, { requestFilters: { noSharedConnections: true } });
    expect((await folderOf(b, 'requests')).map((c) => c.id)).toEqual([before.body.conversation.id]);
    expect((await send(h, stranger, b, 'follow-up after')).status).toBe(201);
    expect((await folderOf(b, 'requests')).map((c) => c.id)).toEqual([before.body.conversation.id]);
    // a mutual connection passes; none is filtered
    const k = await send(h, known, b, 'we share a friend');
    const f = await send(h, followed, b, 'no mutual');
    expect((await folderOf(b, 'requests')).map((c) => c.id).sort()).toEqual([before.body.conversation.id, k.body.conversation.id].sort());
    expect((await folderOf(b, 'filtered')).map((c) => c.id)).toEqual([f.body.conversation.id]);
    // a connection's message is not a request: the inbox, whatever the filters
    const d = await send(h, conn, b, 'direct');
    expect(d.body.message.channel).toBe('direct');
    expect((await folderOf(b, 'inbox')).map((c) => c.id)).toContain(d.body.conversation.id);

    // notFollowed: following the sender lets their request through
    const b2 = await signUp(h);
    const [p, q] = [await signUp(h), await signUp(h)];
    await makeGroup(h, [b2, p, q]);
    await settings(h, b2, { requestFilters: { notFollowed: true } });
    expect((await h.call('POST', '/v1/follows', { token: b2.token, body: { handle: p.handle } })).status).toBe(201);
    const fp = await send(h, p, b2, 'you follow me');
    const fq = await send(h, q, b2, 'you do not');
    expect((await folderOf(b2, 'requests')).map((c) => c.id)).toEqual([fp.body.conversation.id]);
    expect((await folderOf(b2, 'filtered')).map((c) => c.id)).toEqual([fq.body.conversation.id]);
  });
});

describe(`open-to flags (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('openTo is on the profile for viewers within profileVisibility, and for the member', async () => {
    const [m, friend, stranger] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, m, friend);
    const p0 = await h.call('GET', `/v1/members/${m.handle}`, { token: stranger.token });
    expect(p0.body.openTo).toEqual({ jobs: false, mentoring: false });
    await settings(h, m, { openTo: { jobs: true } });
    for (const who of [m, friend, stranger]) {
      const p = await h.call('GET', `/v1/members/${m.handle}`, { token: who.token });
      expect(p.status, p.text).toBe(200);
      expect(p.body.openTo).toEqual({ jobs: true, mentoring: false });
    }
    await settings(h, m, { profileVisibility: 'connections', openTo: { mentoring: true } });
    const own = await h.call('GET', `/v1/members/${m.handle}`, { token: m.token });
    expect(own.body.openTo).toEqual({ jobs: true, mentoring: true });
    expect((await h.call('GET', `/v1/members/${m.handle}`, { token: friend.token })).body.openTo).toEqual({ jobs: true, mentoring: true });
    const out = await h.call('GET', `/v1/members/${m.handle}`, { token: stranger.token });
    expect(out.status).toBe(200);
    expect(out.body).not.toHaveProperty('openTo');
    expect(out.body.member.headline).toBe('');
    const bad = await h.call('PATCH', '/v1/me/settings', { token: m.token, body: { openTo: { jobs: 'yes' } } });
    expect(bad.status).toBe(400);
    const bad2 = await h.call('PATCH', '/v1/me/settings', { token: m.token, body: { openTo: { internships: true } } });
    expect(bad2.status).toBe(400);
  });
});

// PostgreSQL's plans (on Citus, test/store/citus.test.ts checks where the statements go; this
// history is written with statements that join members to members, which Citus does not run)
describe.skipIf(!!citusUrl)(`notifications: indexed reads (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ now: '2026-03-10T09:00:00Z' });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Every relation a plan reads with a sequential scan. */
  function seqScans(plan: any, out: string[] = []): string[] {
    if (!plan || typeof plan !== 'object') return out;
    if (plan['Node Type'] === 'Seq Scan') out.push(plan['Relation Name']);
    for (const p of plan.Plans ?? []) seqScans(p, out);
    return out;
  }
  const q = async (h: Harness, text: string) => ((await h.inst.store.db.execute(sql.raw(text))) as unknown as { rows: Record<string, unknown>[] }).rows;
  async function explain(q: ReturnType<typeof groupsPageSql>) {
    const r = (await h.inst.store.db.execute(sql`explain (format json) ${q}`)) as unknown as { rows: Record<string, unknown>[] };
    const raw = Object.values(r.rows[0]!)[0];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as any[];
    return { scans: seqScans(plan[0].Plan), text: JSON.stringify(plan) };
  }

  it("listing, their actors and the unread counts read the member's rows through indexes, whatever the history", async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    await invite(h, a, b);
    await makeGroup(h, [a, b]);
    await send(h, a, b, 'hello');
    const db = h.inst.store.db;
    // a history of others: 2,000 members, 40,000 groups, 80,000 actor rows, 10,000 conversations
    // (one transaction without the serving statement timeout: the machine is shared)
    await h.inst.store.transaction(async (tx) => {
      await tx.execute(sql`set local statement_timeout = 0`);
      await tx.execute(sql`insert into members (handle, kind, name, email)
        select 'hist_' || g, 'person', 'History ' || g, 'hist_' || g || '@example.test' from generate_series(1, 2000) g`);
      await tx.execute(sql`insert into notifications (member_id, kind, group_key, count, seq, created_at, updated_at)
        select m.id, 'invitation.received', 'day:' || d, 2, nextval('notifications_seq'), now(), now()
          from members m cross join generate_series(1, 20) d where m.handle like 'hist\\_%'`);
      await tx.execute(sql`insert into notification_actors (member_id, notification_id, actor_id, count, seq, at)
        select n.member_id, n.id, x.id, 1, n.seq, now() from notifications n
          cross join (select id from members where handle in ('hist_1', 'hist_2')) x where n.kind = 'invitation.received' and n.group_key like 'day:%' and n.count = 2`);
      await tx.execute(sql`insert into conversations (starter_id, recipient_id, state, channel)
        select m.id, m2.id, 'open', 'direct' from members m cross join generate_series(1, 5) k
          join members m2 on m2.id = m.id + k where m.handle like 'hist\\_%' and m2.handle like 'hist\\_%'`);
      await tx.execute(sql`insert into conversation_members (conversation_id, member_id, folder, unread)
        select c.id, s.id, 'inbox', 1 from conversations c cross join lateral (values (c.starter_id), (c.recipient_id)) s(id)
          join members m on m.id = c.starter_id where m.handle like 'hist\\_%'`);
      // and the small tables the reads consult, grown too: blocks, page admins, read marks
      await tx.execute(sql`insert into blocks (blocker, blocked) select m.id, m.id + 1 from members m where m.handle like 'hist\\_%'
          and exists (select 1 from members m2 where m2.id = m.id + 1)`);
      await tx.execute(sql`insert into page_admins (page_id, member_id) select m.id, m.id from members m where m.handle like 'hist\\_%'`);
      await tx.execute(sql`insert into notification_marks (member_id, read_seq) select m.id, 1 from members m where m.handle like 'hist\\_%'`);
    });
    expect(await count(h, 'notifications')).toBeGreaterThan(40_000);
    await db.execute(sql`analyze`);

    const me = Number(b.member.id);
    const cutoff = new Date(h.clock.now().getTime() - 90 * DAY);
    const page = await explain(groupsPageSql(me, cutoff, undefined, 21));
    expect(page.scans, page.text).toEqual([]);
    const ids = (await notes(h, b)).map((n) => Number(n.id));
    expect(ids.length).toBe(2);
    const actors = await explain(groupActorsSql(me, ids));
    expect(actors.scans, actors.text).toEqual([]);
    // who of them may be seen: members by id, blocks by the pair
    const others = [Number(a.member.id), ...(await q(h, `select id from members where handle like 'hist\\_%' order by id limit 50`)).map((r) => Number(r.id))];
    for (const read of [activeMembersSql(others), blocksBetweenSql(me, others)]) {
      const plan = await explain(read);
      expect(plan.scans, plan.text).toEqual([]);
    }
    // the unread counts: the groups above the mark with their actors, the unread sides with their conversations
    const groups = await explain(unreadGroupsSql(me, cutoff));
    expect(groups.scans, groups.text).toEqual([]);
    const above = await explain(groupActorsSql(me, ids, 1));
    expect(above.scans, above.text).toEqual([]);
    const sides = await explain(unreadSidesSql(me));
    expect(sides.scans, sides.text).toEqual([]);
    const live = await explain(liveConversationsSql((await q(h, `select id from conversations order by id limit 20`)).map((r) => Number(r.id))));
    expect(live.scans, live.text).toEqual([]);
    // and the answers are the member's own
    expect(await unread(h, b)).toMatchObject({ notifications: 2, requests: 1 });
  }, 180_000);
});
