/** Warm introductions through the API (DOMAIN.md 11, API.md "Introductions"). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, count, folder, makeGroup, reply, settings, type User } from '../helpers/messaging.js';

const DAY = 86_400_000;

describe(`introductions (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ now: '2026-05-04T10:00:00Z', policy: { introductionsPerMonth: 4 } });
  });
  afterAll(async () => {
    await h?.close();
  });
  const ask = (from: User, to: User, via: User, note?: string) =>
    h.call('POST', '/v1/introductions', { token: from.token, body: { to: to.handle, via: via.handle, ...(note !== undefined ? { note } : {}) } });
  const list = async (u: User, role: 'asked' | 'to_forward') => (await h.call('GET', `/v1/introductions?role=${role}`, { token: u.token })).body.items as any[];
  /** A - B - C: B connects A to C. */
  async function triangle() {
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    await connect(h, b, c);
    return { a, b, c };
  }

  it('ask, forward: C gets a request from A on channel introduction, showing B and both notes', async () => {
    const { a, b, c } = await triangle();
    const r = await ask(a, c, b, 'We both work on search engines');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      from: { handle: a.handle },
      via: { handle: b.handle },
      to: { handle: c.handle },
      note: 'We both work on search engines',
      forwardNote: null,
      status: 'asked',
    });
    expect((await list(b, 'to_forward')).map((i) => i.id)).toEqual([r.body.id]);
    expect((await list(a, 'asked')).map((i) => i.status)).toEqual(['asked']);
    // nobody else learns of it
    expect(await list(c, 'to_forward')).toEqual([]);
    expect(await list(c, 'asked')).toEqual([]);
    const fwd = await h.call('POST', `/v1/introductions/${r.body.id}/forward`, { token: b.token, body: { note: 'Ann is great, talk to her' } });
    expect(fwd.status).toBe(200);
    expect(fwd.body.status).toBe('forwarded');
    const requests = await folder(h, c, 'requests');
    expect(requests).toHaveLength(1);
    const conv = requests[0];
    expect(conv.state).toBe('request');
    expect(conv.lastMessage).toMatchObject({
      channel: 'introduction',
      body: 'We both work on search engines',
      sender: { handle: a.handle },
      introducedBy: { handle: b.handle },
      introduction: { note: 'We both work on search engines', forwardNote: 'Ann is great, talk to her' },
    });
    expect((await list(a, 'asked'))[0]).toMatchObject({ status: 'forwarded', conversationId: conv.id });
    // notifications: the introducer was asked; the target got an introduction (not a cold request)
    const kinds = async (u: User) =>
      ((await h.call('GET', '/v1/notifications', { token: u.token })).body.items as { kind: string; actors: { handle: string }[] }[]).filter(
        (n) => !n.kind.startsWith('invitation.'),
      );
    expect((await kinds(b)).map((n) => [n.kind, n.actors[0]?.handle])).toEqual([['introduction.asked', a.handle]]);
    expect((await kinds(c)).map((n) => [n.kind, n.actors[0]?.handle])).toEqual([['introduction.forwarded', b.handle]]);
    expect(await list(b, 'to_forward')).toEqual([]);
    // C accepts it like any request; then they write freely
    expect((await h.call('POST', `/v1/conversations/${conv.id}/accept`, { token: c.token })).body.accepted).toBe(true);
    expect((await reply(h, c, conv.id, 'Hi Ann!')).status).toBe(201);
    expect((await reply(h, a, conv.id, 'Thanks for accepting')).status).toBe(201);
  });

  it('refusals carry the policy reason and unlock, and store nothing', async () => {
    const { a, b, c } = await triangle();
    const d = await signUp(h); // a mutual connection of a and c that b is not
    await connect(h, a, d);
    await connect(h, d, c);
    const stranger = await signUp(h);
    const before = await count(h, 'introductions');
    // via is not connected to the target: not_in_reach, with the real mutual connections as unlocks
    const e = await signUp(h);
    await connect(h, a, e);
    const wrongVia = await ask(a, c, e);
    expect(wrongVia.status).toBe(403);
    expect(wrongVia.body.error.code).toBe('not_in_reach');
    expect(wrongVia.body.error.unlock).toEqual(
      expect.arrayContaining([
        { kind: 'introduction', via: [b.handle] },
        { kind: 'introduction', via: [d.handle] },
      ]),
    );
    // a 1st-degree member, an out-of-network member, an unknown member
    expect((await ask(a, b, d)).body.error.code).toBe('already_connected');
    expect((await ask(a, stranger, b)).body.error.code).toBe('not_in_reach');
    const unknown = await h.call('POST', '/v1/introductions', { token: a.token, body: { to: 'nobody_at_all', via: b.handle } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('recipient_unavailable');
    // a note over 300 characters
    const long = await ask(a, c, b, 'x'.repeat(301));
    expect(long.status).toBe(400);
    expect(long.body.error.code).toBe('note_too_long');
    expect(await count(h, 'introductions')).toBe(before);
    // twice about the same member, even through another mutual
    expect((await ask(a, c, b)).status).toBe(201);
    const twice = await ask(a, c, d);
    expect(twice.status).toBe(403);
    expect(twice.body.error.code).toBe('awaiting_response');
    // the target's settings apply
    const { a: a2, b: b2, c: c2 } = await triangle();
    await settings(h, c2, { messagesFrom: 'connections' });
    expect((await ask(a2, c2, b2)).body.error.code).toBe('recipient_settings');
  });

  it('the monthly limit, then the 1st of the month', async () => {
    h.clock.set('2026-06-10T10:00:00Z');
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const targets: User[] = [];
    for (let i = 0; i < 5; i++) {
      const t = await signUp(h);
      await connect(h, b, t);
      targets.push(t);
    }
    for (let i = 0; i < 4; i++) expect((await ask(a, targets[i]!, b)).status).toBe(201);
    const over = await ask(a, targets[4]!, b);
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({ code: 'monthly_limit', unlock: [{ kind: 'wait', until: '2026-07-01T00:00:00.000Z' }] });
    expect(over.headers['retry-after']).toBeDefined();
    h.clock.set('2026-07-01T00:00:01Z');
    expect((await ask(a, targets[4]!, b)).status).toBe(201);
  });

  it('three declines within 30 days pause asks from that member for 90 days; the asker only reads not_forwarded', async () => {
    h.clock.set('2026-08-03T10:00:00Z');
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const targets: User[] = [];
    for (let i = 0; i < 4; i++) {
      const t = await signUp(h);
      await connect(h, b, t);
      targets.push(t);
    }
    for (let i = 0; i < 3; i++) {
      const r = await ask(a, targets[i]!, b);
      expect(r.status).toBe(201);
      const dec = await h.call('POST', `/v1/introductions/${r.body.id}/decline`, { token: b.token });
      expect(dec.status).toBe(200);
      h.clock.advance(DAY);
    }
    expect((await list(a, 'asked')).map((i) => i.status)).toEqual(['not_forwarded', 'not_forwarded', 'not_forwarded']);
    const paused = await ask(a, targets[3]!, b);
    // a pause, like the cooldowns, is a denial (403), not a quota (API.md "Conventions")
    expect(paused.status).toBe(403);
    expect(paused.body.error.code).toBe('introductions_paused');
    expect(paused.body.error.unlock[0]).toEqual({ kind: 'wait', until: '2026-11-03T10:00:00.000Z' });
    h.clock.set('2026-11-03T10:00:01Z');
    expect((await ask(a, targets[3]!, b)).status).toBe(201);
  });

  it('an unanswered ask expires after introductionExpiryDays; forwarding it then is a conflict', async () => {
    const { a, b, c } = await triangle();
    const r = await ask(a, c, b);
    h.clock.advance(14 * DAY);
    expect((await list(a, 'asked'))[0].status).toBe('not_forwarded');
    expect(await list(b, 'to_forward')).toEqual([]);
    expect((await h.call('POST', `/v1/introductions/${r.body.id}/forward`, { token: b.token, body: {} })).status).toBe(409);
    // and a new ask may be made
    expect((await ask(a, c, b)).status).toBe(201);
  });

  it("an ask lapses once the asker or the target is no longer the introducer's connection: not forwarded, gone from B's list, another mutual may be asked at once (DOMAIN.md 11; found by a member, then a reviewer)", async () => {
    const { a, b, c } = await triangle();
    const d = await signUp(h);
    await connect(h, a, d);
    await connect(h, d, c);
    const r = await ask(a, c, b);
    expect(r.status).toBe(201);
    // A removes B: B can no longer introduce A
    expect((await h.call('DELETE', `/v1/connections/${b.handle}`, { token: a.token })).status).toBe(204);
    expect(await list(b, 'to_forward')).toEqual([]);
    expect((await list(a, 'asked')).map((i) => [i.id, i.status])).toEqual([[r.body.id, 'not_forwarded']]);
    const fwd = await h.call('POST', `/v1/introductions/${r.body.id}/forward`, { token: b.token, body: { note: 'meet Ann' } });
    expect(fwd.status).toBe(409);
    expect(await folder(h, c, 'requests')).toEqual([]);
    // the pair's one open ask is free again: A asks D at once
    expect((await ask(a, c, d)).status).toBe(201);
    // the other side: B removes C
    const t2 = await triangle();
    const r2 = await ask(t2.a, t2.c, t2.b);
    expect((await h.call('DELETE', `/v1/connections/${t2.c.handle}`, { token: t2.b.token })).status).toBe(204);
    expect((await h.call('POST', `/v1/introductions/${r2.body.id}/forward`, { token: t2.b.token, body: {} })).status).toBe(409);
    expect((await list(t2.a, 'asked'))[0].status).toBe('not_forwarded');
    // the introducer closes their account: the ask lapses with their connections, and A asks another mutual
    const t3 = await triangle();
    const d3 = await signUp(h);
    await connect(h, t3.a, d3);
    await connect(h, d3, t3.c);
    expect((await ask(t3.a, t3.c, t3.b)).status).toBe(201);
    expect((await h.call('POST', '/v1/me/close', { token: t3.b.token })).status).toBe(200);
    expect((await ask(t3.a, t3.c, d3)).status).toBe(201);
  });

  it("no introduction past the one follow-up: while the asker's own request waits (or was ignored), no ask, no path, and a forward reaches no one (found by a member)", async () => {
    const { a, b, c } = await triangle();
    const first = await ask(a, c, b);
    expect((await h.call('POST', `/v1/introductions/${first.body.id}/forward`, { token: b.token, body: {} })).status).toBe(200);
    const [req] = await folder(h, c, 'requests');
    expect(req).toBeDefined();
    // A's request waits: asking again is refused, and no introduction is offered as a way in
    const again = await ask(a, c, b);
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('awaiting_response');
    const why = await h.call('GET', `/v1/members/${c.handle}/decisions/message`, { token: a.token });
    expect((why.body.unlock ?? []).filter((x: any) => x.kind === 'introduction')).toEqual([]);
    // C ignores it: to A it still waits
    expect((await h.call('POST', `/v1/conversations/${req.id}/ignore`, { token: c.token })).status).toBe(200);
    expect((await ask(a, c, b)).body.error?.code).toBe('awaiting_response');
    expect(await folder(h, c, 'requests')).toEqual([]);
    // an ask made before A wrote: A writes to C through a shared group meanwhile; the forward reads as done to B, nothing more reaches C
    const t = await triangle();
    const r = await ask(t.a, t.c, t.b);
    expect(r.status).toBe(201);
    await makeGroup(h, [t.a, t.c]);
    const direct = await h.call('POST', '/v1/messages', { token: t.a.token, body: { to: t.c.handle, body: 'hello through our group' } });
    expect(direct.status).toBe(201);
    expect((await h.call('POST', '/v1/messages', { token: t.a.token, body: { to: t.c.handle, body: 'one follow-up' } })).status).toBe(201);
    const fwd = await h.call('POST', `/v1/introductions/${r.body.id}/forward`, { token: t.b.token, body: {} });
    expect(fwd.status).toBe(200);
    const msgs = await h.call('GET', `/v1/conversations/${direct.body.conversation.id}/messages`, { token: t.c.token });
    expect(msgs.body.items.map((m: any) => m.body)).toEqual(['one follow-up', 'hello through our group']);
  });

  it('a block between any two of the three makes the ask vanish for whoever can no longer see the others', async () => {
    const { a, b, c } = await triangle();
    const r = await ask(a, c, b);
    expect(r.status).toBe(201);
    await h.call('POST', '/v1/blocks', { token: c.token, body: { handle: a.handle } });
    expect(await list(a, 'asked')).toEqual([]);
    // B still sees both: the forward reads as any other (B learns no block), and nothing reaches C
    const fwd = await h.call('POST', `/v1/introductions/${r.body.id}/forward`, { token: b.token, body: {} });
    expect(fwd.status).toBe(200);
    expect(await folder(h, c, 'requests')).toEqual([]);
    const { a: a2, b: b2, c: c2 } = await triangle();
    const r2 = await ask(a2, c2, b2);
    await h.call('POST', '/v1/blocks', { token: b2.token, body: { handle: a2.handle } });
    expect(await list(b2, 'to_forward')).toEqual([]);
    expect(await list(a2, 'asked')).toEqual([]);
    expect((await h.call('POST', `/v1/introductions/${r2.body.id}/forward`, { token: b2.token, body: {} })).status).toBe(404);
    // only the asked member may forward or decline
    const { a: a3, b: b3, c: c3 } = await triangle();
    const r3 = await ask(a3, c3, b3);
    expect((await h.call('POST', `/v1/introductions/${r3.body.id}/forward`, { token: c3.token, body: {} })).status).toBe(404);
    expect((await h.call('POST', `/v1/introductions/${r3.body.id}/decline`, { token: a3.token })).status).toBe(404);
  });

  it('an introduction the other way round: the new asker finds their request in their inbox, not in their requests (model finding 4)', async () => {
    const { a, b, c } = await triangle();
    const first = await ask(a, c, b);
    expect((await h.call('POST', `/v1/introductions/${first.body.id}/forward`, { token: b.token, body: {} })).status).toBe(200);
    // C, instead of accepting A's request, asks B for an introduction to A; B forwards it
    const back = await ask(c, a, b, 'Hello from the other side');
    expect(back.status).toBe(201);
    expect((await h.call('POST', `/v1/introductions/${back.body.id}/forward`, { token: b.token, body: {} })).status).toBe(200);
    const ids = async (u: User, f: 'inbox' | 'requests') => (await folder(h, u, f)).map((x: any) => [x.id, x.state, x.lastMessage?.sender?.handle]);
    const [conv] = await folder(h, a, 'requests');
    expect(conv).toBeDefined();
    expect(conv.lastMessage).toMatchObject({ channel: 'introduction', sender: { handle: c.handle }, introducedBy: { handle: b.handle } });
    expect(await ids(c, 'inbox')).toEqual([[conv.id, 'request', c.handle]]);
    expect(await ids(c, 'requests')).toEqual([]);
    expect(await ids(a, 'inbox')).toEqual([]);
  });
  it('an introduction is offered as a way in only through a member an ask could go to now (found by a member)', async () => {
    h.clock.set('2027-01-05T10:00:00Z');
    // A - B - C and A - D - C: C is 2nd degree to A, through B and D
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    for (const [x, y] of [
      [a, b],
      [a, d],
      [b, c],
      [d, c],
    ] as const)
      await connect(h, x, y);
    const vias = (unlock: any[]) =>
      unlock
        .filter((u) => u.kind === 'introduction')
        .map((u) => u.via.join('>'))
        .sort();
    /** the introductions offered to A for C: by the "why" answer, the profile's message action and a refused send (read in a transaction) */
    const offered = async () => {
      const why = await h.call('GET', `/v1/members/${c.handle}/decisions/message`, { token: a.token });
      const profile = await h.call('GET', `/v1/members/${c.handle}`, { token: a.token });
      const send = await h.call('POST', '/v1/messages', { token: a.token, body: { to: c.handle, body: 'hello' } });
      expect([why.body.reason, profile.body.actions.message.reason, send.status, send.body.error.code]).toEqual([
        'not_in_reach',
        'not_in_reach',
        403,
        'not_in_reach',
      ]);
      const all = [vias(why.body.unlock), vias(profile.body.actions.message.unlock), vias(send.body.error.unlock)];
      expect(all[1]).toEqual(all[0]);
      expect(all[2]).toEqual(all[0]);
      return all[0];
    };
    const both = [b.handle, d.handle].sort();
    expect(await offered()).toEqual(both);
    // an ask about C is open: asking anyone about C again is refused (awaiting_response)
    const first = await ask(a, c, b);
    expect(first.status).toBe(201);
    expect(await offered()).toEqual([]);
    expect((await ask(a, c, d)).body.error.code).toBe('awaiting_response');
    // and an ask through someone who cannot introduce them offers no one else while it is open (found by a reviewer)
    const stranger = await signUp(h);
    await connect(h, a, stranger);
    const viaStranger = await ask(a, c, stranger);
    expect([viaStranger.body.error.code, vias(viaStranger.body.error.unlock)]).toEqual(['not_in_reach', []]);
    // B declines: both ways are open again
    await h.call('POST', `/v1/introductions/${first.body.id}/decline`, { token: b.token });
    expect(await offered()).toEqual(both);
    // two more declines by B within 30 days: B takes no asks from A for 90 days, D still does
    for (let i = 0; i < 2; i++) {
      const t = await signUp(h);
      await connect(h, b, t);
      const r = await ask(a, t, b);
      expect(r.status).toBe(201);
      await h.call('POST', `/v1/introductions/${r.body.id}/decline`, { token: b.token });
    }
    expect((await ask(a, c, b)).body.error.code).toBe('introductions_paused');
    expect(await offered()).toEqual([d.handle]);
    // the month's asks used up (4 in this suite's policy): no ask goes anywhere until the 1st
    const t = await signUp(h);
    await connect(h, d, t);
    expect((await ask(a, t, d)).status).toBe(201);
    expect((await ask(a, c, d)).body.error.code).toBe('monthly_limit');
    expect(await offered()).toEqual([]);
    h.clock.set('2027-02-01T00:00:01Z');
    expect(await offered()).toEqual([d.handle]);
    // the pause ends 90 days after B's third decline
    h.clock.set('2027-04-06T10:00:01Z');
    expect(await offered()).toEqual(both);
  });
});
