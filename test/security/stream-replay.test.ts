/**
 * Issue 15, finding 6: the stream's replay (`?since=`) showed what the REST lists no longer show:
 * events of a member who since deactivated or closed replayed with their name and body. The replay
 * must show exactly what the REST lists show at replay time: nothing from or about a member who is
 * now hidden (blocked either way, deactivated, closed), nothing of a request the viewer ignored;
 * and it all comes back when the member reactivates, as on the REST lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { connect, makeGroup, type User } from '../helpers/messaging.js';
import { openStream, type Frame } from '../realtime/client.js';

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await harness();
  base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** Every frame a replay from 0 gives `v` (after a sentinel sent last arrives). */
async function replay(v: User, sentinelFrom: User, sentinel: string): Promise<Frame[]> {
  const m = await h.call('POST', '/v1/messages', { token: sentinelFrom.token, body: { to: v.handle, body: sentinel } });
  expect(m.status, m.text).toBe(201);
  const s = await openStream(base, { token: v.token, since: '0' });
  await s.next((f) => f.type === 'message.created' && f.data.message.body === sentinel);
  s.close();
  return s.frames;
}

/** Frames that name `who`: its handle anywhere, or its id in a field that holds a member's id. */
const mentions = (frames: Frame[], who: User) =>
  frames.filter(
    (f) => JSON.stringify(f).includes(who.handle) || [f.data?.by, f.data?.memberId, f.data?.message?.sender?.id, f.data?.from?.id].includes(who.member.id),
  );

async function listed(v: User, who: User): Promise<boolean> {
  const inbox = await h.call('GET', '/v1/conversations?folder=inbox', { token: v.token });
  const requests = await h.call('GET', '/v1/conversations?folder=requests', { token: v.token });
  return JSON.stringify([inbox.body, requests.body]).includes(who.handle);
}

describe('replay with ?since= shows what the REST lists show now', () => {
  for (const state of ['deactivated', 'closed'] as const) {
    it(`nothing from or about a member who is now ${state}`, async () => {
      const v = await signUp(h);
      const x = await signUp(h);
      const friend = await signUp(h);
      await connect(h, v, x);
      await connect(h, v, friend);
      expect((await h.call('POST', '/v1/messages', { token: x.token, body: { to: v.handle, body: `secret words of ${x.handle}` } })).status).toBe(201);
      expect((await h.call('POST', '/v1/messages', { token: v.token, body: { to: x.handle, body: 'my answer' } })).status).toBe(201);
      const before = await replay(v, friend, 'sentinel 1');
      expect(mentions(before, x).length).toBeGreaterThan(0);
      expect(await listed(v, x)).toBe(true);

      expect((await h.call('POST', `/v1/me/${state === 'closed' ? 'close' : 'deactivate'}`, { token: x.token })).status).toBe(200);
      expect(await listed(v, x)).toBe(false);
      const after = await replay(v, friend, 'sentinel 2');
      expect(mentions(after, x), JSON.stringify(after)).toEqual([]);
      expect(JSON.stringify(after).includes('secret words')).toBe(false);
      expect(JSON.stringify(after).includes('my answer')).toBe(false);

      if (state === 'deactivated') {
        // back again: the lists show it, and so does the replay
        expect((await h.call('POST', '/v1/me/reactivate', { token: x.token })).status).toBe(200);
        expect(await listed(v, x)).toBe(true);
        const back = await replay(v, friend, 'sentinel 3');
        expect(mentions(back, x).length).toBeGreaterThan(0);
      }
    });
  }

  it('nothing from a member blocked after the events were delivered (either way)', async () => {
    const v = await signUp(h);
    const x = await signUp(h);
    const y = await signUp(h);
    const friend = await signUp(h);
    for (const o of [x, y, friend]) await connect(h, v, o);
    for (const o of [x, y])
      expect((await h.call('POST', '/v1/messages', { token: o.token, body: { to: v.handle, body: `hello from ${o.handle}` } })).status).toBe(201);
    expect((await h.call('POST', '/v1/blocks', { token: v.token, body: { handle: x.handle } })).status).toBe(201);
    expect((await h.call('POST', '/v1/blocks', { token: y.token, body: { handle: v.handle } })).status).toBe(201);
    const frames = await replay(v, friend, 'sentinel block');
    expect(mentions(frames, x)).toEqual([]);
    expect(mentions(frames, y)).toEqual([]);
  });

  it('nothing of a message request the viewer ignored', async () => {
    const v = await signUp(h);
    const x = await signUp(h);
    const friend = await signUp(h);
    await connect(h, v, friend);
    await makeGroup(h, [v, x]);
    const m = await h.call('POST', '/v1/messages', { token: x.token, body: { to: v.handle, body: 'a request to ignore' } });
    expect(m.status).toBe(201);
    expect(m.body.conversation.state).toBe('request');
    const conv = m.body.conversation.id as string;
    expect((await h.call('POST', `/v1/conversations/${conv}/ignore`, { token: v.token })).status).toBe(200);
    expect(await listed(v, x)).toBe(false);
    const frames = await replay(v, friend, 'sentinel ignore');
    expect(
      frames.filter((f) => f.data?.conversationId === conv),
      JSON.stringify(frames),
    ).toEqual([]);
    expect(JSON.stringify(frames).includes('a request to ignore')).toBe(false);
  });
});
