/** GET /v1/me/export (API.md): one JSON document of everything the caller owns or took part in. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, reply, send, setTier } from '../helpers/messaging.js';

describe(`export (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('profile, settings, graph, invitations, conversations with messages, ledger; hidden members as "a former member"', async () => {
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
    expect(doc.connections.map((c: { member: { handle: string | null } }) => c.member.handle).sort()).toEqual([friend.handle, null].sort());
    expect(doc.connections.find((c: { member: { handle: string | null } }) => c.member.handle === null).member).toEqual({
      handle: null,
      name: 'a former member',
    });
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
