/**
 * Issue 15, finding 1: same-site request forgery. The session cookie is SameSite=Lax, which lets
 * another port of the same host or a sibling subdomain send it. A request authenticated by the
 * cookie with an unsafe method, and the stream upgrade, must come from the server's own origin
 * (Origin, or Referer when Origin is absent; LIAISON_ORIGINS adds more). Bearer clients are
 * unaffected. The web UI keeps no token where page script can read it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { connect, type User } from '../helpers/messaging.js';
import { ROOT } from '../helpers/process.js';
import { openStream } from '../realtime/client.js';

let h: Harness;
const OWN = 'http://localhost'; // inject() sends Host: localhost:80

const cookie = (u: User) => ({ cookie: `liaison_token=${u.token}` });

function expectForbiddenOrigin(r: { status: number; body: any; headers: Record<string, unknown> }) {
  expect(r.status).toBe(403);
  expect(r.body).toEqual({ error: { code: 'forbidden_origin', message: expect.any(String), unlock: [] } });
  expect(r.headers['content-security-policy']).toBeDefined();
  expect(r.headers['x-content-type-options']).toBe('nosniff');
}

beforeAll(async () => {
  h = await harness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('cookie-authenticated unsafe requests must come from our own origin', () => {
  it('a foreign Origin (another port, a sibling subdomain, "null") is refused with 403 forbidden_origin; nothing changes', async () => {
    const a = await signUp(h);
    for (const origin of ['http://localhost:3001', 'http://evil.localhost', 'https://localhost', 'null', 'http://localhost.evil.example']) {
      const r = await h.call('POST', '/v1/me/deactivate', { headers: { ...cookie(a), origin } });
      expectForbiddenOrigin(r);
    }
    expect((await h.call('GET', '/v1/me', { token: a.token })).body.member.status).toBe('active');
  });

  it('no Origin and no Referer: refused (a browser always names the origin of an unsafe request)', async () => {
    const a = await signUp(h);
    expectForbiddenOrigin(await h.call('POST', '/v1/me/deactivate', { headers: cookie(a) }));
  });

  it('the routes the probe used: bodiless, text/plain and multipart POSTs from a foreign origin', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const inv = await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
    const g = await h.call('POST', '/v1/groups', { token: b.token, body: { name: 'g' } });
    const evil = { ...cookie(a), origin: 'http://localhost:8080' };
    const attempts = [
      await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { headers: evil }),
      await h.call('POST', `/v1/groups/${g.body.id}/members`, { headers: { ...evil, 'content-type': 'text/plain' }, rawBody: 'x' }),
      await h.call('POST', '/v1/conversations/1/accept', { headers: evil }),
      await h.call('POST', '/v1/me/close', { headers: evil }),
      await h.call('DELETE', '/v1/sessions', { headers: evil }),
      await h.call('PATCH', '/v1/me/settings', { headers: evil, body: { readReceipts: false } }),
      await h.call('POST', '/v1/attachments', {
        headers: { ...evil, 'content-type': 'multipart/form-data; boundary=xyz' },
        rawBody: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xyz--\r\n',
      }),
    ];
    for (const r of attempts) expectForbiddenOrigin(r);
    expect((await h.call('GET', '/v1/invitations?direction=received', { token: a.token })).body.items).toHaveLength(1);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(200);
  });

  it('our own origin passes (Origin, or Referer when Origin is absent); a foreign Referer does not', async () => {
    const a = await signUp(h);
    expect((await h.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), origin: OWN }, body: { readReceipts: false } })).status).toBe(200);
    expect((await h.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), origin: 'http://localhost:80' }, body: { readReceipts: true } })).status).toBe(
      200,
    );
    expect((await h.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), referer: `${OWN}/#/settings` }, body: { readReceipts: false } })).status).toBe(
      200,
    );
    expectForbiddenOrigin(
      await h.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), referer: 'http://localhost:3001/attack.html' }, body: { readReceipts: true } }),
    );
    expectForbiddenOrigin(await h.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), referer: 'not a url' }, body: { readReceipts: true } }));
    // safe methods are not checked: the cookie reads as before
    expect((await h.call('GET', '/v1/me', { headers: { ...cookie(a), origin: 'http://localhost:3001' } })).status).toBe(200);
  });

  it('Bearer-authenticated clients are unaffected, whatever Origin they send', async () => {
    const a = await signUp(h);
    const r = await h.call('PATCH', '/v1/me/settings', { token: a.token, headers: { origin: 'http://localhost:3001' }, body: { readReceipts: false } });
    expect(r.status).toBe(200);
    expect((await h.call('PATCH', '/v1/me/settings', { token: a.token, body: { readReceipts: true } })).status).toBe(200);
  });

  it('LIAISON_ORIGINS lets a deployment behind another host name through, and only it', async () => {
    const hp = await harness({ config: { origins: ['https://app.example.com'] } });
    try {
      const a = await signUp(hp);
      const ok = await hp.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), origin: 'https://app.example.com' }, body: { readReceipts: false } });
      expect(ok.status).toBe(200);
      const ref = await hp.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), referer: 'https://app.example.com/x' }, body: { readReceipts: true } });
      expect(ref.status).toBe(200);
      expectForbiddenOrigin(
        await hp.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), origin: 'https://evil.example.com' }, body: { readReceipts: true } }),
      );
      expectForbiddenOrigin(
        await hp.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), origin: 'http://app.example.com' }, body: { readReceipts: true } }),
      );
    } finally {
      await hp.close();
    }
  }, 120_000);

  it('behind a trusted proxy, the forwarded scheme and host make our own origin', async () => {
    const hp = await harness({ trustProxy: true });
    try {
      const a = await signUp(hp);
      const fwd = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'liaison.example.org' };
      const ok = await hp.call('PATCH', '/v1/me/settings', {
        headers: { ...cookie(a), ...fwd, origin: 'https://liaison.example.org' },
        body: { readReceipts: false },
      });
      expect(ok.status).toBe(200);
      expectForbiddenOrigin(
        await hp.call('PATCH', '/v1/me/settings', { headers: { ...cookie(a), ...fwd, origin: 'http://liaison.example.org' }, body: { readReceipts: true } }),
      );
    } finally {
      await hp.close();
    }
  }, 120_000);
});

describe('login forgery', () => {
  it('sign-up and sign-in from a browser naming a foreign origin are refused; clients naming none are not', async () => {
    const body = { handle: 'login_forged', name: 'L', email: 'login_forged@example.test', password: 'correct horse battery' };
    expectForbiddenOrigin(await h.call('POST', '/v1/accounts', { headers: { origin: 'http://localhost:3001' }, body }));
    expect((await h.call('POST', '/v1/accounts', { headers: { origin: OWN }, body })).status).toBe(201);
    const login = { login: 'login_forged', password: 'correct horse battery' };
    expectForbiddenOrigin(await h.call('POST', '/v1/sessions', { headers: { origin: 'http://evil.localhost' }, body: login }));
    expectForbiddenOrigin(await h.call('POST', '/v1/sessions', { headers: { referer: 'http://localhost:3001/x' }, body: login }));
    expect((await h.call('POST', '/v1/sessions', { body: login })).status).toBe(200);
    expect((await h.call('POST', '/v1/sessions', { headers: { origin: OWN }, body: login })).status).toBe(200);
  });
});

describe('the stream upgrade with the cookie must come from our own origin', () => {
  it('a page on another port cannot open the victim stream and replay it with ?since=0', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    expect((await h.call('POST', '/v1/messages', { token: b.token, body: { to: a.handle, body: 'private words' } })).status).toBe(201);
    const base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
    const own = new URL(base).origin;
    const port = Number(new URL(base).port);
    for (const origin of [`http://127.0.0.1:${port + 1}`, 'http://localhost', 'null']) {
      const err = await openStream(base, { since: '0' }, { ...cookie(a), origin }).then(
        (s) => (s.close(), null),
        (e: Error & { status?: number }) => e,
      );
      expect(err?.status, origin).toBe(403);
    }
    // our own page: accepted, and the replay works
    const s = await openStream(base, { since: '0' }, { ...cookie(a), origin: own });
    const f = await s.next((x) => x.type === 'message.created');
    expect(f.data.message.body).toBe('private words');
    s.close();
    // a token in the query (not a cookie) is not ambient authority: any origin may use it
    const t = await openStream(base, { token: a.token }, { origin: 'http://elsewhere.example' });
    t.close();
  });
});

describe('the web UI keeps no session token where page script can read it', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(f) ? [p] : [];
    });

  it('web/src stores no token (never reads it from an answer, no storage of it, no Authorization header, no ?token=)', () => {
    const src = files(join(ROOT, 'web', 'src')).map((f) => [f, readFileSync(f, 'utf8')] as const);
    expect(src.length).toBeGreaterThan(3);
    for (const [f, text] of src) {
      expect(text, f).not.toMatch(/liaison\.token/);
      expect(text, f).not.toMatch(/Authorization/);
      expect(text, f).not.toMatch(/URLSearchParams\(\{\s*token/);
      expect(text, f).not.toMatch(/(localStorage|sessionStorage)\.setItem\([^)]*token/i);
      expect(text, f).not.toMatch(/\.token\b/); // no response's token is ever read
    }
  });

  it('the cookie is HttpOnly (document.cookie cannot read it)', async () => {
    const r = await h.call('POST', '/v1/accounts', {
      body: { handle: 'httponly_1', name: 'H', email: 'httponly_1@example.test', password: 'correct horse battery' },
    });
    expect(String(r.headers['set-cookie'])).toMatch(/HttpOnly/);
  });
});
