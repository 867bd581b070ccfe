/**
 * Issue 15, findings 2 and 3: tokens at rest and sessions that end.
 * - A replayed sign-up (same Idempotency-Key and body) answers 201 with `token: null`: the stored
 *   answer holds no token; anonymous keys are scoped to the caller's address; expired keys go.
 * - Sessions end after the policy's sessionIdleDays without use (lastUsedAt, touched at most once a
 *   minute); POST /v1/me/password ends every other session; GET /v1/me/sessions and
 *   DELETE /v1/me/sessions/:id; signing out with a Bearer token and a different cookie revokes both.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { openStream } from '../realtime/client.js';

let h: Harness;
const PASSWORD = 'correct horse battery';
const DAY = 86_400_000;

async function rows<T = Record<string, unknown>>(q: ReturnType<typeof sql>): Promise<T[]> {
  return ((await h.inst.store.db.execute(q)) as unknown as { rows: T[] }).rows;
}

function signUpFrom(ip: string, body: Record<string, unknown>, key?: string) {
  return h.inst.app.inject({
    method: 'POST',
    url: '/v1/accounts',
    remoteAddress: ip,
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    payload: JSON.stringify(body),
  });
}

function signIn(login: string, password = PASSWORD, ip = '10.9.0.1') {
  return h.inst.app.inject({
    method: 'POST',
    url: '/v1/sessions',
    remoteAddress: ip,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ login, password }),
  });
}

const account = (handle: string) => ({ handle, name: `Name ${handle}`, email: `${handle}@example.test`, password: PASSWORD });

beforeAll(async () => {
  h = await harness({ policy: { sessionIdleDays: 30 } });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('tokens at rest: sign-up replays', () => {
  it('a replayed sign-up answers 201 with token null; the stored answer holds no token; nothing new is created', async () => {
    const body = account('replay_me');
    const first = await signUpFrom('10.8.0.1', body, 'signup-key-1');
    expect(first.statusCode).toBe(201);
    const token = first.json().token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const dump = JSON.stringify(await rows(sql`select * from idempotency_keys`));
    expect(dump.includes(token)).toBe(false);
    const sessionsBefore = await rows(sql`select token_hash from sessions`);

    const again = await signUpFrom('10.8.0.1', body, 'signup-key-1');
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual({ member: first.json().member, token: null });
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(await rows(sql`select token_hash from sessions`)).toHaveLength(sessionsBefore.length);
    expect(await rows(sql`select id from members where handle = 'replay_me'`)).toHaveLength(1);
    // the first token still works
    expect((await h.call('GET', '/v1/me', { token })).status).toBe(200);
  });

  it('anonymous keys are scoped to the caller address: another address with the same key is not a replay', async () => {
    const body = account('scoped_key');
    expect((await signUpFrom('10.8.1.1', body, 'shared-key')).statusCode).toBe(201);
    // same key and body from elsewhere: a real attempt (the handle is taken), never the first answer
    const other = await signUpFrom('10.8.1.2', body, 'shared-key');
    expect(other.statusCode).toBe(409);
    expect(other.json().error.details).toMatchObject({ field: 'handle' });
    // same key, another body, another address: a new account, not an idempotency conflict
    const third = await signUpFrom('10.8.1.3', account('scoped_key_2'), 'shared-key');
    expect(third.statusCode).toBe(201);
    expect(third.json().token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('idempotency rows older than 24 hours are purged', async () => {
    const a = await signUp(h);
    const r = await h.call('POST', '/v1/groups', { token: a.token, body: { name: 'old' }, headers: { 'idempotency-key': 'old-key' } });
    expect(r.status).toBe(201);
    const count = async () => Number((await rows<{ n: number }>(sql`select count(*)::int as n from idempotency_keys where key = 'old-key'`))[0]!.n);
    expect(await count()).toBe(1);
    await h.inst.housekeeper.runOnce();
    expect(await count()).toBe(1);
    h.clock.advance(DAY + 60_000);
    await h.inst.housekeeper.runOnce();
    expect(await count()).toBe(0);
  });
});

describe('sessions end', () => {
  it(`after sessionIdleDays (${30}) without use, not while used; the read cache does not keep one alive`, async () => {
    const a = await signUp(h);
    h.clock.advance(29 * DAY);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(200);
    h.clock.advance(29 * DAY);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(200);
    h.clock.advance(30 * DAY + 1000);
    // a GET right after the last one would hit the 2-second read cache: it must still see the idle time
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(401);
    expect((await h.call('POST', '/v1/groups', { token: a.token, body: { name: 'x' } })).status).toBe(401);
    expect(await rows(sql`select 1 from sessions where member_id = ${Number(a.member.id)}`)).toHaveLength(0);
  });

  it('lastUsedAt is touched at most once a minute', async () => {
    const a = await signUp(h);
    const at = async () =>
      (await rows<{ t: Date | string }>(sql`select last_used_at as t from sessions where member_id = ${Number(a.member.id)}`)).map((r) =>
        new Date(r.t).getTime(),
      )[0]!;
    const t0 = await at();
    h.clock.advance(30_000);
    await h.call('GET', '/v1/me', { token: a.token });
    await h.call('POST', '/v1/groups', { token: a.token, body: { name: 'x' } });
    expect(await at()).toBe(t0);
    h.clock.advance(31_000);
    await h.call('POST', '/v1/groups', { token: a.token, body: { name: 'y' } });
    expect(await at()).toBe(h.clock.now().getTime());
  });

  it('GET /v1/me/sessions lists {id, createdAt, lastUsedAt, current}; the id is a public one, not the token hash', async () => {
    const a = await signUp(h);
    h.clock.advance(1000);
    const second = (await signIn(a.handle)).json().token as string;
    const r = await h.call('GET', '/v1/me/sessions', { token: second });
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(2);
    expect(r.body.nextCursor).toBeNull();
    const hashes = [a.token, second].map((t) => createHash('sha256').update(t).digest('hex'));
    for (const s of r.body.items) {
      expect(Object.keys(s).sort()).toEqual(['createdAt', 'current', 'id', 'lastUsedAt']);
      expect(typeof s.id).toBe('string');
      expect(hashes.some((x) => x.includes(s.id) || s.id.includes(x.slice(0, 16)))).toBe(false);
      expect([a.token, second].some((t) => t.includes(s.id) || s.id.includes(t))).toBe(false);
    }
    expect(r.body.items.filter((s: any) => s.current)).toHaveLength(1);
    const mine = r.body.items.find((s: any) => s.current);
    expect(Date.parse(mine.createdAt)).toBe(h.clock.now().getTime());
    // another member's sessions are not listed
    const b = await signUp(h);
    expect((await h.call('GET', '/v1/me/sessions', { token: b.token })).body.items).toHaveLength(1);
  });

  it('DELETE /v1/me/sessions/:id ends that session (204); an id of another member or unknown is 404', async () => {
    const a = await signUp(h);
    const second = (await signIn(a.handle)).json().token as string;
    const list = (await h.call('GET', '/v1/me/sessions', { token: a.token })).body.items;
    const other = list.find((s: any) => !s.current);
    const b = await signUp(h);
    expect((await h.call('DELETE', `/v1/me/sessions/${other.id}`, { token: b.token })).status).toBe(404);
    expect((await h.call('DELETE', '/v1/me/sessions/nope', { token: a.token })).status).toBe(404);
    expect((await h.call('GET', '/v1/me', { token: second })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/me/sessions/${other.id}`, { token: a.token })).status).toBe(204);
    expect((await h.call('GET', '/v1/me', { token: second })).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/me/sessions/${other.id}`, { token: a.token })).status).toBe(404);
  });

  it('POST /v1/me/password {current, new}: 204, every other session ends, the new password signs in', async () => {
    const a = await signUp(h);
    const others = [(await signIn(a.handle)).json().token as string, (await signIn(a.handle)).json().token as string];
    for (const t of others) expect((await h.call('GET', '/v1/me', { token: t })).status).toBe(200);
    const wrong = await h.call('POST', '/v1/me/password', { token: a.token, body: { current: 'not my password', new: 'a brand new password' } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toMatchObject({ code: 'wrong_password', unlock: [] });
    const short = await h.call('POST', '/v1/me/password', { token: a.token, body: { current: PASSWORD, new: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error.details).toMatchObject({ field: 'new' });
    for (const t of others) expect((await h.call('GET', '/v1/me', { token: t })).status).toBe(200);

    const ok = await h.call('POST', '/v1/me/password', { token: a.token, body: { current: PASSWORD, new: 'a brand new password' } });
    expect(ok.status).toBe(204);
    for (const t of others) expect((await h.call('GET', '/v1/me', { token: t })).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(200);
    expect((await signIn(a.handle, PASSWORD, '10.9.1.1')).statusCode).toBe(401);
    expect((await signIn(a.handle, 'a brand new password', '10.9.1.1')).statusCode).toBe(200);
    const [c] = await rows<{ h: string }>(sql`select password_hash as h from credentials where member_id = ${Number(a.member.id)}`);
    expect(c!.h).toMatch(/^\$argon2id\$/);
  });

  it('signing out with a Bearer token and a different cookie revokes both', async () => {
    const a = await signUp(h);
    const cookieToken = (await signIn(a.handle)).json().token as string;
    const b = await signUp(h);
    const r = await h.call('DELETE', '/v1/sessions', { token: a.token, headers: { cookie: `liaison_token=${cookieToken}` } });
    expect(r.status).toBe(204);
    expect(String(r.headers['set-cookie'])).toMatch(/liaison_token=;/);
    expect((await h.call('GET', '/v1/me', { token: a.token })).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { token: cookieToken })).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { token: b.token })).status).toBe(200);
  });

  it('an ended session also loses its open stream (password change, DELETE /v1/me/sessions/:id, sign-out)', async () => {
    const a = await signUp(h);
    const base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
    const t1 = (await signIn(a.handle)).json().token as string;
    const t2 = (await signIn(a.handle)).json().token as string;
    const t3 = (await signIn(a.handle)).json().token as string;
    const [s0, s1, s2, s3] = await Promise.all([a.token, t1, t2, t3].map((t) => openStream(base, { token: t })));
    const id2 = (await h.call('GET', '/v1/me/sessions', { token: t2 })).body.items.find((s: any) => s.current).id;
    expect((await h.call('DELETE', `/v1/me/sessions/${id2}`, { token: a.token })).status).toBe(204);
    expect((await s2!.closed).code).toBe(4001);
    expect((await h.call('DELETE', '/v1/sessions', { token: t3 })).status).toBe(204);
    expect((await s3!.closed).code).toBe(4001);
    expect((await h.call('POST', '/v1/me/password', { token: a.token, body: { current: PASSWORD, new: 'another new password' } })).status).toBe(204);
    expect((await s1!.closed).code).toBe(4001);
    // the session that changed the password keeps its stream
    expect(await s0!.quiet(100)).toEqual([]);
    expect(s0!.ws.readyState).toBe(s0!.ws.OPEN);
    s0!.close();
  });
});
