import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';

describe(`conventions (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('unknown route: 404 in the error shape', async () => {
    const r = await h.call('GET', '/v1/nope');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('malformed JSON: 400 invalid_request', async () => {
    const r = await h.call('POST', '/v1/accounts', { rawBody: '{"handle": "x",', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
  });

  it('a JSON body that is not an object: 400', async () => {
    for (const raw of ['null', '[]', '"x"', '42']) {
      const r = await h.call('POST', '/v1/sessions', { rawBody: raw, headers: { 'content-type': 'application/json' } });
      expect(r.status, raw).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
  });

  it('wrong content type: a 4xx in the error shape', async () => {
    const r = await h.call('POST', '/v1/accounts', { rawBody: 'handle=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('unsupported_media_type');
  });

  it('body over the limit: 413 payload_too_large', async () => {
    const r = await h.call('POST', '/v1/accounts', {
      rawBody: JSON.stringify({ handle: 'big', name: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
  });

  it('very deep JSON: 400, not a crash', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = await h.call('POST', '/v1/sessions', { rawBody: deep, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it('Idempotency-Key: same key and body replays the first response and creates nothing', async () => {
    const body = { handle: 'idem_user', name: 'Idem', email: 'idem@example.test', password: 'long enough pw' };
    const headers = { 'idempotency-key': 'k-1' };
    const first = await h.call('POST', '/v1/accounts', { body, headers });
    const second = await h.call('POST', '/v1/accounts', { body, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    // API.md: a replayed sign-up answers token null (no token is ever stored)
    expect(second.body).toEqual({ ...first.body, token: null });
    // the same body with its keys in another order is the same request (found by a member)
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const third = await h.call('POST', '/v1/accounts', { body: reordered, headers });
    expect([third.status, third.body]).toEqual([201, { ...first.body, token: null }]);
    const other = await h.call('POST', '/v1/accounts', { body: { ...body, name: 'Changed' }, headers });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('conflict');
  });

  it('Idempotency-Key in parallel: one account, every answer the same', async () => {
    // rounds of parallel sign-ups with one key each: a request that looked for a stored answer before
    // the first committed, and for a free handle after, replays that answer (it once answered 409)
    for (let round = 0; round < 4; round++) {
      const body = { handle: `idem_par${round}`, name: 'Par', email: `par${round}@example.test`, password: 'long enough pw' };
      const rs = await Promise.all(Array.from({ length: 8 }, () => h.call('POST', '/v1/accounts', { body, headers: { 'idempotency-key': `par-${round}` } })));
      const ok = rs.filter((r) => r.status === 201);
      expect(ok.length, JSON.stringify(rs.filter((r) => r.status !== 201).map((r) => [r.status, r.body]))).toBe(8);
      expect(new Set(ok.map((r) => r.body.member.id)).size).toBe(1);
      // one answer carries the new session's token, the replays carry none
      expect(ok.filter((r) => r.body.token !== null)).toHaveLength(1);
    }
  });

  it('Idempotency keys are per member and expire after 24 hours', async () => {
    const a = await signUp(h);
    const r1 = await h.call('PATCH', '/v1/me/settings', { token: a.token, body: { readReceipts: false } });
    expect(r1.status).toBe(200);
    const body = { handle: 'idem_exp', name: 'Exp', email: 'exp@example.test', password: 'long enough pw' };
    const first = await h.call('POST', '/v1/accounts', { body, headers: { 'idempotency-key': 'exp-1' } });
    expect(first.status).toBe(201);
    h.clock.advance(25 * 3600 * 1000);
    const again = await h.call('POST', '/v1/accounts', { body, headers: { 'idempotency-key': 'exp-1' } });
    expect(again.status).toBe(409); // the key is gone, so the handle conflicts
    expect(again.body.error.details.field).toBe('handle');
  });

  it('health, readiness, metrics, policy and the OpenAPI document', async () => {
    expect((await h.call('GET', '/healthz')).status).toBe(200);
    const ready = await h.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.storage).toBe(storageKind);
    const m = await h.call('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.text).toContain('liaison_http_request_duration_seconds_bucket');
    expect(m.text).toMatch(/liaison_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    const p = await h.call('GET', '/v1/policy');
    expect(p.body.connectionCap).toBe(30000);
    expect(p.body.inmailMonthlyCredits).toEqual({ free: 0, career: 5, business: 15, sales_navigator: 50 });
    const doc = await h.call('GET', '/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/accounts', '/v1/sessions', '/v1/me', '/v1/me/settings']));
    expect(doc.body.paths['/v1/accounts'].post.requestBody).toBeDefined();
    const docs = await h.call('GET', '/docs');
    expect([200, 302]).toContain(docs.status);
  });

  it('every response carries a request id', async () => {
    const r = await h.call('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers['x-request-id']).toBe('abc-123');
  });
});

describe(`persistence (${storageKind})`, () => {
  it('an account survives a restart', async () => {
    const h = await harness({ persistent: true });
    try {
      const a = await signUp(h, 'survivor');
      await h.restart();
      const r = await h.call('POST', '/v1/sessions', { body: { login: 'survivor', password: 'correct horse battery' } });
      expect(r.status).toBe(200);
      expect(r.body.member.id).toBe(a.member.id);
      expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(200);
    } finally {
      await h.close();
    }
  }, 120_000);
});
