/** GET /v1/me/export (API.md): one JSON document of everything the caller owns or took part in. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, reply, send, setTier, type User } from '../helpers/messaging.js';

const DAY = 86_400_000;

describe(`export (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('profile, settings, graph, invitations, conversations with messages, ledger; hidden members left out of the graph lists and "a former member" in threads', async () => {
    const [me, friend, leaver, blocked, invited] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, me, friend);
    await connect(h, me, leaver);
    await setTier(h, me, 'career');
    const c1 = await send(h, me, friend, 'hello friend');
    await reply(h, friend, c1.body.conversation.id, 'hello back');
    const c2 = await send(h, leaver, me, 'I am leaving soon');
    expect(c2.status).toBe(201);
    await h.call('POST', '/v1/me/deactivate', { token: leaver.token });
    await h.call('POST', '/v1/blocks', { token: me.token, body: { handle: blocked.handle } });
    await h.call('POST', '/v1/invitations', { token: me.token, body: { to: invited.handle, note: 'Met at the fair' } });

    const r = await h.call('GET', '/v1/me/export', { token: me.token });
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toContain('application/json');
    expect(String(r.headers['content-disposition'])).toContain('attachment');
    const doc = JSON.parse(r.text);
    expect(doc.profile).toMatchObject({ handle: me.handle, email: `${me.handle}@example.test` });
    expect(doc.settings.messagesFrom).toBe('anyone');
    // a hidden connection is left out, as the connections list leaves it out (test/http/hidden-lists.test.ts)
    expect(doc.connections.map((c: { member: { handle: string | null } }) => c.member.handle)).toEqual([friend.handle]);
    expect(doc.blocks).toEqual([expect.objectContaining({ member: { handle: blocked.handle, name: `Name ${blocked.handle}` } })]);
    expect(doc.invitations).toContainEqual(expect.objectContaining({ note: 'Met at the fair', status: 'pending' }));
    const byBody = (b: string) => doc.conversations.flatMap((c: { messages: { body: string }[] }) => c.messages).find((m: { body: string }) => m.body === b);
    expect(byBody('hello back').sender.handle).toBe(friend.handle);
    expect(byBody('I am leaving soon').sender).toEqual({ handle: null, name: 'a former member' });
    expect(doc.inmailLedger).toEqual([expect.objectContaining({ kind: 'grant', credits: 5 })]);
    expect(Array.isArray(doc.notifications)).toBe(true);
    // nothing about the former member leaks anywhere in the document
    expect(r.text.includes(leaver.handle)).toBe(false);
  });

  it('a deactivated member may export; a closed one cannot sign in to', async () => {
    const u = await signUp(h);
    await h.call('POST', '/v1/me/deactivate', { token: u.token });
    const r = await h.call('GET', '/v1/me/export', { token: u.token });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).profile.status).toBe('deactivated');
    await h.call('POST', '/v1/me/close', { token: u.token });
    expect((await h.call('GET', '/v1/me/export', { token: u.token })).status).toBe(401);
    expect((await h.call('GET', '/v1/me/export')).status).toBe(401);
  });

  const exported = async (who: { token: string }) => {
    const r = await h.call('GET', '/v1/me/export', { token: who.token });
    expect(r.status).toBe(200);
    return { text: r.text, conversations: JSON.parse(r.text).conversations as { id: string; messages: { body: string }[] }[] };
  };

  it('DOMAIN.md 6: a conversation a block ended is gone from both exports, and stays gone after the unblock (found by a member)', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    await connect(h, a, b);
    const c = await send(h, a, b, 'before the block');
    await reply(h, b, c.body.conversation.id, 'bob reply');
    expect((await h.call('POST', '/v1/blocks', { token: b.token, body: { handle: a.handle } })).status).toBe(201);
    for (const who of [a, b]) expect((await exported(who)).text.includes('bob reply')).toBe(false);
    expect((await h.call('DELETE', `/v1/blocks/${a.handle}`, { token: b.token })).status).toBe(204);
    for (const who of [a, b]) {
      const doc = await exported(who);
      expect(doc.conversations.map((x) => x.id)).not.toContain(c.body.conversation.id);
      expect(doc.text.includes('before the block')).toBe(false);
    }
  });

  it('DOMAIN.md 5: a request the member ignores is not in their export; its sender keeps it (found by a reviewer)', async () => {
    const [a, b, m] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, m);
    await connect(h, m, b);
    await setTier(h, a, 'career');
    const req = await send(h, a, b, 'a cold request');
    expect(req.body.conversation.state).toBe('request');
    expect((await h.call('POST', `/v1/conversations/${req.body.conversation.id}/ignore`, { token: b.token })).status).toBe(200);
    const doc = await exported(b);
    expect(doc.text.includes('a cold request')).toBe(false);
    expect(
      doc.conversations.map((x) => x.id),
      'the thread, as the lists show it',
    ).not.toContain(req.body.conversation.id);
    expect(doc.text.includes(a.handle), 'nor its sender').toBe(false);
    expect((await exported(a)).text.includes('a cold request')).toBe(true);
  });
});

describe(`export over time: what the rest of the API says (${storageKind}; found by a member probe)`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ now: '2026-03-10T12:00:00Z' });
  });
  afterAll(async () => {
    await h?.close();
  });
  const exportOf = async (u: User) => JSON.parse((await h.call('GET', '/v1/me/export', { token: u.token })).text);

  it('DOMAIN.md 3: an invitation 181 days old is expired in both exports, as everywhere else', async () => {
    h.clock.set('2026-03-10T12:00:00Z');
    const [a, b] = [await signUp(h), await signUp(h)];
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    expect(inv.status).toBe(201);
    h.clock.advance(181 * DAY);
    // the API agrees it expired
    expect((await h.call('GET', '/v1/invitations?direction=sent', { token: a.token })).body.items).toEqual([]);
    expect((await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b.token })).status).toBe(409);
    // the export of either side
    for (const u of [a, b]) {
      const doc = await exportOf(u);
      const row = doc.invitations.find((i: { id: string }) => i.id === inv.body.id);
      expect(row.status, `export of ${u.handle}`).toBe('expired');
    }
  });

  it("DOMAIN.md 11: an ask unanswered for 14 days reads not_forwarded in the asker's export too", async () => {
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    await connect(h, b, c);
    const ask = await h.call('POST', '/v1/introductions', { token: a.token, body: { to: c.handle, via: b.handle } });
    expect(ask.status).toBe(201);
    h.clock.advance(15 * DAY);
    const listed = (await h.call('GET', '/v1/introductions?role=asked', { token: a.token })).body.items;
    expect(listed[0].status).toBe('not_forwarded');
    const doc = await exportOf(a);
    const row = doc.introductions.find((i: { id: string }) => i.id === ask.body.id);
    expect(row.status).toBe('not_forwarded');
  });

  it('DOMAIN.md 1: the exported InMail ledger sums to the balance, with the monthly grants due written first', async () => {
    h.clock.set('2026-11-10T12:00:00Z');
    const a = await signUp(h);
    await setTier(h, a, 'career');
    h.clock.set('2027-02-02T12:00:00Z'); // grants due on Dec 1, Jan 1, Feb 1 (capped at 15)
    const doc = await exportOf(a);
    const sum = doc.inmailLedger.reduce((s: number, e: { credits: number }) => s + e.credits, 0);
    const me = await h.call('GET', '/v1/me', { token: a.token });
    expect(me.body.quotas.inmailCredits).toBe(15);
    expect(sum).toBe(me.body.quotas.inmailCredits);
  });

  it('DOMAIN.md 9: notifications are kept 90 days in the export too', async () => {
    h.clock.set('2027-03-10T12:00:00Z');
    const [a, b] = [await signUp(h), await signUp(h)];
    await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
    h.clock.advance(100 * DAY);
    expect((await h.call('GET', '/v1/notifications', { token: a.token })).body.items).toEqual([]);
    const doc = await exportOf(a);
    expect(doc.notifications).toEqual([]);
  });

  it('DOMAIN.md 9: a notification the list hides (its only actor deactivated since) is not in the export', async () => {
    h.clock.set('2027-08-10T12:00:00Z');
    const [a, b] = [await signUp(h), await signUp(h)];
    await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
    expect((await h.call('POST', '/v1/me/deactivate', { token: b.token })).status).toBe(200);
    expect((await h.call('GET', '/v1/notifications', { token: a.token })).body.items).toEqual([]);
    const doc = await exportOf(a);
    expect(doc.notifications).toEqual([]);
  });
});
