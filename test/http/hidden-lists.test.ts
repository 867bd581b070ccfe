/**
 * Lists with a hidden member in them look as if the member never was there (DOMAIN.md 1: deactivated
 * and closed look alike; DOMAIN.md 6: who blocked whom is never inferable). Paged lists read on past
 * hidden rows (src/services/paging.ts): no page is short while more follow, no next page is promised
 * empty, no cursor names a hidden member; the export's graph lists leave hidden members out as the
 * lists do. Found by a member probe: each of deactivated, closed and blocked showed differently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, makeGroup, type User } from '../helpers/messaging.js';

const STATES = ['deactivated', 'closed', 'blocked by them', 'blocked by me', 'never there'] as const;
type State = (typeof STATES)[number];

describe(`lists with a hidden member (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function ok(p: Promise<{ status: number; text: string; body: any }>, status: number) {
    const r = await p;
    expect(r.status, r.text).toBe(status);
    return r;
  }

  /** Puts T (who signed up before X, so their rows come first) in the state. */
  async function hide(state: State, v: User, t: User) {
    if (state === 'deactivated') await ok(h.call('POST', '/v1/me/deactivate', { token: t.token }), 200);
    if (state === 'closed') await ok(h.call('POST', '/v1/me/close', { token: t.token }), 200);
    if (state === 'blocked by them') await ok(h.call('POST', '/v1/blocks', { token: t.token, body: { handle: v.handle } }), 201);
    if (state === 'blocked by me') await ok(h.call('POST', '/v1/blocks', { token: v.token, body: { handle: t.handle } }), 201);
  }

  /** Each page's item count, `+` when it names a next page, `.` when it does not. */
  async function walk(v: User, url: string, limit: number): Promise<string> {
    const pages: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await ok(
        h.call('GET', `${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: v.token }),
        200,
      );
      cursor = r.body.nextCursor;
      pages.push(`${r.body.items.length}${cursor ? '+' : '.'}`);
      if (!cursor) break;
    }
    return pages.join(' ');
  }

  it('paged lists (followers, group members, invitations sent, notifications, requests) look alike in every state', async () => {
    const seen: Record<string, Record<string, string>> = {};
    for (const state of STATES) {
      const v = await signUp(h);
      const t = state === 'never there' ? null : await signUp(h);
      const x = await signUp(h);
      const gid = await makeGroup(h, t ? [v, t, x] : [v, x]);
      for (const u of t ? [t, x] : [x]) {
        await ok(h.call('POST', '/v1/follows', { token: u.token, body: { handle: v.handle } }), 201);
        await ok(h.call('POST', '/v1/invitations', { token: v.token, body: { to: u.handle } }), 201);
        await ok(h.call('POST', '/v1/messages', { token: u.token, body: { to: v.handle, body: `hi from ${u.handle}` } }), 201);
      }
      if (t) await hide(state, v, t);
      seen[state] = {
        followers: await walk(v, '/v1/follows?direction=followers', 1),
        group: await walk(v, `/v1/groups/${gid}/members`, 2),
        sent: await walk(v, '/v1/invitations?direction=sent', 1),
        notifications: await walk(v, '/v1/notifications', 1),
        requests: await walk(v, '/v1/conversations?folder=requests', 1),
      };
    }
    for (const state of STATES) expect(seen[state], state).toEqual(seen['never there']);
  });

  it("the export's connections, following and followers leave a hidden member out, whatever hides them", async () => {
    const seen: Record<string, unknown> = {};
    for (const state of STATES) {
      const v = await signUp(h);
      if (state !== 'never there') {
        const t = await signUp(h);
        await connect(h, v, t);
        await hide(state, v, t);
      }
      const doc = JSON.parse((await ok(h.call('GET', '/v1/me/export', { token: v.token }), 200)).text);
      seen[state] = { connections: doc.connections, following: doc.following, followers: doc.followers };
    }
    for (const state of STATES) expect(seen[state], state).toEqual(seen['never there']);
  });
});
