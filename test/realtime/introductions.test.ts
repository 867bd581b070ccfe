/**
 * Warm introductions on GET /v1/stream, one instance (PGlite by default, or DATABASE_URL): the
 * introducer receives introduction.asked live, the target introduction.forwarded with the request
 * (conversation.request, message.created), the asker their own message.created; a reconnect with
 * ?since= replays them; nobody else receives anything, and a block hides the ask's event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { connect } from '../helpers/network.js';
import { makeGroup } from '../helpers/messaging.js';
import { openStream, type StreamClient } from './client.js';

let h: Harness;
let base: string;
const open: StreamClient[] = [];

async function stream(q: { token: string; since?: string }) {
  const c = await openStream(base, q);
  open.push(c);
  return c;
}

beforeAll(async () => {
  h = await harness();
  base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  for (const c of open) c.ws.terminate();
  await h?.close();
});

/** A - B - C, and D connected to all three (D must learn nothing). */
async function people() {
  const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
  await connect(h, a, b);
  await connect(h, b, c);
  for (const x of [a, b, c]) await connect(h, d, x);
  return { a, b, c, d };
}

describe('introductions on the stream', () => {
  it('a forward into a thread the pair already has is a new request for the target: conversation.request (audit finding)', async () => {
    const { a, b, c } = await people();
    // C wrote to A first (they share a group): the pair has a thread, a request A has not answered
    await makeGroup(h, [a, c]);
    const first = await h.call('POST', '/v1/messages', { token: c.token, body: { to: a.handle, body: 'Hello A, C here' } });
    expect(first.status, first.text).toBe(201);
    const sc = await stream(c);
    const ask = await h.call('POST', '/v1/introductions', { token: a.token, body: { to: c.handle, via: b.handle } });
    expect(ask.status, ask.text).toBe(201);
    expect((await h.call('POST', `/v1/introductions/${ask.body.id}/forward`, { token: b.token, body: {} })).status).toBe(200);
    const forwarded = await sc.next((f) => f.type === 'introduction.forwarded');
    expect(forwarded.data.conversationId).toBe(first.body.conversation.id);
    const request = await sc.next((f) => f.type === 'conversation.request' && f.data.conversationId === forwarded.data.conversationId);
    expect(request.data.from).toMatchObject({ handle: a.handle });
  });

  it('asked reaches the introducer, forwarded the target with its request, live and on replay; nobody else', async () => {
    const { a, b, c, d } = await people();
    const [sa, sb, sc, sd] = [await stream(a), await stream(b), await stream(c), await stream(d)];

    const ask = await h.call('POST', '/v1/introductions', { token: a.token, body: { to: c.handle, via: b.handle, note: 'Ann here' } });
    expect(ask.status, ask.text).toBe(201);
    const asked = await sb.next((f) => f.type === 'introduction.asked');
    expect(asked.data.introduction).toMatchObject({ id: ask.body.id, from: { handle: a.handle }, to: { handle: c.handle }, note: 'Ann here', status: 'asked' });

    const fwd = await h.call('POST', `/v1/introductions/${ask.body.id}/forward`, { token: b.token, body: { note: 'Meet Ann' } });
    expect(fwd.status, fwd.text).toBe(200);
    const forwarded = await sc.next((f) => f.type === 'introduction.forwarded');
    expect(forwarded.data.introduction).toMatchObject({ id: ask.body.id, via: { handle: b.handle }, forwardNote: 'Meet Ann', status: 'forwarded' });
    const request = await sc.next((f) => f.type === 'conversation.request');
    expect(request.data.conversationId).toBe(forwarded.data.conversationId);
    const created = await sc.next((f) => f.type === 'message.created');
    expect(created.data.message).toMatchObject({ channel: 'introduction', body: 'Ann here', sender: { handle: a.handle } });
    // the asker's own message (their other devices, their list of asks)
    const own = await sa.next((f) => f.type === 'message.created');
    expect(own.data.message.channel).toBe('introduction');

    // the introducer hears nothing of the forward; the asker nothing of the ask; D nothing at all
    await sd.quiet(300);
    // (notification.created frames come with them: the notifications have tests of their own)
    const types = (s: { frames: { type: string }[] }) => s.frames.map((f) => f.type).filter((t) => t !== 'notification.created');
    expect(types(sd)).toEqual([]);
    expect(types(sb)).toEqual(['introduction.asked']);
    expect(types(sa)).toEqual(['message.created']);
    expect(sc.frames.some((f) => f.type === 'introduction.asked')).toBe(false);

    // a reconnect with ?since= replays them
    const rb = await stream({ token: b.token, since: '0' });
    await rb.next((f) => f.type === 'introduction.asked' && f.data.introduction.id === ask.body.id);
    const rc = await stream({ token: c.token, since: '0' });
    await rc.next((f) => f.type === 'introduction.forwarded' && f.data.introduction.id === ask.body.id);
  });

  it('an ask whose target blocked the introducer meanwhile is not delivered to the introducer', async () => {
    const { a, b, c } = await people();
    // the ask is made, then C blocks B before B's socket opens: the replay leaves the ask out
    const ask = await h.call('POST', '/v1/introductions', { token: a.token, body: { to: c.handle, via: b.handle } });
    expect(ask.status, ask.text).toBe(201);
    const blk = await h.call('POST', '/v1/blocks', { token: c.token, body: { handle: b.handle } });
    expect(blk.status, blk.text).toBe(201);
    const sb = await stream({ token: b.token, since: '0' });
    await sb.quiet(300);
    expect(sb.frames.filter((f) => f.type === 'introduction.asked' && f.data.introduction.id === ask.body.id)).toEqual([]);
    // and the list agrees: the ask vanished for B
    const list = await h.call('GET', '/v1/introductions?role=to_forward', { token: b.token });
    expect(list.body.items).toEqual([]);
  });
});
