/**
 * Auth and transport (issue 10): argon2id, random tokens stored hashed and revocable, sign-in rate
 * limits per login and per address, security headers and the Content-Security-Policy, CORS off,
 * the session cookie's flags, the operator token, body size limits on every route, /metrics.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMIT } from '../../src/http/auth.js';
import { DOCS_CSP } from '../../src/http/hardening.js';
import { ADMIN_TOKEN, harness, signUp, type Harness } from '../helpers/harness.js';
import { connect } from '../helpers/messaging.js';
import { ROOT } from '../helpers/process.js';
import { openStream } from '../realtime/client.js';

let h: Harness;
const PASSWORD = 'correct horse battery';

async function rows<T = Record<string, unknown>>(q: ReturnType<typeof sql>): Promise<T[]> {
  return ((await h.inst.store.db.execute(q)) as unknown as { rows: T[] }).rows;
}

function login(loginName: string, password: string, ip = '127.0.0.1') {
  return h.inst.app.inject({
    method: 'POST',
    url: '/v1/sessions',
    remoteAddress: ip,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ login: loginName, password }),
  });
}

beforeAll(async () => {
  h = await harness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('passwords and tokens', () => {
  it('passwords are stored as argon2id hashes, never in clear', async () => {
    const a = await signUp(h);
    const [c] = await rows<{ h: string }>(sql`select password_hash as h from credentials where member_id = ${Number(a.member.id)}`);
    expect(c!.h).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    expect(c!.h.includes(PASSWORD)).toBe(false);
  });

  it('tokens are 256 random bits, stored only as their SHA-256, and each sign-in gets its own', async () => {
    const a = await signUp(h);
    const r1 = await login(a.handle, PASSWORD, '10.0.0.1');
    const r2 = await login(a.handle, PASSWORD, '10.0.0.1');
    const tokens = [a.token, r1.json().token, r2.json().token];
    expect(new Set(tokens).size).toBe(3);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await rows<{ token_hash: string }>(sql`select token_hash from sessions where member_id = ${Number(a.member.id)}`);
    const hashes = stored.map((s) => s.token_hash).sort();
    expect(hashes).toEqual(tokens.map((t) => createHash('sha256').update(t).digest('hex')).sort());
    const dump = JSON.stringify(await rows(sql`select * from sessions`));
    for (const t of tokens) expect(dump.includes(t)).toBe(false);
  });

  it('DELETE /v1/sessions revokes that token only; closing the account revokes them all', async () => {
    const a = await signUp(h);
    const other = (await login(a.handle, PASSWORD, '10.0.0.2')).json().token as string;
    expect((await h.call('DELETE', '/v1/sessions', { token: a.token })).status).toBe(204);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { token: other })).status).toBe(200);
    expect((await h.call('POST', '/v1/me/close', { token: other })).status).toBe(200);
    expect((await h.call('GET', '/v1/me', { token: other })).status).toBe(401);
    expect((await login(a.handle, PASSWORD, '10.0.0.2')).statusCode).toBe(401);
  });
});

describe('sign-in rate limits (@fastify/rate-limit)', () => {
  it(`at most ${LOGIN_LIMIT.perLoginAddress} attempts a minute per account and address, by handle or e-mail, any case: then 429 rate_limited with Retry-After`, async () => {
    const a = await signUp(h);
    const answers = [];
    const names = [a.handle, a.handle.toUpperCase(), `${a.handle}@example.test`, ` ${a.handle.toUpperCase()}@EXAMPLE.test `];
    for (let i = 0; i < LOGIN_LIMIT.perLoginAddress; i++) answers.push((await login(names[i % names.length]!, 'wrong password!', '10.1.0.1')).statusCode);
    expect(answers.every((s) => s === 401)).toBe(true);
    const over = await login(a.handle, PASSWORD, '10.1.0.1');
    expect(over.statusCode).toBe(429);
    expect(over.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String), unlock: [] } });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    // another login is not affected
    const b = await signUp(h);
    expect((await login(b.handle, PASSWORD, '10.1.1.2')).statusCode).toBe(200);
  });

  it(`at most ${LOGIN_LIMIT.perIp} attempts a minute per address, whatever the logins`, async () => {
    const ip = '10.2.0.1';
    for (let i = 0; i < LOGIN_LIMIT.perIp; i++) expect((await login(`nobody_${i % 3}`, 'whatever12345', ip)).statusCode).toBe(401);
    const over = await login('someone_else', 'whatever12345', ip);
    expect(over.statusCode).toBe(429);
    expect(over.json().error).toMatchObject({ code: 'rate_limited', unlock: [] });
    expect(over.headers['retry-after']).toBeDefined();
    expect((await login('someone_else', 'whatever12345', '10.2.0.2')).statusCode).toBe(401);
  });
});

describe('headers, CSP, CORS, cookies', () => {
  const strict = (csp: unknown) => {
    expect(typeof csp).toBe('string');
    const s = csp as string;
    expect(s).toContain("default-src 'self'");
    expect(s).toContain("script-src 'self'");
    expect(s).toContain("object-src 'none'");
    expect(s).toContain("frame-ancestors 'none'");
    expect(s).not.toContain('unsafe-inline');
    expect(s).not.toContain('unsafe-eval');
  };

  it('every API answer (ok, 401, 404, 400) carries the security headers and the strict CSP', async () => {
    const a = await signUp(h);
    for (const r of [
      await h.call('GET', '/v1/policy'),
      await h.call('GET', '/v1/me'),
      await h.call('GET', '/v1/nowhere'),
      await h.call('GET', '/v1/me', { token: a.token }),
      await h.call('POST', '/v1/sessions', { rawBody: '{', headers: { 'content-type': 'application/json' } }),
    ]) {
      strict(r.headers['content-security-policy']);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(r.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('the web UI is served under the strict CSP, and needs nothing it forbids', async () => {
    const web = join(ROOT, 'dist', 'web', 'index.html');
    let html: string;
    try {
      html = readFileSync(web, 'utf8');
    } catch {
      return; // not built: nothing served (npm run build makes it; .ci/run builds first)
    }
    const r = await h.call('GET', '/');
    expect(r.status).toBe(200);
    strict(r.headers['content-security-policy']);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/<style/); // no inline style element
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from another origin
  });

  it('/docs (swagger-ui) works under its own CSP: its page and every script and style it loads', async () => {
    expect((await h.call('GET', '/docs/static/index.html')).status).toBe(302);
    const page = await h.call('GET', '/docs/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("default-src 'self'");
    expect(DOCS_CSP).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const refs = [...page.text.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(2);
    for (const ref of refs) {
      const r = await h.call('GET', `/docs/${ref}`);
      expect(r.status, ref).toBe(200);
    }
    const init = await h.call('GET', '/docs/static/swagger-initializer.js');
    expect(init.status).toBe(200);
    expect((await h.call('GET', '/docs/json')).status).toBe(200);
  });

  it('CORS is off: no Access-Control-* header, not even for a preflight', async () => {
    const origin = { origin: 'https://evil.example' };
    const answers = [
      await h.call('GET', '/v1/policy', { headers: origin }),
      await h.call('OPTIONS', '/v1/messages', {
        headers: { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      }),
      await h.call('POST', '/v1/sessions', { headers: origin, body: { login: 'x', password: 'y' } }),
    ];
    for (const r of answers) for (const k of Object.keys(r.headers)) expect(k.toLowerCase().startsWith('access-control-'), k).toBe(false);
    expect(answers[1]!.status).toBeGreaterThanOrEqual(400);
  });

  it('the session cookie is HttpOnly, SameSite=Lax, Path=/ (and not Secure over plain HTTP)', async () => {
    const r = await h.call('POST', '/v1/accounts', { body: { handle: 'cookie_monster', name: 'C', email: 'c@example.test', password: PASSWORD } });
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/^liaison_token=[A-Za-z0-9_-]{43};/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Lax');
    expect(set).toContain('Path=/');
    expect(set).not.toContain('Secure');
    // Without LIAISON_TRUST_PROXY a forwarded-proto header is not believed.
    const spoofed = await h.call('POST', '/v1/accounts', {
      headers: { 'x-forwarded-proto': 'https' },
      body: { handle: 'cookie_spoof', name: 'C', email: 'cs@example.test', password: PASSWORD },
    });
    expect(String(spoofed.headers['set-cookie'])).not.toContain('Secure');
  });

  it('behind a trusted TLS proxy (LIAISON_TRUST_PROXY) the session cookie is Secure', async () => {
    const hp = await harness({ trustProxy: true });
    try {
      const r = await hp.call('POST', '/v1/accounts', {
        headers: { 'x-forwarded-proto': 'https' },
        body: { handle: 'cookie_tls', name: 'C', email: 'ct@example.test', password: PASSWORD },
      });
      expect(r.status).toBe(201);
      expect(String(r.headers['set-cookie'])).toMatch(/HttpOnly/);
      expect(String(r.headers['set-cookie'])).toMatch(/; Secure/);
    } finally {
      await hp.close();
    }
  }, 120_000);
});

describe('the operator token', () => {
  it('admin routes take exactly the operator token (compared in constant time on digests)', async () => {
    const a = await signUp(h);
    const url = `/v1/admin/members/${a.handle}/restrict`;
    for (const t of [undefined, '', 'x', ADMIN_TOKEN.slice(0, -1), ADMIN_TOKEN + 'x', ADMIN_TOKEN.toUpperCase(), a.token]) {
      const r = await h.call('POST', url, { token: t });
      expect(r.status, String(t)).toBe(401);
    }
    expect((await h.call('POST', url, { token: ADMIN_TOKEN })).status).toBe(200);
    const src = readFileSync(join(ROOT, 'src', 'http', 'auth.ts'), 'utf8');
    expect(src).toMatch(/function sameSecret[\s\S]*?timingSafeEqual\(ha, hb\)/);
    expect(src).toMatch(/sameSecret\(token, config\.adminToken\)/);
  });
});

describe('body size limits', () => {
  it('every route that takes a JSON body refuses more than 1 MiB with 413 payload_too_large', async () => {
    const a = await signUp(h);
    const doc = (await h.call('GET', '/v1/openapi.json')).body;
    const big = JSON.stringify({ body: 'x'.repeat(1024 * 1024 + 1) });
    let n = 0;
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
        const url = path.replace(/\{handle\}/g, a.handle).replace(/\{id\}/g, '1');
        const token = path.includes('/admin/') ? ADMIN_TOKEN : a.token;
        const r = await h.call(method.toUpperCase(), url, { token, rawBody: big, headers: { 'content-type': 'application/json' } });
        expect(r.status, `${method} ${path}: ${r.text}`).toBe(413);
        expect(r.body.error.code).toBe('payload_too_large');
        n++;
      }
    }
    expect(n).toBeGreaterThan(25);
    console.log(`body limits: ${n} routes refuse 1 MiB + 1 byte with 413`);
  });

  it('very deep JSON and NUL characters are a 400, never a 500', async () => {
    const a = await signUp(h);
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    const r = await h.call('POST', '/v1/me/reactivate', {
      token: a.token,
      rawBody: deep,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
    });
    expect(r.status).toBe(400);
    const nul = await h.call('GET', `/v1/members/a%00b`, { token: a.token });
    expect(nul.status).toBe(400);
    const nulBody = await h.call('POST', '/v1/groups', { token: a.token, body: { name: 'a\u0000b' } });
    expect(nulBody.status).toBe(400);
  });
});

describe('/metrics', () => {
  it('latency histograms, messages by channel, decisions by reason, open sockets', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    expect((await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'counted' } })).status).toBe(201);
    await h.call('GET', `/v1/members/${b.handle}/decisions/message`, { token: a.token });
    // a refused send is counted by its reason
    const stranger = await signUp(h);
    const refused = await h.call('POST', '/v1/messages', { token: stranger.token, body: { to: b.handle, body: 'not counted as sent' } });
    expect(refused.status).toBe(403);
    const base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
    const s = await openStream(base, { token: a.token });
    const m = await h.call('GET', '/metrics');
    s.ws.terminate();
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/liaison_http_request_duration_seconds_bucket\{le="[0-9.]+",method="POST",route="\/v1\/messages",status="201"\} \d+/);
    expect(m.text).toMatch(/liaison_messages_sent_total\{channel="direct"\} [1-9]/);
    expect(m.text).toMatch(/liaison_decisions_total\{action="message",reason="ok"\} [1-9]/);
    expect(m.text).toMatch(
      new RegExp(`liaison_decisions_total\\{action="message",reason="${(refused.body as { error: { code: string } }).error.code}"\\} 1\n`),
    );
    expect(m.text).toMatch(/liaison_open_sockets [1-9]/);
  });
});
