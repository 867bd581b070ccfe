/**
 * Edges of API.md an outside client meets (found by reading API.md against the server): a body that
 * is optional as a whole may be left out, a POST without a body may still carry a JSON content type,
 * "any fields of Settings" includes none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect } from '../helpers/network.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
}, 120_000);
afterAll(async () => h?.close());

describe(`API.md edges (${storageKind})`, () => {
  it('POST /v1/introductions/:id/forward `{ note? }`: no body at all forwards without a note', async () => {
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    await connect(h, b, c);
    const ask = await h.call('POST', '/v1/introductions', { token: a.token, body: { to: c.handle, via: b.handle } });
    expect(ask.status, ask.text).toBe(201);
    const fwd = await h.call('POST', `/v1/introductions/${ask.body.id}/forward`, { token: b.token });
    expect(fwd.status, fwd.text).toBe(200);
    expect(fwd.body).toMatchObject({ status: 'forwarded', forwardNote: null });
  });

  it('a POST that takes no body answers the same with an empty body under Content-Type: application/json', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    expect(inv.status).toBe(201);
    const acc = await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b.token, rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(acc.status, acc.text).toBe(200);
    expect(acc.body.status).toBe('accepted');
    // a route that needs a body still says so
    const none = await h.call('POST', '/v1/invitations', { token: a.token, rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('invalid_request');
  });

  it('PATCH /v1/me/settings with no field changes nothing and answers the settings', async () => {
    const a = await signUp(h);
    const before = (await h.call('GET', '/v1/me', { token: a.token })).body.settings;
    const r = await h.call('PATCH', '/v1/me/settings', { token: a.token, body: {} });
    expect(r.status, r.text).toBe(200);
    expect(r.body.settings).toEqual(before);
  });
});
