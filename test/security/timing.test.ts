/**
 * Issue 15, finding 5: timing told a hidden member from an unknown handle (the profile and the send
 * took different paths). Here an unknown handle and a hidden member (blocked either way,
 * deactivated, closed) must cause the same statements through the data layer and the same lookups
 * in the read cache, cold and warm, on every route that names a member: the same path, so the same
 * time. The timing itself is measured by `npm run bench` (bench/timing.ts), not in a test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheOf } from '../../src/services/cache.js';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { connect, type User } from '../helpers/messaging.js';

let h: Harness;
let viewer: User;
const hidden: Record<string, User> = {};
const UNKNOWN = 'nobody_at_all_here';

/** The statements (SQL text, parameters apart) and cache lookups one request makes, and its answer. */
async function traced(run: () => Promise<{ status: number; text: string }>) {
  const ops: string[] = [];
  // (the realtime catch-up reads the outbox every 2 s on PostgreSQL, whatever the requests: not theirs)
  h.inst.store.observe((q) => {
    if (!/^select .* from "events" where "events"\."id" > \$1 order by/.test(q)) ops.push(`sql ${q}`);
  });
  cacheOf(h.inst.deps).trace = (op) => ops.push(`cache ${op}`);
  try {
    const r = await run();
    return { ops, status: r.status, text: r.text };
  } finally {
    h.inst.store.observe(null);
    cacheOf(h.inst.deps).trace = undefined;
  }
}

const ROUTES: Record<string, (handle: string) => Promise<{ status: number; text: string }>> = {
  profile: (hd) => h.call('GET', `/v1/members/${hd}`, { token: viewer.token }),
  mutuals: (hd) => h.call('GET', `/v1/members/${hd}/mutuals`, { token: viewer.token }),
  decision: (hd) => h.call('GET', `/v1/members/${hd}/decisions/message`, { token: viewer.token }),
  send: (hd) => h.call('POST', '/v1/messages', { token: viewer.token, body: { to: hd, body: 'are you there?' } }),
  inmail: (hd) => h.call('POST', '/v1/messages', { token: viewer.token, body: { to: hd, body: 'are you there?', subject: 'Hi', channel: 'inmail' } }),
};

beforeAll(async () => {
  h = await harness();
  viewer = await signUp(h);
  const friend = await signUp(h);
  await connect(h, viewer, friend);
  for (const state of ['blocked', 'blocking', 'deactivated', 'closed']) {
    const m = await signUp(h);
    await connect(h, m, friend); // a shared connection: a visible member would have mutuals
    hidden[state] = m;
  }
  expect((await h.call('POST', '/v1/blocks', { token: viewer.token, body: { handle: hidden.blocked!.handle } })).status).toBe(201);
  expect((await h.call('POST', '/v1/blocks', { token: hidden.blocking!.token, body: { handle: viewer.handle } })).status).toBe(201);
  expect((await h.call('POST', '/v1/me/deactivate', { token: hidden.deactivated!.token })).status).toBe(200);
  expect((await h.call('POST', '/v1/me/close', { token: hidden.closed!.token })).status).toBe(200);
  // the viewer's session has been used: no lastUsedAt write in what follows (the clock stands still)
  expect((await h.call('GET', '/v1/me', { token: viewer.token })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('an unknown handle and a hidden member take the same path', () => {
  for (const [route, call] of Object.entries(ROUTES)) {
    it(`${route}: the same statements and cache lookups, cold and warm, and the same answer`, async () => {
      const runs = async (handle: string) => {
        cacheOf(h.inst.deps).clear();
        const cold = await traced(() => call(handle));
        const warm = await traced(() => call(handle));
        return { cold, warm };
      };
      const unknown = await runs(UNKNOWN);
      expect(unknown.cold.status).toBe(route === 'decision' ? 200 : 404);
      expect(unknown.cold.ops.some((o) => o.startsWith('sql'))).toBe(true);
      for (const [state, m] of Object.entries(hidden)) {
        const got = await runs(m.handle);
        for (const phase of ['cold', 'warm'] as const) {
          expect(got[phase].status, `${route} ${state} ${phase}`).toBe(unknown[phase].status);
          expect(got[phase].text.replaceAll(m.handle, UNKNOWN), `${route} ${state} ${phase}`).toBe(unknown[phase].text);
          expect(got[phase].ops, `${route} ${state} ${phase}`).toEqual(unknown[phase].ops);
        }
      }
    });
  }
});
