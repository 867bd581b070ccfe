import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, admin, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';

describe(`accounts and sessions (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('signs up: 201 with member and token; the token authenticates', async () => {
    const r = await h.call('POST', '/v1/accounts', {
      body: { handle: 'Ada_L', name: 'Ada Lovelace', email: 'ada@example.test', password: 'analytical-engine', headline: 'Engineer' },
    });
    expect(r.status).toBe(201);
    expect(r.body.member).toEqual({
      id: expect.any(String),
      handle: 'Ada_L',
      kind: 'person',
      name: 'Ada Lovelace',
      headline: 'Engineer',
      tier: 'free',
      status: 'active',
    });
    expect(r.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(String(r.headers['set-cookie'])).toMatch(/liaison_token=.*HttpOnly.*SameSite=Lax/i);
    const meRes = await h.call('GET', '/v1/me', { token: r.body.token });
    expect(meRes.status).toBe(200);
    expect(meRes.body.member.handle).toBe('Ada_L');
    expect(meRes.body.settings).toEqual({
      primaryAction: 'connect',
      messageRequests: 'on',
      openProfile: false,
      acceptInMail: true,
      messagesFrom: 'anyone',
      profileVisibility: 'everyone',
      readReceipts: true,
      typingIndicators: true,
      openTo: { jobs: false, mentoring: false },
      requestFilters: { newAccounts: false, noSharedConnections: false, notFollowed: false },
      notifications: {
        'invitation.received': true,
        'invitation.accepted': true,
        'request.received': true,
        'inmail.received': true,
        'page.request': true,
        'credits.granted': true,
        'introduction.asked': true,
        'introduction.forwarded': true,
      },
    });
    expect(meRes.body.unread).toEqual({ notifications: 0, inbox: 0, requests: 0, filtered: 0 });
    expect(meRes.body.quotas).toEqual({ inmailCredits: 0, purchasedCredits: 0, invitationsLeftThisWeek: 100, notesLeftThisMonth: 5 });
  });

  it('handles and e-mails are unique ignoring case: 409 naming the field, nothing stored', async () => {
    const dupHandle = await h.call('POST', '/v1/accounts', {
      body: { handle: 'ada_l', name: 'Other', email: 'other@example.test', password: 'long enough pw' },
    });
    expect(dupHandle.status).toBe(409);
    expect(dupHandle.body.error).toMatchObject({ code: 'conflict', details: { field: 'handle' } });
    const dupEmail = await h.call('POST', '/v1/accounts', {
      body: { handle: 'other_one', name: 'Other', email: 'ADA@example.test', password: 'long enough pw' },
    });
    expect(dupEmail.status).toBe(409);
    expect(dupEmail.body.error.details.field).toBe('email');
    const login = await h.call('POST', '/v1/sessions', { body: { login: 'other_one', password: 'long enough pw' } });
    expect(login.status).toBe(401);
  });

  it.each([
    ['handle too short', { handle: 'ab' }, 'handle'],
    ['handle too long', { handle: 'a'.repeat(31) }, 'handle'],
    ['handle with odd characters', { handle: 'bad handle!' }, 'handle'],
    ['handle with unicode', { handle: 'ädä' }, 'handle'],
    ['over-long name', { name: 'n'.repeat(101) }, 'name'],
    ['blank name', { name: '   ' }, 'name'],
    ['missing password', { password: undefined }, 'password'],
    ['short password', { password: '123456789' }, 'password'],
    ['malformed e-mail', { email: 'not-an-email' }, 'email'],
    ['wrong type', { name: 42 }, 'name'],
    ['unknown field', { admin: true }, 'admin'],
  ])('rejects %s with 400 naming the field', async (_label, patch, field) => {
    const body: Record<string, unknown> = {
      handle: 'valid_handle',
      name: 'Valid',
      email: 'valid@example.test',
      password: 'long enough pw',
      ...patch,
    };
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    const r = await h.call('POST', '/v1/accounts', { body });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
    expect(r.body.error.details.field).toBe(field);
    const probe = await h.call('POST', '/v1/sessions', { body: { login: 'valid_handle', password: 'long enough pw' } });
    expect(probe.status).toBe(401);
  });

  it('signs in by handle or e-mail, ignoring case; wrong passwords get 401', async () => {
    const a = await signUp(h, 'grace_h');
    const byHandle = await h.call('POST', '/v1/sessions', { body: { login: 'GRACE_H', password: 'correct horse battery' } });
    expect(byHandle.status).toBe(200);
    expect(byHandle.body.member.id).toBe(a.member.id);
    const byEmail = await h.call('POST', '/v1/sessions', { body: { login: 'Grace_H@Example.test', password: 'correct horse battery' } });
    expect(byEmail.status).toBe(200);
    const wrong = await h.call('POST', '/v1/sessions', { body: { login: 'grace_h', password: 'incorrect horse' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthenticated');
    const nobody = await h.call('POST', '/v1/sessions', { body: { login: 'nobody_here', password: 'whatever12345' } });
    expect(nobody.status).toBe(401);
  });

  it('DELETE /v1/sessions revokes exactly that token', async () => {
    const a = await signUp(h);
    const second = await h.call('POST', '/v1/sessions', { body: { login: a.handle, password: 'correct horse battery' } });
    expect((await h.call('DELETE', '/v1/sessions', { token: a.token })).status).toBe(204);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { token: second.body.token })).status).toBe(200);
  });

  it('accepts the session cookie as well as the bearer header', async () => {
    const a = await signUp(h);
    const r = await h.call('GET', '/v1/me', { headers: { cookie: `liaison_token=${a.token}` } });
    expect(r.status).toBe(200);
    expect((await h.call('GET', '/v1/me')).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { token: 'bogus' })).status).toBe(401);
  });

  it('PATCH /v1/me/settings changes any fields and validates them', async () => {
    const a = await signUp(h);
    const r = await h.call('PATCH', '/v1/me/settings', { token: a.token, body: { messagesFrom: 'connections', readReceipts: false } });
    expect(r.status).toBe(200);
    expect(r.body.settings).toMatchObject({ messagesFrom: 'connections', readReceipts: false, primaryAction: 'connect' });
    const bad = await h.call('PATCH', '/v1/me/settings', { token: a.token, body: { messagesFrom: 'everybody' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('messagesFrom');
    const unknown = await h.call('PATCH', '/v1/me/settings', { token: a.token, body: { colour: 'blue' } });
    expect(unknown.status).toBe(400);
    const meRes = await h.call('GET', '/v1/me', { token: a.token });
    expect(meRes.body.settings.messagesFrom).toBe('connections');
  });

  it('DOMAIN.md 7: Open Profile is premium only: a free member turning it on gets 403 premium_only with the upgrade, and nothing changes (found by a member)', async () => {
    const a = await signUp(h);
    const r = await h.call('PATCH', '/v1/me/settings', { token: a.token, body: { openProfile: true, readReceipts: false } });
    expect(r.status, r.text).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'premium_only', unlock: [{ kind: 'upgrade', tier: 'career' }] });
    expect((await h.call('GET', '/v1/me', { token: a.token })).body.settings).toMatchObject({ openProfile: false, readReceipts: true });
    const up = await h.call('PUT', `/v1/admin/members/${a.handle}/subscription`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { tier: 'career', until: null },
    });
    expect(up.status, up.text).toBe(200);
    const on = await h.call('PATCH', '/v1/me/settings', { token: a.token, body: { openProfile: true } });
    expect(on.status, on.text).toBe(200);
    expect(on.body.settings.openProfile).toBe(true);
  });

  it('deactivate: may sign in, read settings, reactivate or close; nothing else', async () => {
    const a = await signUp(h);
    const d = await h.call('POST', '/v1/me/deactivate', { token: a.token });
    expect(d.status).toBe(200);
    expect(d.body.member.status).toBe('deactivated');
    const signIn = await h.call('POST', '/v1/sessions', { body: { login: a.handle, password: 'correct horse battery' } });
    expect(signIn.status).toBe(200);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(200);
    const patch = await h.call('PATCH', '/v1/me/settings', { token: a.token, body: { readReceipts: false } });
    expect(patch.status).toBe(403);
    expect(patch.body.error.code).toBe('sender_inactive');
    expect((await h.call('POST', '/v1/me/deactivate', { token: a.token })).status).toBe(403);
    // API.md: "only reactivate, read settings, export or close" (found by a member: these answered)
    for (const [method, url] of [
      ['GET', '/v1/me/sessions'],
      ['DELETE', '/v1/me/sessions/1'],
      ['GET', '/v1/me/credits'],
    ] as const) {
      const r = await h.call(method, url, { token: a.token });
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.body.error.code).toBe('sender_inactive');
    }
    const re = await h.call('POST', '/v1/me/reactivate', { token: a.token });
    expect(re.status).toBe(200);
    expect(re.body.member.status).toBe('active');
    expect((await h.call('POST', '/v1/me/reactivate', { token: a.token })).status).toBe(409);
  });

  it('close is permanent: sessions revoked, sign-in refused', async () => {
    const a = await signUp(h);
    const c = await h.call('POST', '/v1/me/close', { token: a.token });
    expect(c.status).toBe(200);
    expect(c.body.member.status).toBe('closed');
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(401);
    const signIn = await h.call('POST', '/v1/sessions', { body: { login: a.handle, password: 'correct horse battery' } });
    expect(signIn.status).toBe(401);
  });

  it('operator: subscription with a future end is the tier; a past end is free at once', async () => {
    const a = await signUp(h);
    const noToken = await h.call('PUT', `/v1/admin/members/${a.handle}/subscription`, { body: { tier: 'career', until: null } });
    expect(noToken.status).toBe(401);
    const wrongToken = await h.call('PUT', `/v1/admin/members/${a.handle}/subscription`, { token: a.token, body: { tier: 'career', until: null } });
    expect(wrongToken.status).toBe(401);
    const future = new Date(h.clock.now().getTime() + 86400_000).toISOString();
    const r = await admin(h, 'PUT', `/v1/admin/members/${a.handle}/subscription`, { tier: 'business', until: future });
    expect(r.status).toBe(200);
    expect(r.body.tier).toBe('business');
    expect((await h.call('GET', '/v1/me', { token: a.token })).body.quotas.notesLeftThisMonth).toBeNull();
    h.clock.advance(2 * 86400_000);
    expect((await h.call('GET', '/v1/me', { token: a.token })).body.member.tier).toBe('free');
    const past = await admin(h, 'PUT', `/v1/admin/members/${a.handle}/subscription`, { tier: 'career', until: '2000-01-01T00:00:00Z' });
    expect(past.body.tier).toBe('free');
    const bad = await admin(h, 'PUT', `/v1/admin/members/${a.handle}/subscription`, { tier: 'gold', until: null });
    expect(bad.status).toBe(400);
    const unknown = await admin(h, 'PUT', `/v1/admin/members/nobody_xyz/subscription`, { tier: 'career', until: null });
    expect(unknown.status).toBe(404);
  });

  it('operator: restrict and unrestrict', async () => {
    const a = await signUp(h);
    const r = await admin(h, 'POST', `/v1/admin/members/${a.handle}/restrict`);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('restricted');
    const u = await admin(h, 'POST', `/v1/admin/members/${a.handle}/unrestrict`);
    expect(u.body.status).toBe('active');
  });
});
