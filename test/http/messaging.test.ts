import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, count, folder, idOf, makeGroup, reply, send, setTier, settings } from '../helpers/messaging.js';

async function eventsOf(h: Harness, type: string): Promise<{ member_ids: number[]; payload: any }[]> {
  const res = (await h.inst.store.db.execute(sql`select member_ids, payload from events where type = ${type} order by id`)) as unknown as {
    rows: { member_ids: number[]; payload: any }[];
  };
  return res.rows.map((r) => ({ member_ids: r.member_ids.map(Number), payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload }));
}

describe(`messaging: channels and requests (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('direct between connections: 201 with message and conversation, inbox for both, unread, event', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const r = await send(h, a, b, 'Hello <b>there</b> https://example.test/x?y=1');
    expect(r.status).toBe(201);
    expect(r.body.message).toMatchObject({
      id: expect.stringMatching(/^[0-9]+$/),
      conversationId: r.body.conversation.id,
      sender: { handle: a.handle },
      body: 'Hello <b>there</b> https://example.test/x?y=1',
      subject: null,
      channel: 'direct',
      attachments: [],
    });
    expect(r.body.conversation).toMatchObject({ state: 'open', folder: 'inbox', unread: 0 });
    expect(r.body.conversation.participants.map((p: any) => p.handle).sort()).toEqual([a.handle, b.handle].sort());
    const inbox = await folder(h, b, 'inbox');
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ id: r.body.conversation.id, state: 'open', folder: 'inbox', unread: 1 });
    expect(inbox[0].lastMessage.body).toBe('Hello <b>there</b> https://example.test/x?y=1');
    const ev = (await eventsOf(h, 'message.created')).at(-1)!;
    expect(ev.member_ids.sort()).toEqual([idOf(a), idOf(b)].sort());
    expect(ev.payload).toMatchObject({ conversationId: r.body.conversation.id, message: { id: r.body.message.id } });
    // a second message reuses the conversation
    const r2 = await send(h, a, b, 'again');
    expect(r2.body.conversation.id).toBe(r.body.conversation.id);
    expect((await folder(h, b, 'inbox'))[0].unread).toBe(2);
  });

  it('out of reach: 403 not_in_reach with unlock, nothing stored', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const before = await count(h, 'messages');
    const convs = await count(h, 'conversations');
    const r = await send(h, a, b, 'hi');
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('not_in_reach');
    expect(r.body.error.unlock).toEqual(expect.arrayContaining([{ kind: 'inmail', credits: 1 }]));
    expect(await count(h, 'messages')).toBe(before);
    expect(await count(h, 'conversations')).toBe(convs);
  });

  it('unknown, deactivated and blocked recipients all read as 404 recipient_unavailable', async () => {
    const a = await signUp(h);
    const gone = await signUp(h);
    const blocker = await signUp(h);
    await connect(h, a, gone);
    await connect(h, a, blocker);
    await h.call('POST', '/v1/me/deactivate', { token: gone.token });
    expect((await h.call('POST', '/v1/blocks', { token: blocker.token, body: { handle: a.handle } })).status).toBe(201);
    const bodies = [];
    for (const to of ['nobody_at_all', gone.handle, blocker.handle]) {
      const r = await send(h, a, to, 'hi');
      expect(r.status, to).toBe(404);
      bodies.push(r.body.error);
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    expect(bodies[0].code).toBe('recipient_unavailable');
  });

  it('recipient settings: messagesFrom connections refuses a 2nd degree sender', async () => {
    const a = await signUp(h);
    const mid = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, mid);
    await connect(h, mid, b);
    await setTier(h, a, 'career');
    await settings(h, b, { messagesFrom: 'connections' });
    const r = await send(h, a, b, 'hi');
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('recipient_settings');
  });

  it('tier reach lands as a request; the recipient cannot reply before accepting; one follow-up, then awaiting_response', async () => {
    const a = await signUp(h);
    const mid = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, mid);
    await connect(h, mid, b);
    await setTier(h, a, 'career');
    const r = await send(h, a, b, 'May I ask you something?');
    expect(r.status).toBe(201);
    expect(r.body.message.channel).toBe('tier_reach');
    expect(r.body.conversation).toMatchObject({ state: 'request', folder: 'inbox' });
    const cid = r.body.conversation.id;
    // the sender sees it in the inbox as a request; the recipient in requests
    expect((await folder(h, a, 'inbox')).map((c) => c.id)).toContain(cid);
    const reqs = await folder(h, b, 'requests');
    expect(reqs.map((c) => c.id)).toEqual([cid]);
    expect(reqs[0]).toMatchObject({ state: 'request', folder: 'requests', unread: 1 });
    expect(await folder(h, b, 'inbox')).toEqual([]);
    const ev = (await eventsOf(h, 'conversation.request')).at(-1)!;
    expect(ev.member_ids).toEqual([idOf(b)]);
    // recipient cannot reply before accepting
    const early = await reply(h, b, cid, 'sure');
    expect(early.status).toBe(403);
    expect(early.body.error.code).toBe('request_not_accepted');
    // one follow-up, then awaiting_response (also through POST /v1/messages)
    expect((await reply(h, a, cid, 'follow-up')).status).toBe(201);
    const third = await reply(h, a, cid, 'again?');
    expect(third.status).toBe(403);
    expect(third.body.error.code).toBe('awaiting_response');
    expect((await send(h, a, b, 'again?')).body.error.code).toBe('awaiting_response');
    // accept: open, in the inbox, no connection made
    const acc = await h.call('POST', `/v1/conversations/${cid}/accept`, { token: b.token });
    expect(acc.status).toBe(200);
    expect(acc.body).toMatchObject({ id: cid, state: 'open', folder: 'inbox', unread: 2 });
    expect((await folder(h, b, 'inbox')).map((c) => c.id)).toEqual([cid]);
    expect(await folder(h, b, 'requests')).toEqual([]);
    const conn = (await h.inst.store.db.execute(
      sql`select count(*)::int as n from connections where (a = ${idOf(a)} and b = ${idOf(b)}) or (a = ${idOf(b)} and b = ${idOf(a)})`,
    )) as unknown as { rows: { n: number }[] };
    expect(Number(conn.rows[0]!.n)).toBe(0);
    expect((await reply(h, b, cid, 'sure, go ahead')).status).toBe(201);
    expect((await reply(h, a, cid, 'thanks')).status).toBe(201);
    expect((await h.call('POST', `/v1/conversations/${cid}/accept`, { token: b.token })).status).toBe(409);
  });

  it('ignore: gone for the recipient, the sender still sees a pending request and is told nothing', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await settings(h, b, { messageRequests: 'on' });
    const g = await makeGroup(h, [a, b]);
    expect(g).toBeGreaterThan(0);
    const r = await send(h, a, b, 'hello from the group');
    expect(r.status).toBe(201);
    expect(r.body.message.channel).toBe('group');
    const cid = r.body.conversation.id;
    const ig = await h.call('POST', `/v1/conversations/${cid}/ignore`, { token: b.token });
    expect(ig.status).toBe(200);
    expect(await folder(h, b, 'requests')).toEqual([]);
    expect((await h.call('GET', `/v1/conversations/${cid}/messages`, { token: b.token })).status).toBe(404);
    const mine = await folder(h, a, 'inbox');
    expect(mine.find((c) => c.id === cid)).toMatchObject({ state: 'request' });
    const eventsBefore = (await eventsOf(h, 'message.created')).length;
    expect((await reply(h, a, cid, 'did you see?')).status).toBe(201);
    const last = (await eventsOf(h, 'message.created')).slice(eventsBefore);
    expect(last).toHaveLength(1);
    expect(last[0]!.member_ids).toEqual([idOf(a)]);
    expect((await reply(h, a, cid, 'hello?')).body.error.code).toBe('awaiting_response');
    expect(await folder(h, b, 'requests')).toEqual([]);
    // decision as the sender sees it: still pending, nothing leaks
    expect((await h.call('GET', `/v1/conversations/${cid}`, { token: a.token })).body.state).toBe('request');
  });

  it('a recipient who ignored a request may later write to its sender: the conversation restarts as theirs', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await makeGroup(h, [a, b]);
    const r = await send(h, a, b, 'first contact');
    const cid = r.body.conversation.id;
    await h.call('POST', `/v1/conversations/${cid}/ignore`, { token: b.token });
    const back = await send(h, b, a, 'actually, hello');
    expect(back.status).toBe(201);
    expect(back.body.conversation).toMatchObject({ id: cid, state: 'request', folder: 'inbox' });
    const reqs = await folder(h, a, 'requests');
    expect(reqs.map((c) => c.id)).toEqual([cid]);
    expect((await h.call('POST', `/v1/conversations/${cid}/accept`, { token: a.token })).body.state).toBe('open');
    expect((await reply(h, a, cid, 'great')).status).toBe(201);
  });

  it('a reply to a member who deactivated since: 404, the conversation is gone as after a block', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const cid = (await send(h, a, b, 'hi')).body.conversation.id;
    await h.call('POST', '/v1/me/deactivate', { token: b.token });
    const r = await reply(h, a, cid, 'still there?');
    const unknown = await reply(h, a, '999999999', 'anyone?');
    expect(r.status).toBe(404);
    expect(r.body).toEqual(unknown.body);
    expect(await folder(h, a, 'inbox')).toEqual([]);
    await h.call('POST', '/v1/me/reactivate', { token: b.token });
    expect((await folder(h, a, 'inbox')).map((c) => c.id)).toEqual([cid]);
  });

  it('a block hides the conversation from both sides and refuses further messages', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await makeGroup(h, [a, b]);
    const cid = (await send(h, a, b, 'hello')).body.conversation.id;
    expect((await h.call('POST', '/v1/blocks', { token: b.token, body: { handle: a.handle } })).status).toBe(201);
    expect(await folder(h, b, 'requests')).toEqual([]);
    expect((await folder(h, a, 'inbox')).map((c) => c.id)).not.toContain(cid);
    expect((await reply(h, a, cid, 'hello?')).status).toBe(404);
    expect((await send(h, a, b, 'hello?')).body.error.code).toBe('recipient_unavailable');
  });

  it('open profile: a premium recipient with Open Profile on gets it in the inbox', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await setTier(h, b, 'business');
    await settings(h, b, { openProfile: true });
    const r = await send(h, a, b, 'open profile hello');
    expect(r.status).toBe(201);
    expect(r.body.message.channel).toBe('open_profile');
    expect(r.body.conversation.state).toBe('open');
    expect((await folder(h, b, 'inbox')).map((c) => c.id)).toContain(r.body.conversation.id);
    expect((await reply(h, b, r.body.conversation.id, 'hi back')).status).toBe(201);
  });

  it('open inbox: requests off opens the inbox to anyone', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await settings(h, b, { messageRequests: 'off' });
    const r = await send(h, a, b, 'open inbox hello');
    expect(r.status).toBe(201);
    expect(r.body.message.channel).toBe('open_inbox');
    expect((await folder(h, b, 'inbox'))[0]).toMatchObject({ id: r.body.conversation.id, folder: 'inbox', unread: 1 });
  });

  it('a group message to someone with requests off lands in the inbox', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await settings(h, b, { messageRequests: 'off' });
    await makeGroup(h, [a, b]);
    const r = await send(h, a, b, 'hello group mate');
    expect(r.body.message.channel).toBe('group');
    expect(r.body.conversation.state).toBe('open');
  });

  it('report: a reported request is gone for the reporter; GET /v1/admin/reports lists it', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await makeGroup(h, [a, b]);
    const r = await send(h, a, b, 'buy my stuff');
    const rep = await h.call('POST', `/v1/conversations/${r.body.conversation.id}/report`, { token: b.token, body: { reason: 'spam' } });
    expect(rep.status).toBe(200);
    expect(await folder(h, b, 'requests')).toEqual([]);
    const list = await admin(h, 'GET', `/v1/admin/reports?handle=${a.handle}`);
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toMatchObject({
      reporter: { handle: b.handle },
      reported: { handle: a.handle },
      reason: 'spam',
      conversationId: r.body.conversation.id,
    });
    expect((await h.call('GET', '/v1/admin/reports', { token: b.token })).status).toBe(401);
    const bad = await h.call('POST', `/v1/conversations/${r.body.conversation.id}/report`, { token: a.token, body: { reason: 'boring' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('reason');
  });

  it('conversations: newest activity first, read resets unread, hide and come back, cursor pages', async () => {
    const me = await signUp(h);
    const x = await signUp(h);
    const y = await signUp(h);
    const z = await signUp(h);
    for (const o of [x, y, z]) await connect(h, me, o);
    const cx = (await send(h, x, me, 'from x')).body.conversation.id;
    h.clock.advance(1000);
    const cy = (await send(h, y, me, 'from y')).body.conversation.id;
    h.clock.advance(1000);
    const cz = (await send(h, z, me, 'from z')).body.conversation.id;
    h.clock.advance(1000);
    await send(h, x, me, 'x again');
    expect((await folder(h, me, 'inbox')).map((c) => c.id)).toEqual([cx, cz, cy]);
    // same instant: still ordered by the latest message
    await send(h, y, me, 'y again');
    expect((await folder(h, me, 'inbox')).map((c) => c.id)).toEqual([cy, cx, cz]);
    const p1 = await h.call('GET', '/v1/conversations?limit=2', { token: me.token });
    expect(p1.body.items.map((c: any) => c.id)).toEqual([cy, cx]);
    expect(p1.body.nextCursor).toEqual(expect.any(String));
    const p2 = await h.call('GET', `/v1/conversations?limit=2&cursor=${encodeURIComponent(p1.body.nextCursor)}`, { token: me.token });
    expect(p2.body.items.map((c: any) => c.id)).toEqual([cz]);
    expect(p2.body.nextCursor).toBeNull();
    expect((await h.call('GET', '/v1/conversations?cursor=garbage', { token: me.token })).status).toBe(400);
    expect((await h.call('GET', '/v1/conversations?folder=spam', { token: me.token })).status).toBe(400);
    // read
    const rd = await h.call('POST', `/v1/conversations/${cx}/read`, { token: me.token });
    expect(rd.status).toBe(200);
    expect(rd.body.unread).toBe(0);
    expect((await folder(h, me, 'inbox')).find((c) => c.id === cx).unread).toBe(0);
    // hide, then a new message brings it back
    expect((await h.call('DELETE', `/v1/conversations/${cz}`, { token: me.token })).status).toBe(204);
    expect((await folder(h, me, 'inbox')).map((c) => c.id)).not.toContain(cz);
    await send(h, z, me, 'are you there?');
    expect((await folder(h, me, 'inbox'))[0].id).toBe(cz);
    // strangers see nothing
    expect((await h.call('GET', `/v1/conversations/${cz}/messages`, { token: x.token })).status).toBe(404);
    expect((await h.call('POST', `/v1/conversations/${cz}/read`, { token: x.token })).status).toBe(404);
    expect((await h.call('GET', `/v1/conversations/99999999/messages`, { token: x.token })).status).toBe(404);
    expect((await h.call('GET', `/v1/conversations/abc/messages`, { token: x.token })).status).toBe(400);
  });

  it('read receipts: the other side learns only when both have them on', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const r = await send(h, a, b, 'did you read this?');
    const cid = r.body.conversation.id;
    await h.call('POST', `/v1/conversations/${cid}/read`, { token: b.token });
    let seen = await h.call('GET', `/v1/conversations/${cid}`, { token: a.token });
    expect(seen.body.readUpTo).toBe(r.body.message.id);
    const readEvents = (await eventsOf(h, 'read')).filter((e) => e.payload.conversationId === cid);
    expect(readEvents).toHaveLength(1);
    expect(readEvents[0]!.member_ids).toEqual([idOf(a)]);
    await settings(h, b, { readReceipts: false });
    const r2 = await send(h, a, b, 'and this one?');
    await h.call('POST', `/v1/conversations/${cid}/read`, { token: b.token });
    seen = await h.call('GET', `/v1/conversations/${cid}`, { token: a.token });
    expect(seen.body.readUpTo).toBeNull();
    expect((await eventsOf(h, 'read')).filter((e) => e.payload.conversationId === cid)).toHaveLength(1);
    expect(r2.status).toBe(201);
  });

  it('message pages: newest first, cursor stable while new messages arrive', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    let cid = '';
    for (let i = 1; i <= 5; i++) {
      const r = await send(h, i % 2 ? a : b, i % 2 ? b : a, `m${i}`);
      cid = r.body.conversation.id;
    }
    const p1 = await h.call('GET', `/v1/conversations/${cid}/messages?limit=2`, { token: a.token });
    expect(p1.body.items.map((m: any) => m.body)).toEqual(['m5', 'm4']);
    await send(h, a, b, 'm6');
    await send(h, b, a, 'm7');
    const p2 = await h.call('GET', `/v1/conversations/${cid}/messages?limit=2&cursor=${p1.body.nextCursor}`, { token: a.token });
    expect(p2.body.items.map((m: any) => m.body)).toEqual(['m3', 'm2']);
    const p3 = await h.call('GET', `/v1/conversations/${cid}/messages?limit=2&cursor=${p2.body.nextCursor}`, { token: b.token });
    expect(p3.body.items.map((m: any) => m.body)).toEqual(['m1']);
    expect(p3.body.nextCursor).toBeNull();
    expect((await h.call('GET', `/v1/conversations/${cid}/messages?cursor=x1`, { token: a.token })).status).toBe(400);
  });

  it('bad input: 400 naming the field, nothing stored', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const before = await count(h, 'messages');
    const cases: [unknown, string][] = [
      [{ to: b.handle }, 'body'],
      [{ body: 'x' }, 'to'],
      [{ to: b.handle, body: 42 }, 'body'],
      [{ to: b.handle, body: 'x', channel: 'sms' }, 'channel'],
      [{ to: b.handle, body: 'x', colour: 'red' }, 'colour'],
      [{ to: b.handle, body: '   ' }, 'body'],
      [{ to: b.handle, body: 'x', attachments: ['nope'] }, 'attachments'],
    ];
    for (const [body, field] of cases) {
      const r = await h.call('POST', '/v1/messages', { token: a.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.details.field, JSON.stringify(body)).toBe(field);
    }
    expect((await h.call('POST', '/v1/messages', { body: { to: b.handle, body: 'x' } })).status).toBe(401);
    expect(await count(h, 'messages')).toBe(before);
  });

  it('a restricted member may read but not send', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const cid = (await send(h, b, a, 'hi')).body.conversation.id;
    await admin(h, 'POST', `/v1/admin/members/${a.handle}/restrict`);
    const r = await send(h, a, b, 'hi');
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('sender_restricted');
    expect((await h.call('GET', `/v1/conversations/${cid}/messages`, { token: a.token })).status).toBe(200);
  });
});

describe(`messaging: limits (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({
      policy: {
        messageMaxChars: 50,
        messagesPerMinute: 4,
        nonConnectionConversationsPerMonth: 4,
        groupConversationsPerMonth: 2,
        bulkRecipientsThreshold: 3,
        reportsToRestrict: 3,
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('body over messageMaxChars: 400 too_long; at the limit: 201', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const r = await send(h, a, b, 'x'.repeat(51));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('too_long');
    expect(r.body.error.details.field).toBe('body');
    expect((await send(h, a, b, '😀'.repeat(50))).status).toBe(201);
  });

  it('messages a minute: 429 rate_limited with Retry-After, then allowed after the window', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    for (let i = 0; i < 4; i++) expect((await send(h, a, b, `n${i}`)).status).toBe(201);
    const r = await send(h, a, b, 'one too many');
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('rate_limited');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(r.body.error.unlock[0].kind).toBe('wait');
    h.clock.advance(61_000);
    expect((await send(h, a, b, 'later')).status).toBe(201);
  });

  it('new conversations with non-connections a month: 429 monthly_limit, next month again', async () => {
    const a = await signUp(h);
    const others = [];
    for (let i = 0; i < 5; i++) {
      const o = await signUp(h);
      await settings(h, o, { messageRequests: 'off' });
      others.push(o);
    }
    for (let i = 0; i < 4; i++) {
      expect((await send(h, a, others[i]!, `hello ${i}`)).status).toBe(201);
      h.clock.advance(20_000);
    }
    const r = await send(h, a, others[4]!, 'hello 4');
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('monthly_limit');
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    // existing conversations still work; so do connections
    h.clock.advance(61_000);
    expect((await send(h, a, others[0]!, 'again')).status).toBe(201);
    const friend = await signUp(h);
    await connect(h, a, friend);
    expect((await send(h, a, friend, 'hi friend')).status).toBe(201);
    h.clock.set('2026-04-01T00:00:01Z');
    expect((await send(h, a, others[4]!, 'hello 4')).status).toBe(201);
  });

  it('group conversations a month: at most groupConversationsPerMonth', async () => {
    h.clock.set('2026-05-03T10:00:00Z');
    const a = await signUp(h);
    const mates = [await signUp(h), await signUp(h), await signUp(h)];
    await makeGroup(h, [a, ...mates]);
    expect((await send(h, a, mates[0]!, 'g1')).status).toBe(201);
    expect((await send(h, a, mates[1]!, 'g2')).status).toBe(201);
    const r = await send(h, a, mates[2]!, 'g3');
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('monthly_limit');
  });

  it('bulk: the same text (case, whitespace) to the threshold of non-connections flags the sender until cleared', async () => {
    h.clock.set('2026-06-03T10:00:00Z');
    const a = await signUp(h);
    const rs = [];
    for (let i = 0; i < 5; i++) {
      const o = await signUp(h);
      await settings(h, o, { messageRequests: 'off' });
      rs.push(o);
    }
    const friend = await signUp(h);
    await connect(h, a, friend);
    const texts = ['Great offer for you!', '  great   OFFER for you! ', 'GREAT offer\nfor you!'];
    for (let i = 0; i < 3; i++) {
      expect((await send(h, a, rs[i]!, texts[i]!)).status).toBe(201);
      h.clock.advance(20_000);
    }
    const r = await send(h, a, rs[3]!, 'something else entirely');
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('bulk_flagged');
    // connections are still fine
    expect((await send(h, a, friend, 'Great offer for you!')).status).toBe(201);
    const cleared = await admin(h, 'POST', `/v1/admin/members/${a.handle}/unrestrict`);
    expect(cleared.status).toBe(200);
    h.clock.advance(61_000);
    expect((await send(h, a, rs[3]!, 'something else entirely')).status).toBe(201);
  });

  it('three distinct reporters (spam/harassment) in 30 days restrict the sender; unrestrict clears it', async () => {
    h.clock.set('2026-07-03T10:00:00Z');
    const spammer = await signUp(h);
    const victims = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    for (const v of victims) await connect(h, spammer, v);
    h.clock.advance(8 * 86_400_000); // reporters' accounts are older than reportMinAccountAgeDays
    const cids = [];
    for (const v of victims) {
      cids.push((await send(h, spammer, v, `hi ${v.handle}`)).body.conversation.id);
      h.clock.advance(20_000);
    }
    // the same reporter twice, and an 'other' report, count once / not at all
    await h.call('POST', `/v1/conversations/${cids[0]}/report`, { token: victims[0]!.token, body: { reason: 'spam' } });
    await h.call('POST', `/v1/conversations/${cids[0]}/report`, { token: victims[0]!.token, body: { reason: 'harassment' } });
    await h.call('POST', `/v1/conversations/${cids[3]}/report`, { token: victims[3]!.token, body: { reason: 'other' } });
    await h.call('POST', `/v1/conversations/${cids[1]}/report`, { token: victims[1]!.token, body: { reason: 'spam' } });
    h.clock.advance(61_000);
    expect((await send(h, spammer, victims[0]!, 'still here')).status).toBe(201);
    await h.call('POST', `/v1/conversations/${cids[2]}/report`, { token: victims[2]!.token, body: { reason: 'harassment' } });
    const r = await send(h, spammer, victims[0]!, 'still here?');
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('sender_restricted');
    expect((await h.call('GET', '/v1/me', { token: spammer.token })).body.member.status).toBe('restricted');
    const list = await admin(h, 'GET', `/v1/admin/reports?handle=${spammer.handle}`);
    expect(list.body.items).toHaveLength(5);
    await admin(h, 'POST', `/v1/admin/members/${spammer.handle}/unrestrict`);
    expect((await send(h, spammer, victims[0]!, 'sorry')).status).toBe(201);
    // old reports do not re-restrict after review; a new one alone does not either
    await h.call('POST', `/v1/conversations/${cids[1]}/report`, { token: victims[1]!.token, body: { reason: 'spam' } });
    h.clock.advance(61_000);
    expect((await send(h, spammer, victims[0]!, 'ok')).status).toBe(201);
  });

  it('reports count only from someone the member wrote to, in that conversation, from an account old enough (issue 14, finding 3)', async () => {
    h.clock.set('2026-09-03T10:00:00Z');
    const victim = await signUp(h);
    const attackers = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await makeGroup(h, [victim, ...attackers]);
    h.clock.advance(8 * 86_400_000);
    // attackers write to the victim through the group and report their own conversations
    for (const a of attackers) {
      const r = await send(h, a, victim, `hello ${a.handle}`);
      expect(r.status).toBe(201);
      const rep = await h.call('POST', `/v1/conversations/${r.body.conversation.id}/report`, { token: a.token, body: { reason: 'spam' } });
      expect(rep.status).toBe(200);
    }
    expect((await h.call('GET', '/v1/me', { token: victim.token })).body.member.status).toBe('active');
    // every report still reaches the moderators
    expect((await admin(h, 'GET', `/v1/admin/reports?handle=${victim.handle}`)).body.items).toHaveLength(4);
    // new accounts the victim did write to do not count either
    const young = [await signUp(h), await signUp(h), await signUp(h)];
    for (const y of young) {
      await connect(h, victim, y);
      const r = await send(h, victim, y, `hi ${y.handle}`);
      await h.call('POST', `/v1/conversations/${r.body.conversation.id}/report`, { token: y.token, body: { reason: 'spam' } });
    }
    expect((await h.call('GET', '/v1/me', { token: victim.token })).body.member.status).toBe('active');
  });
});
