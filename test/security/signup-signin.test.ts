/**
 * Issue 15, finding 9: sign-up and sign-in abuse.
 * - Sign-up is limited per client address (policy signupsPerHourPerAddress; 429 rate_limited with
 *   Retry-After), and a taken handle or e-mail is refused before argon2 runs.
 * - Sign-in attempts are counted per (login, address), with a higher ceiling per login: a stranger
 *   guessing from one address cannot lock the owner out.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOGIN_LIMIT } from '../../src/http/auth.js';
import { harness, signUp, type Harness } from '../helpers/harness.js';

const argon = vi.hoisted(() => ({ hashes: 0 }));
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return {
    ...real,
    hash: async (...args: Parameters<typeof real.hash>) => {
      argon.hashes++;
      return real.hash(...args);
    },
  };
});

let h: Harness;
const PASSWORD = 'correct horse battery';
const SIGNUPS = 4;

function signUpFrom(ip: string, handle: string, email = `${handle}@example.test`) {
  return h.inst.app.inject({
    method: 'POST',
    url: '/v1/accounts',
    remoteAddress: ip,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ handle, name: `Name ${handle}`, email, password: PASSWORD }),
  });
}

function signIn(login: string, password: string, ip: string) {
  return h.inst.app.inject({
    method: 'POST',
    url: '/v1/sessions',
    remoteAddress: ip,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ login, password }),
  });
}

beforeAll(async () => {
  h = await harness({ policy: { signupsPerHourPerAddress: SIGNUPS } });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('sign-up', () => {
  it('a taken handle or e-mail (any case) is refused with 409 before the password is hashed', async () => {
    expect((await signUpFrom('10.20.0.1', 'taken_one')).statusCode).toBe(201);
    const before = argon.hashes;
    const handle = await signUpFrom('10.20.0.2', 'TAKEN_one', 'other@example.test');
    expect(handle.statusCode).toBe(409);
    expect(handle.json().error.details).toMatchObject({ field: 'handle' });
    const email = await signUpFrom('10.20.0.3', 'fresh_one', 'TAKEN_ONE@example.test');
    expect(email.statusCode).toBe(409);
    expect(email.json().error.details).toMatchObject({ field: 'email' });
    expect(argon.hashes).toBe(before);
    expect((await signUpFrom('10.20.0.4', 'fresh_two')).statusCode).toBe(201);
    expect(argon.hashes).toBe(before + 1);
  });

  it(`at most signupsPerHourPerAddress (${SIGNUPS}) sign-ups an hour from one address: then 429 rate_limited with Retry-After`, async () => {
    const ip = '10.21.0.1';
    for (let i = 0; i < SIGNUPS; i++) expect((await signUpFrom(ip, `burst_${i}`)).statusCode).toBe(201);
    const over = await signUpFrom(ip, 'burst_over');
    expect(over.statusCode).toBe(429);
    expect(over.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String), unlock: [] } });
    const retry = Number(over.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(3600);
    // nothing was created, and another address is not affected
    expect((await h.call('GET', '/v1/members/burst_over', { token: (await signUp(h)).token })).status).toBe(404);
    expect((await signUpFrom('10.21.0.2', 'burst_elsewhere')).statusCode).toBe(201);
    // an hour later the address may sign up again
    h.clock.advance(3600_000 + 1000);
    expect((await signUpFrom(ip, 'burst_later')).statusCode).toBe(201);
  });
});

describe('sign-in', () => {
  it(`a stranger guessing from one address is stopped after ${LOGIN_LIMIT.perLoginAddress} tries; the owner still signs in from their own`, async () => {
    const owner = await signUp(h, 'owner_locked');
    expect(LOGIN_LIMIT.perLoginAddress).toBeGreaterThan(0);
    for (let i = 0; i < LOGIN_LIMIT.perLoginAddress; i++) expect((await signIn(owner.handle, 'guess guess guess', '10.30.0.66')).statusCode).toBe(401);
    const over = await signIn(owner.handle, PASSWORD, '10.30.0.66');
    expect(over.statusCode).toBe(429);
    expect(over.json().error).toMatchObject({ code: 'rate_limited', unlock: [] });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // the owner, from their address, by handle or e-mail in any case
    expect((await signIn(owner.handle, PASSWORD, '10.30.0.1')).statusCode).toBe(200);
    expect((await signIn('OWNER_LOCKED@example.test', PASSWORD, '10.30.0.1')).statusCode).toBe(200);
  });

  it(`a login has a higher ceiling across addresses (${LOGIN_LIMIT.perLogin} a minute)`, async () => {
    const owner = await signUp(h, 'owner_ceiling');
    expect(LOGIN_LIMIT.perLoginAddress).toBeGreaterThan(0);
    expect(LOGIN_LIMIT.perLogin).toBeGreaterThan(LOGIN_LIMIT.perLoginAddress);
    let sent = 0;
    for (let ip = 0; sent < LOGIN_LIMIT.perLogin; ip++) {
      for (let i = 0; i < LOGIN_LIMIT.perLoginAddress && sent < LOGIN_LIMIT.perLogin; i++, sent++) {
        expect((await signIn(owner.handle, 'guess guess guess', `10.31.${ip}.9`)).statusCode).toBe(401);
      }
    }
    const over = await signIn(owner.handle, PASSWORD, '10.31.200.1');
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('rate_limited');
  }, 120_000);
});
