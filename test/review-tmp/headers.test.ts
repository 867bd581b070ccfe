/** Every answer carries the security headers (hardening.ts SECURITY_HEADERS), whatever produced it. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { SECURITY_HEADERS } from '../../src/http/hardening.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

it('security headers on every kind of answer', async () => {
  const a = await signUp(h);
  const root = await h.call('GET', '/');
  const etag = String(root.headers.etag ?? '');
  const asset = /assets\/[^"]+\.js/.exec(root.text)?.[0];
  const cases: [string, Awaited<ReturnType<Harness['call']>>][] = [
    ['GET / (web UI)', root],
    ['GET / 304', await h.call('GET', '/', { headers: { 'if-none-match': etag } })],
    ['HEAD /', await h.call('HEAD', '/')],
    ['GET asset', await h.call('GET', `/${asset}`)],
    ['GET /favicon.svg', await h.call('GET', '/favicon.svg')],
    ['GET /no-such-file.js', await h.call('GET', '/no-such-file.js')],
    ['GET /v1/nowhere', await h.call('GET', '/v1/nowhere')],
    ['GET /docs/json', await h.call('GET', '/docs/json')],
    ['GET /docs/static/swagger-ui.css', await h.call('GET', '/docs/static/swagger-ui.css')],
    ['GET /docs/static/nope', await h.call('GET', '/docs/static/nope')],
    ['GET /v1/openapi.json', await h.call('GET', '/v1/openapi.json')],
    ['GET /healthz', await h.call('GET', '/healthz')],
    ['GET /metrics', await h.call('GET', '/metrics')],
    ['401', await h.call('GET', '/v1/me')],
    ['401 bad token', await h.call('POST', '/v1/messages', { token: 'x'.repeat(40), body: { to: 'nobody', body: 'x' } })],
    ['400 schema', await h.call('POST', '/v1/messages', { token: a.token, body: { to: 'nobody' } })],
    ['403 refusal', await h.call('POST', '/v1/messages', { token: a.token, body: { to: a.handle, body: 'x' } })],
    ['413', await h.call('POST', '/v1/messages', { token: a.token, rawBody: '{"a":"' + 'x'.repeat(2 * 1024 * 1024) + '"}', headers: { 'content-type': 'application/json' } })],
    ['415', await h.call('POST', '/v1/messages', { token: a.token, rawBody: 'x', headers: { 'content-type': 'text/plain' } })],
    ['405-ish', await h.call('PUT', '/v1/policy')],
    ['admin 401', await h.call('GET', '/admin/read-model/verify')],
    ['stream no upgrade', await h.call('GET', '/v1/stream')],
  ];
  const missing: string[] = [];
  for (const [name, r] of cases)
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
      const got = r.headers[k];
      if (got === undefined || (k !== 'content-security-policy' && got !== v)) missing.push(`${name} (${r.status}): ${k}=${String(got)}`);
    }
  console.log(cases.map(([n, r]) => `${n}: ${r.status} csp=${String(r.headers['content-security-policy']).slice(0, 30)}`).join('\n'));
  expect(missing).toEqual([]);
});
