/**
 * GET /v1/stream on one instance (PGlite by default, or the server named by DATABASE_URL):
 * auth, live events, replay with ?since=, visibility after a block, typing and read rules, pages,
 * heartbeats, slow consumers and the shutdown close code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { connect } from '../helpers/network.js';
import { makePage, setTier } from '../helpers/messaging.js';
import { openStream, type Frame, type StreamClient } from './client.js';

let h: Harness;
let base: string;
const open: StreamClient[] = [];

async function stream(q: { token?: string; since?: string }, headers?: Record<string, string>) {
  const c = await openStream(base, q, headers);
  open.push(c);
  return c;
}

async function sendMessage(from: { token: string }, to: string, body: string) {
  const r = await h.call('POST', '/v1/messages', { token: from.token, body: { to, body } });
  expect(r.status, r.text).toBe(201);
  return r.body as { message: { id: string; conversationId: string }; conversation: { id: string } };
}

/** a asks b to introduce them to c, and b forwards: c has a request from a and a notification naming b. */
async function forwardedIntro() {
  const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
  await connect(h, a, b);
  await connect(h, b, c);
  const ask = await h.call('POST', '/v1/introductions', { token: a.token, body: { to: c.handle, via: b.handle } });
  expect(ask.status, ask.text).toBe(201);
  expect((await h.call('POST', `/v1/introductions/${ask.body.id}/forward`, { token: b.token, body: {} })).status).toBe(200);
  return { a, b, c };
}

const isMsg = (body: string) => (f: Frame) => f.type === 'message.created' && f.data.message?.body === body;

beforeAll(async () => {
  h = await harness();
  base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  for (const c of open) c.ws.terminate();
  await h?.close();
});

describe('GET /v1/stream', () => {
  it('refuses a missing or unknown token, and accepts ?token=, the bearer header and the session cookie', async () => {
    const a = await signUp(h);
    await expect(openStream(base, {})).rejects.toMatchObject({ status: 401 });
    await expect(openStream(base, { token: 'nope' })).rejects.toMatchObject({ status: 401 });
    await expect(openStream(base, { token: a.token, since: 'abc' })).rejects.toMatchObject({ status: 400 });
    (await stream({ token: a.token })).close();
    (await stream({}, { authorization: `Bearer ${a.token}` })).close();
    // the cookie only with our own origin (issue 15: a page of another origin may not use it)
    (await stream({}, { cookie: `liaison_token=${a.token}`, origin: new URL(base).origin })).close();
    await expect(openStream(base, {}, { cookie: `liaison_token=${a.token}`, origin: 'http://elsewhere.example' })).rejects.toMatchObject({ status: 403 });
    const m = await h.call('GET', '/metrics');
    expect(m.text).toMatch(/liaison_open_sockets \d+/);
    // a plain GET, no upgrade: a 400 in the contract's error shape (was an empty 404)
    for (const token of [a.token, undefined]) {
      const plain = await h.call('GET', `/v1/stream${token ? `?token=${token}` : ''}`);
      expect(plain.status).toBe(400);
      expect(plain.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/WebSocket/) });
    }
  });

  it('delivers invitation.received and invitation.accepted to every socket of the members, never internal events', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const a1 = await stream({ token: a.token });
    const b1 = await stream({ token: b.token });
    const b2 = await stream({ token: b.token });
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    expect(inv.status).toBe(201);
    for (const s of [b1, b2]) {
      const f = await s.next((x) => x.type === 'invitation.received');
      expect(f.id).toMatch(/^[0-9]+$/);
      expect(f.data.invitation.id).toBe(inv.body.id);
      expect(Object.keys(f).sort()).toEqual(['data', 'id', 'type']);
    }
    await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b.token });
    const fa = await a1.next((x) => x.type === 'invitation.accepted');
    expect(fa.data.invitationId).toBe(inv.body.id);
    expect(fa.data.by).toBe(b.member.id);
    await b1.next((x) => x.type === 'invitation.accepted');
    const all = [...a1.frames, ...b1.frames, ...b2.frames];
    // internal events (connection.added, follow.added…) never reach a socket; notification.created is API.md's
    expect(all.every((f) => ['invitation.received', 'invitation.accepted', 'notification.created'].includes(f.type))).toBe(true);
  });

  it('delivers message.created to recipient and sender, and read when both have read receipts on', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const sa = await stream({ token: a.token });
    const sb = await stream({ token: b.token });
    const sent = await sendMessage(a, b.handle, 'hello over the stream');
    const fb = await sb.next(isMsg('hello over the stream'));
    expect(fb.data.message.id).toBe(sent.message.id);
    expect(fb.data.conversationId).toBe(sent.conversation.id);
    await sa.next(isMsg('hello over the stream'));
    const r = await h.call('POST', `/v1/conversations/${sent.conversation.id}/read`, { token: b.token });
    expect(r.status, r.text).toBe(200);
    const read = await sa.next((f) => f.type === 'read');
    expect(read.data.conversationId).toBe(sent.conversation.id);
    expect(read.data.memberId).toBe(b.member.id);
  });

  it('replays what a socket missed with ?since=, each event once, then goes live', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const s1 = await stream({ token: b.token });
    await sendMessage(a, b.handle, 'before');
    const first = await s1.next(isMsg('before'));
    s1.close();
    await s1.closed;
    for (let i = 0; i < 5; i++) await sendMessage(a, b.handle, `missed ${i}`);
    const s2 = await stream({ token: b.token, since: first.id });
    for (let i = 0; i < 5; i++) await s2.next(isMsg(`missed ${i}`), 3000, 0);
    await sendMessage(a, b.handle, 'live after replay');
    await s2.next(isMsg('live after replay'), 3000, 0);
    await s2.quiet(100);
    const ids = s2.frames.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(s2.frames.map((f) => f.data.message?.body)).toEqual([0, 1, 2, 3, 4].map((i) => `missed ${i}`).concat('live after replay'));
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((x, y) => x - y));
  });

  it('replays nothing from a member the recipient blocked (or who blocked them) since', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const s1 = await stream({ token: b.token });
    await sendMessage(a, b.handle, 'from a, before the block');
    const f = await s1.next(isMsg('from a, before the block'));
    s1.close();
    await sendMessage(a, b.handle, 'from a, missed');
    const blk = await h.call('POST', '/v1/blocks', { token: b.token, body: { handle: a.handle } });
    expect(blk.status, blk.text).toBe(201);
    const s2 = await stream({ token: b.token, since: String(Number(f.id) - 1) });
    expect(await s2.quiet(300)).toEqual([]);
  });

  it('replays no notification about a request the member has since ignored, nor about a page they no longer run (found by a member)', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const x = await signUp(h);
    // a's request to b (a shared group carries it), then b ignores it
    const g = await h.call('POST', '/v1/groups', { token: a.token, body: { name: 'replay group' } });
    expect(g.status, g.text).toBe(201);
    expect((await h.call('POST', `/v1/groups/${g.body.id}/members`, { token: b.token })).status).toBeLessThan(300);
    const req = await sendMessage(a, b.handle, 'a request b will ignore');
    expect((await h.call('POST', `/v1/conversations/${req.conversation.id}/ignore`, { token: b.token })).status).toBe(200);
    // a page a runs with b as admin; x writes to it; a removes b
    const page = `pg_replay_${a.handle}`.slice(0, 30);
    expect((await h.call('POST', '/v1/pages', { token: a.token, body: { handle: page, name: 'Replay page' } })).status).toBe(201);
    expect((await h.call('POST', `/v1/pages/${page}/admins`, { token: a.token, body: { handle: b.handle } })).status).toBe(201);
    expect((await h.call('POST', `/v1/pages/${page}/admins/me/accept`, { token: b.token })).status).toBe(200);
    await sendMessage(x, page, 'to the page');
    expect((await h.call('DELETE', `/v1/pages/${page}/admins/${b.handle}`, { token: a.token })).status).toBe(204);
    const rest = await h.call('GET', '/v1/notifications', { token: b.token });
    const shown = (rest.body.items as { kind: string }[]).map((n) => n.kind);
    expect(shown).not.toContain('request.received');
    expect(shown).not.toContain('page.request');
    // and one the replay must carry, last: an invitation from x
    expect((await h.call('POST', '/v1/invitations', { token: x.token, body: { to: b.handle } })).status).toBe(201);
    const s = await stream({ token: b.token, since: '0' });
    await s.next((f) => f.type === 'notification.created' && f.data.notification.kind === 'invitation.received');
    await s.quiet(300);
    const frames = s.frames;
    const kinds = frames.filter((f) => f.type === 'notification.created').map((f) => f.data.notification.kind as string);
    expect(kinds).not.toContain('request.received');
    expect(kinds).not.toContain('page.request');
  });

  it('replays no notification past retention (90 days), as the list shows none, even before housekeeping purges it', async () => {
    const [b, x, y] = [await signUp(h), await signUp(h), await signUp(h)];
    expect((await h.call('POST', '/v1/invitations', { token: x.token, body: { to: b.handle } })).status).toBe(201);
    const old = (await h.call('GET', '/v1/notifications', { token: b.token })).body.items[0].id as string;
    const start = h.clock.now();
    h.clock.set(new Date(start.getTime() + 91 * 86_400_000));
    try {
      expect((await h.call('GET', '/v1/notifications', { token: b.token })).body.items).toEqual([]);
      expect((await h.call('POST', '/v1/invitations', { token: y.token, body: { to: b.handle } })).status).toBe(201);
      const s = await stream({ token: b.token, since: '0' });
      await s.next((f) => f.type === 'notification.created' && f.data.notification.id !== old);
      await s.quiet(300);
      expect(s.frames.filter((f) => f.type === 'notification.created').map((f) => f.data.notification.id)).not.toContain(old);
    } finally {
      h.clock.set(start);
    }
  });

  it('replays no invitation the member has since ignored, nor one its sender withdrew, nor their notifications (as the lists show them)', async () => {
    const b = await signUp(h);
    const [a, c, x] = [await signUp(h), await signUp(h), await signUp(h)];
    const invite = async (from: { token: string }) => {
      const r = await h.call('POST', '/v1/invitations', { token: from.token, body: { to: b.handle } });
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    };
    const ignored = await invite(a);
    const withdrawn = await invite(c);
    expect((await h.call('POST', `/v1/invitations/${ignored}/ignore`, { token: b.token })).status).toBe(200);
    expect((await h.call('POST', `/v1/invitations/${withdrawn}/withdraw`, { token: c.token })).status).toBe(200);
    // a block then an unblock turns the ignored invitation into an expired one: still not told of (found by a reviewer)
    expect((await h.call('POST', '/v1/blocks', { token: b.token, body: { handle: a.handle } })).status).toBe(201);
    expect((await h.call('DELETE', `/v1/blocks/${a.handle}`, { token: b.token })).status).toBe(204);
    // and one the replay must carry, last
    const kept = await invite(x);
    const s = await stream({ token: b.token, since: '0' });
    await s.next((f) => f.type === 'notification.created' && f.data.notification.subject?.invitationId === kept);
    await s.quiet(300);
    const named = s.frames
      .map((f) =>
        f.type === 'invitation.received' ? f.data.invitation.id : f.type === 'notification.created' ? f.data.notification.subject?.invitationId : undefined,
      )
      .filter((id) => id !== undefined);
    expect(named).toContain(kept);
    expect(named).not.toContain(ignored);
    expect(named).not.toContain(withdrawn);
  });

  it('replays no page request an admin deleted, as the lists show none (found by a member)', async () => {
    const [owner, customer, x] = [await signUp(h), await signUp(h), await signUp(h)];
    const handle = `shop_${owner.handle}`.slice(0, 30);
    await makePage(h, handle, [owner]);
    const r = await h.call('POST', '/v1/messages', { token: customer.token, body: { to: handle, body: 'Hello?' } });
    expect(r.status, r.text).toBe(201);
    expect((await h.call('DELETE', `/v1/conversations/${r.body.conversation.id}?as=${handle}`, { token: owner.token })).status).toBe(204);
    // and one the replay must carry, last
    expect((await h.call('POST', '/v1/invitations', { token: x.token, body: { to: owner.handle } })).status).toBe(201);
    const s = await stream({ token: owner.token, since: '0' });
    await s.next((f) => f.type === 'notification.created' && f.data.notification.kind === 'invitation.received');
    await s.quiet(300);
    const kinds = s.frames.map((f) => (f.type === 'notification.created' ? `notification ${f.data.notification.kind}` : f.type));
    expect(kinds).toContain('notification invitation.received');
    expect(kinds).not.toContain('notification page.request');
    expect(kinds).not.toContain('conversation.request');
    expect(kinds).not.toContain('message.created');
  });

  it('a request the member ignored stays deleted for them when they write to its sender later: not listed, not replayed (found by two members)', async () => {
    const [ann, bob, cy] = [await signUp(h), await signUp(h), await signUp(h)];
    await setTier(h, ann, 'career');
    await setTier(h, bob, 'career');
    await connect(h, ann, cy);
    await connect(h, cy, bob);
    const first = await sendMessage(ann, bob.handle, 'hello from afar');
    await sendMessage(ann, bob.handle, 'did you see my message?');
    expect((await h.call('POST', `/v1/conversations/${first.conversation.id}/ignore`, { token: bob.token })).status).toBe(200);
    const mine = await sendMessage(bob, ann.handle, 'hi ann, bob here');
    const listed = async (u: { token: string }) =>
      (await h.call('GET', `/v1/conversations/${mine.conversation.id}/messages`, { token: u.token })).body.items.map((m: { body: string }) => m.body);
    expect(await listed(bob)).toEqual(['hi ann, bob here']);
    expect(await listed(ann)).toEqual(['hi ann, bob here', 'did you see my message?', 'hello from afar']);
    const s = await stream({ token: bob.token, since: '0' });
    await s.next(isMsg('hi ann, bob here'));
    await s.quiet(300);
    const bodies = s.frames.filter((f) => f.type === 'message.created' || f.type === 'conversation.request').map((f) => `${f.type} ${f.data.message.body}`);
    expect(bodies).toEqual(['message.created hi ann, bob here']);
    expect(s.frames.filter((f) => f.type === 'notification.created').map((f) => f.data.notification.kind)).not.toContain('request.received');
  });

  it('a forwarded introduction the target ignored is not replayed once they write to its asker (found by a reviewer)', async () => {
    const { a, c } = await forwardedIntro();
    const conv = (await h.call('GET', '/v1/conversations?folder=requests', { token: c.token })).body.items[0];
    expect((await h.call('POST', `/v1/conversations/${conv.id}/ignore`, { token: c.token })).status).toBe(200);
    await setTier(h, c, 'career');
    await sendMessage(c, a.handle, 'hello from c');
    const s = await stream({ token: c.token, since: '0' });
    await s.next(isMsg('hello from c'));
    await s.quiet(300);
    expect(s.frames.map((f) => f.type)).not.toContain('introduction.forwarded');
    expect(s.frames.filter((f) => f.type === 'message.created').map((f) => f.data.message.body)).toEqual(['hello from c']);
  });

  it('replays nothing about a conversation a block has ended since: not its messages, not the notification of the introduction that began it', async () => {
    const { a, c } = await forwardedIntro();
    expect((await h.call('POST', '/v1/blocks', { token: c.token, body: { handle: a.handle } })).status).toBe(201);
    // and one the replay must carry, last: an invitation from b's side of the network
    const x = await signUp(h);
    expect((await h.call('POST', '/v1/invitations', { token: x.token, body: { to: c.handle } })).status).toBe(201);
    const s = await stream({ token: c.token, since: '0' });
    await s.next((f) => f.type === 'notification.created' && f.data.notification.kind === 'invitation.received');
    await s.quiet(300);
    const kinds = s.frames.map((f) => (f.type === 'notification.created' ? `notification ${f.data.notification.kind}` : f.type));
    expect(kinds).not.toContain('notification introduction.forwarded');
    expect(kinds).not.toContain('message.created');
    expect(kinds).not.toContain('conversation.request');
  });

  it("replays no forwarded introduction's notification while its asker is hidden (it names the introducer; found by a member)", async () => {
    const { a, c } = await forwardedIntro();
    expect((await h.call('POST', '/v1/me/deactivate', { token: a.token })).status).toBe(200);
    const x = await signUp(h);
    expect((await h.call('POST', '/v1/invitations', { token: x.token, body: { to: c.handle } })).status).toBe(201);
    const s = await stream({ token: c.token, since: '0' });
    await s.next((f) => f.type === 'notification.created' && f.data.notification.kind === 'invitation.received');
    await s.quiet(300);
    const kinds = s.frames.filter((f) => f.type === 'notification.created').map((f) => f.data.notification.kind as string);
    expect(kinds).not.toContain('introduction.forwarded');
  });

  it('typing: only from a participant, only when both have typing indicators on, with a resumable id', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const c = await signUp(h);
    await connect(h, a, b);
    const sent = await sendMessage(a, b.handle, 'typing test');
    const convId = sent.conversation.id;
    const sa = await stream({ token: a.token });
    const sb = await stream({ token: b.token });
    const sc = await stream({ token: c.token });
    sa.send({ type: 'typing', conversationId: convId });
    const t = await sb.next((f) => f.type === 'typing');
    expect(t.data.conversationId).toBe(convId);
    expect(t.data.member.handle).toBe(a.handle);
    expect(t.id).toMatch(/^[0-9]+:t[0-9]+$/);
    // the web UI's shape (conversationId inside data) works too
    sb.send({ type: 'typing', conversationId: convId, data: { conversationId: convId } });
    await sa.next((f) => f.type === 'typing' && f.data.member.handle === b.handle);
    // a stranger cannot type into it
    sc.send({ type: 'typing', conversationId: convId });
    expect(await sa.quiet(200, (f) => f.type === 'typing' && f.data.member.handle === c.handle)).toEqual([]);
    // b turns typing indicators off: a's typing no longer reaches b, and b's no longer reaches a
    const off = await h.call('PATCH', '/v1/me/settings', { token: b.token, body: { typingIndicators: false } });
    expect(off.status).toBe(200);
    sa.send({ type: 'typing', conversationId: convId });
    sb.send({ type: 'typing', conversationId: convId });
    expect(await sb.quiet(200, (f) => f.type === 'typing')).toHaveLength(0);
    expect(sa.frames.filter((f) => f.type === 'typing')).toHaveLength(1);
    // a typing id resumes from its durable cursor: since=<typing id> replays nothing already seen
    const again = await stream({ token: b.token, since: t.id });
    expect(await again.quiet(200)).toEqual([]);
  });

  it('typing follows the thread at once when a message begins it again: no typing from the recipient of the request it became', async () => {
    const [a, b, m] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    const sent = await sendMessage(a, b.handle, 'while connected');
    const convId = sent.conversation.id;
    const sa = await stream({ token: a.token });
    const sb = await stream({ token: b.token });
    sb.send({ type: 'typing', conversationId: convId }); // the hub caches the thread as open
    await sa.next((f) => f.type === 'typing');
    expect((await h.call('DELETE', `/v1/connections/${b.handle}`, { token: a.token })).status).toBe(204);
    await connect(h, a, m);
    await connect(h, m, b);
    await setTier(h, a, 'career');
    const req = await sendMessage(a, b.handle, 'a request now');
    expect(req.conversation).toMatchObject({ id: convId, state: 'request' });
    await sb.next(isMsg('a request now'));
    // the sender of a request is told nothing before an answer (DOMAIN.md 5), typing included
    sb.send({ type: 'typing', conversationId: convId });
    expect(await sa.quiet(300, (f) => f.type === 'typing')).toEqual([]);
  });

  it('fans a page conversation out to every admin of the page', async () => {
    const a1 = await signUp(h);
    const a2 = await signUp(h);
    const x = await signUp(h);
    const handle = `pg${Date.now() % 100000}`;
    const p = await h.call('POST', '/v1/pages', { token: a1.token, body: { handle, name: 'A page' } });
    expect(p.status, p.text).toBe(201);
    const s1 = await stream({ token: a1.token });
    const s2 = await stream({ token: a2.token });
    // a2 becomes an admin while connected (invited, accepts): the socket follows
    const add = await h.call('POST', `/v1/pages/${handle}/admins`, { token: a1.token, body: { handle: a2.handle } });
    expect(add.status, add.text).toBeLessThan(300);
    const accept = await h.call('POST', `/v1/pages/${handle}/admins/me/accept`, { token: a2.token });
    expect(accept.status, accept.text).toBe(200);
    await sendMessage(x, handle, 'hello page');
    await s1.next(isMsg('hello page'));
    await s2.next(isMsg('hello page'));
    await s2.next((f) => f.type === 'conversation.request');
  });

  it('closes the sockets of an account that is closed', async () => {
    const a = await signUp(h);
    const s = await stream({ token: a.token });
    const r = await h.call('POST', '/v1/me/close', { token: a.token });
    expect(r.status).toBe(200);
    expect((await s.closed).code).toBe(4003);
  });

  it('disconnects a slow consumer with 4008 instead of growing memory', async () => {
    const a = await signUp(h);
    const s = await stream({ token: a.token });
    const hub = h.inst.realtime.hub;
    const saved = hub.options.maxBufferedBytes;
    hub.options.maxBufferedBytes = 256 * 1024;
    try {
      s.ws.pause();
      const big = 'x'.repeat(64 * 1024);
      const id = Number(a.member.id);
      for (let i = 0; i < 400; i++) {
        hub.deliver([
          {
            id: 1e12 + i,
            type: 'message.created',
            memberIds: [id],
            payload: { conversationId: '1', message: { body: big } },
            createdAt: new Date().toISOString(),
          },
        ]);
      }
      s.ws.resume();
      const closed = await s.closed;
      expect(closed.code).toBe(4008);
      expect(s.frames.length).toBeLessThan(400);
    } finally {
      hub.options.maxBufferedBytes = saved;
    }
  });

  it('terminates a socket that stops answering heartbeats', async () => {
    const a = await signUp(h);
    const s = await stream({ token: a.token });
    const hub = h.inst.realtime.hub;
    const before = hub.size;
    hub.setPingInterval(100);
    try {
      s.ws.pause(); // no pongs
      await new Promise((r) => setTimeout(r, 450));
      expect(hub.size).toBe(before - 1);
    } finally {
      hub.setPingInterval(25_000);
      s.ws.terminate();
    }
  });
});

describe('shutdown (last: it closes the shared instance)', () => {
  it('closes every socket with 1012 (service restart) so clients reconnect elsewhere', async () => {
    const a = await signUp(h);
    const s = await stream({ token: a.token });
    const closing = h.inst.close();
    const c = await s.closed;
    expect(c.code).toBe(1012);
    expect(c.reason).toMatch(/reconnect/);
    await closing;
  });
});
