/**
 * A socket that reconnects with ?since= gets from storage an event its instance has not applied yet
 * (committed by another instance whose publish was lost, e.g. its COMMIT answered with an error
 * during a PostgreSQL restart); when the instance's catch-up later brings that event, the socket
 * must not get it a second time. Found by test/faults/postgres-outage.test.ts; in-process here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events } from '../../src/store/schema.js';
import { openStream, type StreamClient } from '../realtime/client.js';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';

let h: Harness;
let base: string;
const open: StreamClient[] = [];

beforeAll(async () => {
  h = await harness();
  base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  for (const c of open) c.ws.terminate();
  await h?.close();
});

describe(`stream replay and the catch-up (${storageKind})`, () => {
  it('an event replayed to a socket before its instance applied it is not delivered again by the catch-up', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const first = await openStream(base, { token: b.token });
    open.push(first);
    const head = String(h.inst.realtime.tracker.high);
    first.close();
    await first.closed;
    // committed "by another instance": in storage, never published to this one
    const [row] = await h.inst.store.db
      .insert(events)
      .values({
        type: 'message.created',
        memberIds: [Number(b.member.id), Number(a.member.id)],
        payload: { conversationId: '1', message: { id: '1', body: 'from elsewhere', sender: { id: a.member.id } } },
        createdAt: new Date(),
      })
      .returning({ id: events.id });
    const id = String(row!.id);
    const again = await openStream(base, { token: b.token, since: head });
    open.push(again);
    await again.next((f) => f.id === id, 3000);
    await h.inst.realtime.catchUp(); // the instance learns of it now
    await again.quiet(300);
    expect(again.frames.filter((f) => f.id === id)).toHaveLength(1);
    // and the instance did apply it (a socket opened now without since is not sent it again)
    expect(h.inst.realtime.tracker.isNew(Number(id))).toBe(false);
  });
});
