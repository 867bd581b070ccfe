/**
 * Issue 15, finding 11 (the smaller ones):
 * - typing stops reaching a recipient the moment they ignore the request (not up to 30 s later);
 * - page admins: POST /v1/pages/:handle/admins only invites, the person becomes an admin when they
 *   accept (POST /v1/pages/:handle/admins/me/accept); DELETE /v1/pages/:handle/admins/:handle removes
 *   an admin or leaves; the last admin cannot (409);
 * - a handle over 100 characters in a path: a 4xx in API.md's error shape with the security headers;
 * - /metrics answers only to LIAISON_METRICS_TOKEN holders when it is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { makeGroup } from '../helpers/messaging.js';
import { openStream } from '../realtime/client.js';

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await harness();
  base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('typing after an ignored request', () => {
  it('stops at once', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await makeGroup(h, [a, b]);
    const m = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'hello from the group' } });
    expect(m.status).toBe(201);
    const conv = m.body.conversation.id as string;
    const sa = await openStream(base, { token: a.token });
    const sb = await openStream(base, { token: b.token });
    sa.send({ type: 'typing', conversationId: conv });
    await sb.next((f) => f.type === 'typing' && f.data.conversationId === conv);
    expect((await h.call('POST', `/v1/conversations/${conv}/ignore`, { token: b.token })).status).toBe(200);
    const seen = sb.frames.length;
    for (let i = 0; i < 3; i++) sa.send({ type: 'typing', conversationId: conv });
    await new Promise((r) => setTimeout(r, 300));
    expect(sb.frames.slice(seen).filter((f) => f.type === 'typing')).toEqual([]);
    sa.close();
    sb.close();
  });
});

describe('page admins: invited, then accepted; removed; the last one stays', () => {
  it('an invitation makes no admin until the person accepts', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const page = `pa_${a.handle}`.slice(0, 30);
    expect((await h.call('POST', '/v1/pages', { token: a.token, body: { handle: page, name: 'Page A' } })).status).toBe(201);
    const inv = await h.call('POST', `/v1/pages/${page}/admins`, { token: a.token, body: { handle: b.handle } });
    expect(inv.status).toBe(201);
    expect(inv.body).toMatchObject({ page: { handle: page }, admin: { handle: b.handle }, status: 'invited' });
    // not an admin yet: cannot act for the page, is not listed in /v1/me pages
    expect((await h.call('GET', `/v1/pages/${page}/conversations`, { token: b.token })).status).toBe(404);
    expect((await h.call('GET', '/v1/me', { token: b.token })).body.pages).toEqual([]);
    // only the invited person can accept
    const c = await signUp(h);
    expect((await h.call('POST', `/v1/pages/${page}/admins/me/accept`, { token: c.token })).status).toBe(404);
    const acc = await h.call('POST', `/v1/pages/${page}/admins/me/accept`, { token: b.token });
    expect(acc.status).toBe(200);
    expect(acc.body).toMatchObject({ page: { handle: page }, admin: { handle: b.handle }, status: 'admin' });
    expect((await h.call('GET', `/v1/pages/${page}/conversations`, { token: b.token })).status).toBe(200);
    expect((await h.call('GET', '/v1/me', { token: b.token })).body.pages.map((p: any) => p.handle)).toEqual([page]);
    // accepting again: nothing to accept
    expect((await h.call('POST', `/v1/pages/${page}/admins/me/accept`, { token: b.token })).status).toBe(404);
    // inviting an admin again: 409
    expect((await h.call('POST', `/v1/pages/${page}/admins`, { token: a.token, body: { handle: b.handle } })).status).toBe(409);
  });

  it('an admin removes an admin or leaves; the last admin cannot (409); a pending invitation can be withdrawn', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const c = await signUp(h);
    const page = `pb_${a.handle}`.slice(0, 30);
    expect((await h.call('POST', '/v1/pages', { token: a.token, body: { handle: page, name: 'Page B' } })).status).toBe(201);
    for (const who of [b]) {
      expect((await h.call('POST', `/v1/pages/${page}/admins`, { token: a.token, body: { handle: who.handle } })).status).toBe(201);
      expect((await h.call('POST', `/v1/pages/${page}/admins/me/accept`, { token: who.token })).status).toBe(200);
    }
    // a pending invitation is withdrawn by DELETE
    expect((await h.call('POST', `/v1/pages/${page}/admins`, { token: a.token, body: { handle: c.handle } })).status).toBe(201);
    expect((await h.call('DELETE', `/v1/pages/${page}/admins/${c.handle}`, { token: b.token })).status).toBe(204);
    expect((await h.call('POST', `/v1/pages/${page}/admins/me/accept`, { token: c.token })).status).toBe(404);
    // a non-admin cannot remove anyone
    expect((await h.call('DELETE', `/v1/pages/${page}/admins/${a.handle}`, { token: c.token })).status).toBe(404);
    // b removes a; a is no longer an admin
    expect((await h.call('DELETE', `/v1/pages/${page}/admins/${a.handle}`, { token: b.token })).status).toBe(204);
    expect((await h.call('GET', `/v1/pages/${page}/conversations`, { token: a.token })).status).toBe(404);
    // b is the last admin: cannot leave
    const last = await h.call('DELETE', `/v1/pages/${page}/admins/${b.handle}`, { token: b.token });
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('conflict');
    const me = await h.call('DELETE', `/v1/pages/${page}/admins/me`, { token: b.token });
    expect(me.status).toBe(409);
    // with a second admin, b may leave
    expect((await h.call('POST', `/v1/pages/${page}/admins`, { token: b.token, body: { handle: c.handle } })).status).toBe(201);
    expect((await h.call('POST', `/v1/pages/${page}/admins/me/accept`, { token: c.token })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/pages/${page}/admins/me`, { token: b.token })).status).toBe(204);
    expect((await h.call('GET', `/v1/pages/${page}/conversations`, { token: b.token })).status).toBe(404);
    expect((await h.call('GET', `/v1/pages/${page}/conversations`, { token: c.token })).status).toBe(200);
    // removing someone who is not an admin: 404
    expect((await h.call('DELETE', `/v1/pages/${page}/admins/${a.handle}`, { token: c.token })).status).toBe(404);
  });

  it('two admins removing each other at once leave one admin, never none', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const page = `pc_${a.handle}`.slice(0, 30);
    expect((await h.call('POST', '/v1/pages', { token: a.token, body: { handle: page, name: 'Page C' } })).status).toBe(201);
    expect((await h.call('POST', `/v1/pages/${page}/admins`, { token: a.token, body: { handle: b.handle } })).status).toBe(201);
    expect((await h.call('POST', `/v1/pages/${page}/admins/me/accept`, { token: b.token })).status).toBe(200);
    const [x, y] = await Promise.all([
      h.call('DELETE', `/v1/pages/${page}/admins/${b.handle}`, { token: a.token }),
      h.call('DELETE', `/v1/pages/${page}/admins/${a.handle}`, { token: b.token }),
    ]);
    // one goes; the other is refused (409 the last admin, or 404 when it was removed first)
    expect([x.status, y.status].filter((s) => s === 204)).toHaveLength(1);
    expect([x.status, y.status].filter((s) => s === 409 || s === 404)).toHaveLength(1);
    const admins = [];
    for (const who of [a, b]) if ((await h.call('GET', `/v1/pages/${page}/conversations`, { token: who.token })).status === 200) admins.push(who.handle);
    expect(admins).toHaveLength(1);
  });
});

describe('a handle over 100 characters in a path', () => {
  const SECURITY = [
    'content-security-policy',
    'x-content-type-options',
    'x-frame-options',
    'referrer-policy',
    'strict-transport-security',
    'cross-origin-opener-policy',
    'cross-origin-resource-policy',
  ];
  it('gets a 4xx in the API error shape, with the security headers', async () => {
    const a = await signUp(h);
    const normal = await h.call('GET', '/v1/members/nobody_here', { token: a.token });
    for (const n of [101, 1000, 5000]) {
      for (const [method, url] of [
        ['GET', `/v1/members/${'a'.repeat(n)}`],
        ['DELETE', `/v1/follows/${'b'.repeat(n)}`],
        ['GET', `/v1/members/${'c'.repeat(n)}/mutuals`],
      ] as const) {
        const r = await h.call(method, url, { token: a.token });
        expect(r.status, `${method} ${n}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${n}`).toBeLessThan(500);
        expect(r.body, `${method} ${n}: ${r.text}`).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object) } });
        for (const k of SECURITY) expect(r.headers[k], `${k} (${method} ${n})`).toBe(normal.headers[k]);
      }
    }
    // over real HTTP too
    const res = await fetch(`${base}/v1/members/${'d'.repeat(2000)}`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-security-policy')).toBe(normal.headers['content-security-policy']);
    expect((await res.json()).error.code).toBe('invalid_request');
  });

  it('a malformed path (bad percent-encoding) also answers in the API shape with the headers', async () => {
    const normal = await h.call('GET', '/v1/policy');
    const res = await fetch(`${base}/v1/members/%zz%`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_request');
    for (const k of SECURITY) expect(res.headers.get(k), k).toBe(normal.headers[k]);
  });
});

describe('/metrics', () => {
  it('with LIAISON_METRICS_TOKEN set, only its holders may read it', async () => {
    const hm = await harness({ config: { metricsToken: 'metrics-secret-123' } });
    try {
      expect((await hm.call('GET', '/metrics')).status).toBe(401);
      expect((await hm.call('GET', '/metrics')).body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
      expect((await hm.call('GET', '/metrics', { token: 'metrics-secret-12' })).status).toBe(401);
      const a = await signUp(hm);
      expect((await hm.call('GET', '/metrics', { token: a.token })).status).toBe(401);
      const ok = await hm.call('GET', '/metrics', { token: 'metrics-secret-123' });
      expect(ok.status).toBe(200);
      expect(ok.text).toMatch(/liaison_http_request_duration_seconds/);
    } finally {
      await hm.close();
    }
  }, 120_000);

  it('without it, /metrics stays open', async () => {
    expect((await h.call('GET', '/metrics')).status).toBe(200);
  });
});
