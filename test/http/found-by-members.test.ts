/**
 * Rule-book violations found by members, attackers and reviewers trying the server (each test
 * failed before its fix): what a member did, and what DOMAIN.md says should have happened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, credits, makeGroup, makePage, send, setTier, settings } from '../helpers/messaging.js';

const DAY = 86_400_000;

describe(`found by members and reviewers (${storageKind})`, { timeout: 60_000 }, () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });
  const as = (who: { token: string }) => ({
    call: (method: string, url: string, body?: unknown) => h.call(method, url, { token: who.token, body }),
  });
  const later = (ms: number) => h.clock.set(new Date(h.clock.now().getTime() + ms));
  /** A fresh network: a asks b (their connection) to introduce them to c (b's). */
  const askIntro = async () => {
    h = await harness();
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    await connect(h, b, c);
    const ask = await as(a).call('POST', '/v1/introductions', { to: c.handle, via: b.handle });
    expect(ask.status, ask.text).toBe(201);
    return { a, b, c, ask: ask.body.id as string };
  };
  /** askIntro, and b forwards: c is told (introduction.forwarded, about a's request); `told` reads c's notifications again. */
  const forwarded = async () => {
    const { a, b, c, ask } = await askIntro();
    expect((await as(b).call('POST', `/v1/introductions/${ask}/forward`, {})).status).toBe(200);
    const told = async () => {
      const items = (await as(c).call('GET', '/v1/notifications')).body.items as { kind: string; subject?: { conversationId?: string } }[];
      const unread = (await as(c).call('GET', '/v1/me')).body.unread.notifications as number;
      return { intro: items.filter((n) => n.kind === 'introduction.forwarded'), unread, all: items.length };
    };
    const first = await told();
    expect(first.intro).toHaveLength(1);
    return { a, b, c, told, conversation: first.intro[0]!.subject!.conversationId! };
  };

  it('DOMAIN.md 5: three reports restrict only when three distinct persons make them (one person reporting as three pages counts once)', async () => {
    h = await harness();
    const x = await signUp(h);
    const y = await signUp(h);
    const z = await signUp(h);
    const victim = await signUp(h);
    for (const who of [x, y, z]) await connect(h, who, victim); // the victim may write to each
    later(8 * DAY); // every reporter's account is old enough
    const pages = ['pg_one', 'pg_two', 'pg_three'];
    for (const p of pages) await makePage(h, p, [x]);
    const report = async (who: { token: string }, to: string, page?: string) => {
      const sent = await as(victim).call('POST', '/v1/messages', { to, body: `hello ${to}` });
      expect(sent.status, sent.text).toBe(201);
      const r = await as(who).call('POST', `/v1/conversations/${sent.body.conversation.id}/report${page ? `?as=${page}` : ''}`, { reason: 'spam' });
      expect(r.status, r.text).toBe(200);
    };
    for (const p of pages) await report(x, p, p);
    await report(x, x.handle); // and as themself: still one person
    let me = await as(victim).call('GET', '/v1/me');
    expect(me.body.member.status, 'one person, four reports').not.toBe('restricted');
    expect((await as(victim).call('POST', '/v1/messages', { to: y.handle, body: 'still here' })).status).toBe(201);
    await report(y, y.handle);
    me = await as(victim).call('GET', '/v1/me');
    expect(me.body.member.status, 'two persons').not.toBe('restricted');
    await report(z, z.handle);
    me = await as(victim).call('GET', '/v1/me');
    expect(me.body.member.status, 'three persons').toBe('restricted');
  });
  it('DOMAIN.md 5: three admins reporting as one page are one reporter: one message to a page restricts no one (found by a member)', async () => {
    h = await harness();
    const [a1, a2, a3, x, y, z] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    later(8 * DAY); // every reporter's account is old enough
    await makePage(h, 'pg_helpers', [a1, a2, a3]);
    const sent = await as(x).call('POST', '/v1/messages', { to: 'pg_helpers', body: 'hello page' });
    expect(sent.status, sent.text).toBe(201);
    for (const admin of [a1, a2, a3]) {
      const r = await as(admin).call('POST', `/v1/conversations/${sent.body.conversation.id}/report?as=pg_helpers`, { reason: 'spam' });
      expect(r.status, r.text).toBe(200);
    }
    expect((await as(x).call('GET', '/v1/me')).body.member.status).not.toBe('restricted');
    // two more members x wrote to, reporting: three distinct members
    for (const who of [y, z]) {
      await connect(h, who, x);
      const s = await as(x).call('POST', '/v1/messages', { to: who.handle, body: `hi ${who.handle}` });
      expect((await as(who).call('POST', `/v1/conversations/${s.body.conversation.id}/report`, { reason: 'spam' })).status).toBe(200);
    }
    expect((await as(x).call('GET', '/v1/me')).body.member.status).toBe('restricted');
  });
  it('DOMAIN.md 6: unblocking restores nothing, not even the notifications the block hid', async () => {
    h = await harness();
    const a = await signUp(h);
    const b = await signUp(h);
    const c = await signUp(h);
    await connect(h, b, a); // a was told b invited them, b that a accepted
    await connect(h, c, a);
    const kinds = async (who: { token: string }) =>
      ((await as(who).call('GET', '/v1/notifications')).body.items as { kind: string; actors: { handle: string }[] }[]).flatMap((n) =>
        n.actors.map((x) => `${n.kind} ${x.handle}`),
      );
    expect(await kinds(a)).toContain(`invitation.received ${b.handle}`);
    expect(await kinds(b)).toContain(`invitation.accepted ${a.handle}`);
    expect((await as(a).call('POST', '/v1/blocks', { handle: b.handle })).status).toBe(201);
    expect((await as(a).call('DELETE', `/v1/blocks/${b.handle}`)).status).toBe(204);
    expect((await kinds(a)).filter((k) => k.includes(b.handle))).toEqual([]);
    expect((await kinds(b)).filter((k) => k.includes(a.handle))).toEqual([]);
    expect(await kinds(a), 'the others stay').toContain(`invitation.received ${c.handle}`);
    const me = await as(a).call('GET', '/v1/me');
    expect(me.body.unread.notifications).toBe(1);
  });

  for (const action of ['deactivate', 'close'] as const)
    it(`DOMAIN.md 4.2: blocking again does not tell the blocker that the member ${action}d since`, async () => {
      h = await harness();
      const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
      for (const x of [b, c]) expect((await as(a).call('POST', '/v1/blocks', { handle: x.handle })).status).toBe(201);
      expect((await as(b).call('POST', `/v1/me/${action}`)).status).toBe(200);
      const again = await as(a).call('POST', '/v1/blocks', { handle: b.handle });
      const control = await as(a).call('POST', '/v1/blocks', { handle: c.handle });
      expect([again.status, again.body.member?.status]).toEqual([control.status, control.body.member?.status]);
      expect(control.body.member.status).toBe('active');
    });
  it.each([
    ['business', 15, 'career, a downgrade, granted nothing'],
    ['career', 5, 'renewing career granted nothing'],
  ] as const)(
    'DOMAIN.md 5, 8: out of credits with a %s tier ending before the 1st, every upgrade offered grants credits (%i spent; %s)',
    async (tier, monthly) => {
      h = await harness({ policy: { messagesPerMinute: 1000 } });
      h.clock.set(new Date('2026-03-10T12:00:00Z'));
      const a = await signUp(h);
      await setTier(h, a, tier, '2026-03-25T00:00:00Z');
      const targets = [];
      for (let i = 0; i <= monthly; i++) targets.push(await signUp(h));
      for (let i = 0; i < monthly; i++) expect((await send(h, a, targets[i]!, `inmail ${i}`, { channel: 'inmail', subject: 's' })).status).toBe(201);
      expect(await credits(h, a)).toBe(0);
      const refused = await send(h, a, targets[monthly]!, 'one more', { channel: 'inmail', subject: 's' });
      expect([refused.status, refused.body.error.code]).toEqual([403, 'no_inmail_credits']);
      const upgrades = (refused.body.error.unlock as { kind: string; tier?: string }[]).filter((u) => u.kind === 'upgrade');
      expect(upgrades.length).toBeGreaterThan(0);
      for (const u of upgrades) {
        await setTier(h, a, u.tier!, '2026-12-31T00:00:00Z'); // the operator does what the unlock says
        expect(await credits(h, a), `"upgrade to ${u.tier}" offered to a ${tier} member: still no credit`).toBeGreaterThan(0);
      }
    },
  );

  it('DOMAIN.md (numbers are policy), API.md 400: a size rule answers its own code at any length, and a looser policy applies', async () => {
    h = await harness();
    const [a, b] = [await signUp(h), await signUp(h)];
    await connect(h, a, b);
    const c = await signUp(h);
    const note = await as(a).call('POST', '/v1/invitations', { to: c.handle, note: 'x'.repeat(20_001) });
    expect([note.status, note.body.error?.code]).toEqual([400, 'note_too_long']);
    const body = await as(a).call('POST', '/v1/messages', { to: b.handle, body: 'x'.repeat(100_001) });
    expect([body.status, body.body.error?.code]).toEqual([400, 'too_long']);
    await h.close();
    h = await harness({ policy: { noteMaxChars: 30_000, messageMaxChars: 150_000 } });
    const [x, y, z] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, x, y);
    expect((await as(x).call('POST', '/v1/invitations', { to: z.handle, note: 'x'.repeat(25_000) })).status).toBe(201);
    expect((await as(x).call('POST', '/v1/messages', { to: y.handle, body: 'x'.repeat(120_000) })).status).toBe(201);
  });
  it('DOMAIN.md 5: the InMail recipient writing into the thread that holds it (after ignoring a later request in it) is a reply: the credit comes back', async () => {
    h = await harness();
    h.clock.set(new Date('2026-03-10T12:00:00Z'));
    const [a, b, m, x] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await setTier(h, a, 'business');
    const inmail = await send(h, a, b, 'inmail', { channel: 'inmail', subject: 's' });
    expect(inmail.status).toBe(201);
    expect(await credits(h, a)).toBe(14);
    // a and b become 3rd degree; a's next message is a tier_reach request in the same thread, which b ignores
    await connect(h, a, m);
    await connect(h, m, x);
    await connect(h, x, b);
    const req = await send(h, a, b, 'via reach');
    expect(req.body.conversation).toMatchObject({ id: inmail.body.conversation.id, state: 'request' });
    expect((await h.call('POST', `/v1/conversations/${req.body.conversation.id}/ignore`, { token: b.token })).status).toBe(200);
    // the same day, b writes to a: the message goes into the same thread, under a's InMail
    await setTier(h, b, 'business');
    const w = await send(h, b, a, 'writing to a');
    expect(w.status).toBe(201);
    expect(w.body.conversation.id).toBe(inmail.body.conversation.id);
    // the request b ignored is deleted for them (DOMAIN.md 5); the InMail, which reached their inbox
    // before it, stays theirs (and what they write is the reply to it); a keeps the whole thread
    const thread = async (u: { token: string }) =>
      (await h.call('GET', `/v1/conversations/${w.body.conversation.id}/messages`, { token: u.token })).body.items.map((i: { channel: string }) => i.channel);
    expect(await thread(b)).toEqual(['tier_reach', 'inmail']);
    expect(await thread(a)).toEqual(['tier_reach', 'tier_reach', 'inmail']);
    expect(await credits(h, a)).toBe(15);
  });
  it('DOMAIN.md 3: blocking and unblocking is no way around the withdrawal cooldown', async () => {
    h = await harness();
    const a = await signUp(h);
    const b = await signUp(h);
    const inv = await as(a).call('POST', '/v1/invitations', { to: b.handle });
    expect(inv.status).toBe(201);
    expect((await as(b).call('POST', `/v1/invitations/${inv.body.id}/ignore`)).status).toBe(200);
    expect((await as(a).call('POST', '/v1/invitations', { to: b.handle })).body.error?.code).toBe('invitation_pending');
    expect((await as(a).call('POST', '/v1/blocks', { handle: b.handle })).status).toBe(201);
    later(3 * DAY); // past the re-block cooldown, within the withdrawal one
    expect((await as(a).call('DELETE', `/v1/blocks/${b.handle}`)).status).toBe(204);
    const again = await as(a).call('POST', '/v1/invitations', { to: b.handle });
    expect(again.status, again.text).toBe(403);
    expect(again.body.error.code).toBe('withdraw_cooldown');
    later(19 * DAY);
    expect((await as(a).call('POST', '/v1/invitations', { to: b.handle })).status).toBe(201);
  });
  it("DOMAIN.md 5, 11: a forward is a new conversation with a non-connection, which the asker's bulk flag or monthly number stops (to B it reads as done)", async () => {
    h = await harness({ policy: { bulkRecipientsThreshold: 2 } });
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    await connect(h, b, c);
    await connect(h, b, d);
    const askC = await as(a).call('POST', '/v1/introductions', { to: c.handle, via: b.handle, note: 'hello' });
    expect(askC.status, askC.text).toBe(201);
    for (let i = 0; i < 2; i++) {
      const x = await signUp(h);
      expect((await as(x).call('PATCH', '/v1/me/settings', { messageRequests: 'off' })).status).toBe(200);
      expect((await as(a).call('POST', '/v1/messages', { to: x.handle, body: 'Buy now' })).status).toBe(201);
    }
    expect((await as(a).call('POST', '/v1/messages', { to: c.handle, body: 'hi' })).body.error?.code, 'a is flagged').toBe('bulk_flagged');
    const fwd = await as(b).call('POST', `/v1/introductions/${askC.body.id}/forward`, { note: 'meet' });
    expect(fwd.status, fwd.text).toBe(200);
    expect(fwd.body.status).toBe('forwarded');
    const requests = await as(c).call('GET', '/v1/conversations?folder=requests');
    expect(requests.body.items, 'nothing reached c').toEqual([]);
    expect((await as(c).call('GET', '/v1/notifications')).body.items.map((n: { kind: string }) => n.kind)).not.toContain('introduction.forwarded');
  });

  it('DOMAIN.md 5, 11: the monthly number of new conversations with non-connections holds for a forwarded introduction', async () => {
    h = await harness({ policy: { nonConnectionConversationsPerMonth: 1 } });
    const [a, b, c, x] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    await connect(h, b, c);
    const ask = await as(a).call('POST', '/v1/introductions', { to: c.handle, via: b.handle });
    expect(ask.status, ask.text).toBe(201);
    expect((await as(x).call('PATCH', '/v1/me/settings', { messageRequests: 'off' })).status).toBe(200);
    expect((await as(a).call('POST', '/v1/messages', { to: x.handle, body: 'one new conversation' })).status).toBe(201);
    const fwd = await as(b).call('POST', `/v1/introductions/${ask.body.id}/forward`, {});
    expect(fwd.status, fwd.text).toBe(200);
    expect((await as(c).call('GET', '/v1/conversations?folder=requests')).body.items).toEqual([]);
    later(31 * DAY); // next month: a new ask, forwarded, reaches c
    const again = await as(a).call('POST', '/v1/introductions', { to: c.handle, via: b.handle });
    expect(again.status, again.text).toBe(201);
    expect((await as(b).call('POST', `/v1/introductions/${again.body.id}/forward`, {})).status).toBe(200);
    expect((await as(c).call('GET', '/v1/conversations?folder=requests')).body.items).toHaveLength(1);
  });
  it('DOMAIN.md 3: inviting again at the very instant the old invitation expires is a new invitation, not a 500', async () => {
    h = await harness();
    const [a, b] = [await signUp(h), await signUp(h)];
    const inv = await as(a).call('POST', '/v1/invitations', { to: b.handle });
    expect(inv.status).toBe(201);
    h.clock.set(new Date(Date.parse(inv.body.createdAt) + 180 * DAY));
    const again = await as(a).call('POST', '/v1/invitations', { to: b.handle });
    expect(again.status, again.text).toBe(201);
  });

  it('DOMAIN.md 10: suggestions skip a member with an ignored invitation either way, however old', async () => {
    h = await harness();
    const [a, b, m] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, m);
    await connect(h, b, m);
    const suggested = async (who: { token: string }) =>
      ((await as(who).call('GET', '/v1/suggestions')).body.items as { member: { handle: string } }[]).map((x) => x.member.handle);
    expect(await suggested(a)).toContain(b.handle);
    const inv = await as(b).call('POST', '/v1/invitations', { to: a.handle });
    expect((await as(a).call('POST', `/v1/invitations/${inv.body.id}/ignore`)).status).toBe(200);
    for (const wait of [0, 181 * DAY]) {
      later(wait);
      expect(await suggested(a), 'a ignored b').not.toContain(b.handle);
      expect(await suggested(b), 'b was ignored by a').not.toContain(a.handle);
    }
  });
  it('DOMAIN.md 5: a refund on a reply comes after the monthly grants due: the balance is the same whether or not the sender looked on the 1st', async () => {
    const finals: number[] = [];
    for (const lookOnTheFirst of [false, true]) {
      await h?.close();
      h = await harness({ now: '2026-03-10T12:00:00Z' });
      const [s, r] = [await signUp(h), await signUp(h)];
      expect((await h.call('PUT', `/v1/admin/members/${s.handle}/subscription`, { token: ADMIN_TOKEN, body: { tier: 'career', until: null } })).status).toBe(
        200,
      );
      h.clock.set(new Date('2026-05-31T12:00:00Z'));
      const im = await as(s).call('POST', '/v1/messages', { to: r.handle, body: 'hello', subject: 'a job', channel: 'inmail' });
      expect(im.status, im.text).toBe(201);
      expect(im.body.message.channel).toBe('inmail');
      h.clock.set(new Date('2026-06-01T08:00:00Z'));
      if (lookOnTheFirst) await as(s).call('GET', '/v1/me');
      h.clock.set(new Date('2026-06-02T12:00:00Z'));
      const reply = await as(r).call('POST', `/v1/conversations/${im.body.conversation.id}/messages`, { body: 'thanks' });
      expect(reply.status, reply.text).toBe(201);
      finals.push((await as(s).call('GET', '/v1/me')).body.quotas.inmailCredits);
    }
    expect(finals[0]).toBe(finals[1]);
  });
  it('DOMAIN.md 1: a restricted member may not forward an introduction (it carries their note to the target); declining stays open', async () => {
    const { b, c, ask } = await askIntro();
    expect((await h.call('POST', `/v1/admin/members/${b.handle}/restrict`, { token: ADMIN_TOKEN })).status).toBe(200);
    const fwd = await as(b).call('POST', `/v1/introductions/${ask}/forward`, { note: 'BUY CHEAP PILLS' });
    expect(fwd.status, fwd.text).toBe(403);
    expect(fwd.body.error.code).toBe('sender_restricted');
    expect((await as(c).call('GET', '/v1/conversations?folder=requests')).body.items).toEqual([]);
    expect((await as(b).call('POST', `/v1/introductions/${ask}/decline`)).status).toBe(200);
  });
  it('DOMAIN.md 6, 9: a block ends the conversation a forwarded introduction began, and the notification about it with it (found by the model test)', async () => {
    const { a, c, told, conversation } = await forwarded();
    // c blocks the asker: the conversation is gone for both; its notification names b, whom c did not block
    expect((await as(c).call('POST', '/v1/blocks', { handle: a.handle })).status).toBe(201);
    expect((await as(c).call('GET', `/v1/conversations/${conversation}`)).status).toBe(404);
    expect((await told()).intro, 'no notification about a conversation the block ended').toEqual([]);
    expect((await as(c).call('DELETE', `/v1/blocks/${a.handle}`)).status).toBe(204);
    expect((await told()).intro, 'nor after an unblock').toEqual([]);
  });
  it('API.md: notifications stay newest first when a block takes the event that moved a group up (found by the model test)', async () => {
    h = await harness();
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const invite = async (from: { token: string }, to: { handle: string }) => {
      const r = await as(from).call('POST', '/v1/invitations', { to: to.handle });
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    };
    const first = await invite(a, c);
    const second = await invite(a, b);
    expect((await as(c).call('POST', `/v1/invitations/${first}/accept`)).status).toBe(200); // a's "accepted" group: c
    later(60_000);
    await invite(d, a); // a's "received" group, newer
    later(60_000);
    expect((await as(b).call('POST', `/v1/invitations/${second}/accept`)).status).toBe(200); // b joins the "accepted" group, moving it up
    const list = async () => ((await as(a).call('GET', '/v1/notifications')).body.items as { kind: string; createdAt: string }[]).map((n) => n.kind);
    expect(await list()).toEqual(['invitation.accepted', 'invitation.received']);
    expect((await as(a).call('POST', '/v1/blocks', { handle: b.handle })).status).toBe(201);
    const items = (await as(a).call('GET', '/v1/notifications')).body.items as { kind: string; createdAt: string }[];
    expect(
      items.map((n) => n.kind),
      'the group is where c alone put it',
    ).toEqual(['invitation.received', 'invitation.accepted']);
    expect([...items.map((n) => n.createdAt)].sort().reverse()).toEqual(items.map((n) => n.createdAt));
  });
  describe('notifications (found by a member probing DOMAIN.md 9)', () => {
    it('DOMAIN.md 9, 11: a forwarded introduction the target ignores takes its notification with it, like any request', async () => {
      const { c, told, conversation } = await forwarded();
      expect((await as(c).call('POST', `/v1/conversations/${conversation}/ignore`)).status).toBe(200);
      const after = await told();
      expect(after.intro).toEqual([]);
      expect(after.unread).toBe(after.all);
    });
    it('DOMAIN.md 9: a forwarded introduction from an asker who deactivated is not shown (nothing a hidden member did), and comes back with them', async () => {
      const { a, told } = await forwarded();
      expect((await as(a).call('POST', '/v1/me/deactivate')).status).toBe(200);
      const after = await told();
      expect(after.intro).toEqual([]);
      expect(after.unread).toBe(after.all);
      expect((await as(a).call('POST', '/v1/me/reactivate')).status).toBe(200);
      expect((await told()).intro).toHaveLength(1);
    });
    it('DOMAIN.md 6: reading up to a notification hidden by a deactivation answers as for one a block deleted (404 both)', async () => {
      h = await harness();
      const [m1, m2, x1, x2] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
      const idOf = async (who: { token: string }) => ((await as(who).call('GET', '/v1/notifications')).body.items as { id: string }[])[0]!.id;
      expect((await as(x1).call('POST', '/v1/invitations', { to: m1.handle })).status).toBe(201);
      expect((await as(x2).call('POST', '/v1/invitations', { to: m2.handle })).status).toBe(201);
      const [n1, n2] = [await idOf(m1), await idOf(m2)];
      expect((await as(x1).call('POST', '/v1/me/deactivate')).status).toBe(200);
      expect((await as(x2).call('POST', '/v1/blocks', { handle: m2.handle })).status).toBe(201);
      const r1 = await as(m1).call('POST', '/v1/notifications/read', { upTo: n1 });
      const r2 = await as(m2).call('POST', '/v1/notifications/read', { upTo: n2 });
      expect([r1.status, r1.body?.error?.code]).toEqual([r2.status, r2.body?.error?.code]);
      expect(r1.status).toBe(404);
    });
    it("DOMAIN.md 5, 9: a page's request an admin deletes takes every admin's notification of it", async () => {
      h = await harness();
      const [x, y, s] = [await signUp(h), await signUp(h), await signUp(h)];
      const t = await signUp(h);
      await makePage(h, 'pg_deleted', [x, y]);
      const send = async (from: { token: string }) => {
        const sent = await as(from).call('POST', '/v1/messages', { to: 'pg_deleted', body: 'hello page' });
        expect(sent.status, sent.text).toBe(201);
        return sent.body.conversation.id as string;
      };
      const first = await send(s);
      const second = await send(t); // the page's requests group by page: one group, two senders
      const senders = async (who: { token: string }) =>
        ((await as(who).call('GET', '/v1/notifications')).body.items as { kind: string; actors: { handle: string }[] }[])
          .filter((n) => n.kind === 'page.request')
          .flatMap((n) => n.actors.map((a) => a.handle));
      expect((await senders(x)).sort()).toEqual([s.handle, t.handle].sort());
      expect((await as(x).call('DELETE', `/v1/conversations/${first}?as=pg_deleted`)).status).toBe(204);
      for (const admin of [x, y]) expect(await senders(admin), 'the deleted request goes, the other stays').toEqual([t.handle]);
      expect((await as(y).call('DELETE', `/v1/conversations/${second}?as=pg_deleted`)).status).toBe(204);
      for (const admin of [x, y]) expect(await senders(admin)).toEqual([]);
    });
    it('DOMAIN.md 3, 9: an invitation the recipient ignores, or its sender withdraws, takes its notification with it', async () => {
      h = await harness();
      const [b, a, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
      const ids: Record<string, string> = {};
      for (const from of [a, c, d]) {
        const sent = await as(from).call('POST', '/v1/invitations', { to: b.handle });
        expect(sent.status, sent.text).toBe(201);
        ids[from.handle] = sent.body.id;
      }
      const inviters = async () =>
        ((await as(b).call('GET', '/v1/notifications')).body.items as { kind: string; actors: { handle: string }[] }[])
          .filter((n) => n.kind === 'invitation.received')
          .flatMap((n) => n.actors.map((x) => x.handle))
          .sort();
      expect(await inviters()).toEqual([a.handle, c.handle, d.handle].sort());
      expect((await as(b).call('POST', `/v1/invitations/${ids[a.handle]}/ignore`)).status).toBe(200);
      expect(await inviters(), 'ignored: gone').toEqual([c.handle, d.handle].sort());
      expect((await as(c).call('POST', `/v1/invitations/${ids[c.handle]}/withdraw`)).status).toBe(200);
      expect(await inviters(), 'withdrawn: gone').toEqual([d.handle]);
      expect((await as(b).call('GET', '/v1/me')).body.unread.notifications).toBe(1);
    });
    it("DOMAIN.md 6, 9: a member who blocks a page takes their request out of every admin's notifications (the replay already dropped it)", async () => {
      h = await harness();
      const [x, y, s, t] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
      await makePage(h, 'pg_blocked', [x, y]);
      for (const from of [s, t]) expect((await as(from).call('POST', '/v1/messages', { to: 'pg_blocked', body: 'hello page' })).status).toBe(201);
      const senders = async (who: { token: string }) =>
        ((await as(who).call('GET', '/v1/notifications')).body.items as { kind: string; actors: { handle: string }[] }[])
          .filter((n) => n.kind === 'page.request')
          .flatMap((n) => n.actors.map((a) => a.handle));
      expect((await senders(x)).sort()).toEqual([s.handle, t.handle].sort());
      const blocked = await as(s).call('POST', '/v1/blocks', { handle: 'pg_blocked' });
      expect(blocked.status, blocked.text).toBe(201);
      for (const admin of [x, y]) expect(await senders(admin), "the blocker's request goes, the other sender's stays").toEqual([t.handle]);
    });
  });
  it("DOMAIN.md 5: the group channel's monthly number starts again on the 1st, whatever conversation begins the month", async () => {
    h = await harness({ now: '2026-03-20T12:00:00Z', policy: { groupConversationsPerMonth: 2 } });
    const s = await signUp(h);
    const rs = [await signUp(h), await signUp(h), await signUp(h)];
    await makeGroup(h, [s, ...rs]);
    const stranger = await signUp(h);
    await settings(h, stranger, { messageRequests: 'off' });
    for (const r of rs.slice(0, 2)) {
      const x = await as(s).call('POST', '/v1/messages', { to: r.handle, body: `hello ${r.handle}` });
      expect(x.status, x.text).toBe(201);
      expect(x.body.message.channel).toBe('group');
    }
    expect((await as(s).call('POST', '/v1/messages', { to: rs[2]!.handle, body: 'a third' })).status, "march's number used").toBe(429);
    h.clock.set(new Date('2026-04-02T12:00:00Z'));
    const open = await as(s).call('POST', '/v1/messages', { to: stranger.handle, body: 'an open inbox first' });
    expect(open.body.message?.channel, open.text).toBe('open_inbox');
    const g = await as(s).call('POST', '/v1/messages', { to: rs[2]!.handle, body: 'april' });
    expect(g.status, g.text).toBe(201);
    expect(g.body.message.channel).toBe('group');
  });
  it('DOMAIN.md 9: a notification kept 90 days does not come back with its old events when its group gets a new one', async () => {
    h = await harness();
    const admin = await signUp(h);
    const [p1, p2] = [await signUp(h), await signUp(h)];
    await makePage(h, 'pg_retention', [admin]);
    expect((await as(p1).call('POST', '/v1/messages', { to: 'pg_retention', body: 'one' })).status).toBe(201);
    later(91 * DAY);
    expect((await as(admin).call('GET', '/v1/notifications')).body.items, 'gone after 90 days').toEqual([]);
    expect((await as(p2).call('POST', '/v1/messages', { to: 'pg_retention', body: 'two' })).status).toBe(201);
    const [n] = (await as(admin).call('GET', '/v1/notifications')).body.items as { count: number; actors: { handle: string }[] }[];
    expect(n!.actors.map((x) => x.handle)).toEqual([p2.handle]);
    expect(n!.count).toBe(1);
  });
  it('DOMAIN.md 5: the sender of a request is told nothing before an answer, not even that it was read', async () => {
    h = await harness();
    const [a, b] = [await signUp(h), await signUp(h)];
    await makeGroup(h, [a, b]);
    const sent = await as(a).call('POST', '/v1/messages', { to: b.handle, body: 'a request' });
    expect(sent.body.conversation?.state, sent.text).toBe('request');
    const id = sent.body.conversation.id as string;
    expect((await as(b).call('POST', `/v1/conversations/${id}/read`)).status).toBe(200);
    expect((await as(a).call('GET', `/v1/conversations/${id}`)).body.readUpTo, 'not before an answer').toBeNull();
    expect((await as(b).call('POST', `/v1/conversations/${id}/accept`)).status).toBe(200);
    expect((await as(b).call('POST', `/v1/conversations/${id}/read`)).status).toBe(200);
    expect((await as(a).call('GET', `/v1/conversations/${id}`)).body.readUpTo, 'once accepted').toBe(sent.body.message.id);
  });
  it('a note, a body or an introduction note of only invisible characters is no text: no note stored or counted, a blank body refused', async () => {
    h = await harness({ policy: { notesPerMonthFree: 1 } });
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const invisible = ' \u200b\u2060\ufeff ';
    const inv = await as(a).call('POST', '/v1/invitations', { to: b.handle, note: invisible });
    expect(inv.status, inv.text).toBe(201);
    expect(inv.body.note).toBeNull();
    // the month's one note is still there to use
    const noted = await as(a).call('POST', '/v1/invitations', { to: c.handle, note: 'We met at the conference' });
    expect(noted.status, noted.text).toBe(201);
    const body = await as(a).call('POST', '/v1/messages', { to: d.handle, body: '\u200b' });
    expect([body.status, body.body.error.code]).toEqual([400, 'invalid_request']);
    expect((await as(b).call('POST', `/v1/invitations/${inv.body.id}/accept`)).status).toBe(200);
    await connect(h, b, d);
    const ask = await as(a).call('POST', '/v1/introductions', { to: d.handle, via: b.handle, note: invisible });
    expect(ask.status, ask.text).toBe(201);
    expect(ask.body.note).toBeNull();
  });
  it("a paused introducer's many paths do not crowd out an askable one: the 3rd-degree unlock still offers it (found by a reviewer)", async () => {
    h = await harness();
    const [a, x1, x2, m] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const ys = [];
    // more paths through x1 than a fixed margin would look at (found by a second reviewer)
    const n = 14;
    for (let i = 0; i <= n; i++) ys.push(await signUp(h));
    await connect(h, a, x1);
    await connect(h, a, x2);
    for (const y of ys.slice(0, n)) await connect(h, x1, y);
    await connect(h, x2, ys[n]!);
    for (const y of ys) await connect(h, y, m);
    // x1 declines three of a's asks: paused for 90 days
    for (const y of ys.slice(0, 3)) {
      const ask = await as(a).call('POST', '/v1/introductions', { to: y.handle, via: x1.handle });
      expect(ask.status, ask.text).toBe(201);
      expect((await as(x1).call('POST', `/v1/introductions/${ask.body.id}/decline`)).status).toBe(200);
    }
    const why = await as(a).call('GET', `/v1/members/${m.handle}/decisions/message`);
    expect(why.body.reason).toBe('not_in_reach');
    const vias = why.body.unlock.filter((u: { kind: string }) => u.kind === 'introduction').map((u: { via: string[] }) => u.via);
    expect(vias).toEqual([[x2.handle, ys[n]!.handle]]);
  });

  const bodiesOf = async (who: { token: string }, conversation: string) =>
    ((await as(who).call('GET', `/v1/conversations/${conversation}/messages`)).body.items as { body: string }[]).map((i) => i.body);

  it('DOMAIN.md 5: a thread the member wrote in comes back after they ignored a later request in it: their words, not the request (found by a reviewer)', async () => {
    h = await harness();
    const [a, b, m] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    const first = await send(h, b, a, 'my own words');
    expect(first.status).toBe(201);
    expect((await as(a).call('DELETE', `/v1/connections/${b.handle}`)).status).toBe(204);
    await connect(h, a, m);
    await connect(h, m, b);
    await setTier(h, a, 'career');
    const req = await send(h, a, b, 'a request now');
    expect(req.body.conversation).toMatchObject({ id: first.body.conversation.id, state: 'request' });
    expect((await as(b).call('POST', `/v1/conversations/${req.body.conversation.id}/ignore`)).status).toBe(200);
    await setTier(h, b, 'career');
    expect((await send(h, b, a, 'back again')).status).toBe(201);
    expect(await bodiesOf(b, first.body.conversation.id)).toEqual(['back again', 'my own words']);
    expect(await bodiesOf(a, first.body.conversation.id), 'its sender keeps the whole thread').toEqual(['back again', 'a request now', 'my own words']);
  });

  it('DOMAIN.md 5: an ignored request and its unseen follow-up stay gone when the two connect again; what the member had received before stays theirs', async () => {
    h = await harness();
    const [a, b, m] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    const first = await send(h, a, b, 'while connected');
    const id = first.body.conversation.id as string;
    expect((await as(a).call('DELETE', `/v1/connections/${b.handle}`)).status).toBe(204);
    await connect(h, a, m);
    await connect(h, m, b);
    await setTier(h, a, 'career');
    expect((await send(h, a, b, 'cold request')).body.conversation).toMatchObject({ id, state: 'request' });
    expect((await as(b).call('POST', `/v1/conversations/${id}/ignore`)).status).toBe(200);
    expect((await send(h, a, b, 'a nudge')).status).toBe(201);
    later(60_000);
    await connect(h, b, a);
    expect((await send(h, a, b, 'connected again')).status).toBe(201);
    expect(await bodiesOf(b, id)).toEqual(['connected again', 'while connected']);
    expect(await bodiesOf(a, id)).toEqual(['connected again', 'a nudge', 'cold request', 'while connected']);
    // and in b's export
    const exported = await as(b).call('GET', '/v1/me/export');
    const conv = (exported.body.conversations as { id: string; messages: { body: string }[] }[]).find((c) => c.id === id)!;
    expect(conv.messages.map((x) => x.body)).toEqual(['while connected', 'connected again']);
  });
});
