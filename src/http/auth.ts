/**
 * Authentication at the edge: who a request comes from (session bearer or cookie, the operator and
 * metrics tokens), same-origin checks for cookie-authenticated writes, and the sign-in and sign-up
 * throttles.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { deny } from '../policy/index.js';
import { authenticateSession } from '../services/accounts.js';
import type { Deps } from '../services/context.js';
import { Refusal, unauthenticated } from '../services/errors.js';
import { memberByLogin, type MemberRecord } from '../services/members.js';
import { requireOwnOrigin, SAFE_METHODS } from './origin.js';
import { credential, methodsOf, thenHook } from './plumbing.js';
import { WindowLimiter } from './window-limiter.js';

export type AuthMode = 'none' | 'member' | 'optional' | 'admin' | 'metrics';

declare module 'fastify' {
  interface FastifyRequest {
    member?: MemberRecord;
    token?: string;
    /** the public id of the session the request came with */
    sessionId?: string;
  }
  interface FastifyContextConfig {
    auth?: AuthMode;
    /** a deactivated member may use this route (read settings, reactivate, close, sign out) */
    allowInactive?: boolean;
    /** the route's write checks the session in its own transaction: the read model's copy of it may let the request in */
    sessionCheckedInWrite?: boolean;
  }
}

/** Routes that set the session cookie. */
const COOKIE_SETTING = new Set(['/v1/accounts', '/v1/sessions']);

/**
 * Sign-in attempts allowed per window: per (login, client address), so a stranger guessing from one
 * address cannot lock the owner out; per login across all addresses, a higher ceiling against a
 * spread-out guesser; per client address, whatever the logins (spraying), more than one login's
 * worth since several members share an address behind NAT or a proxy.
 */
export const LOGIN_LIMIT = { perLoginAddress: 10, perLogin: 100, perIp: 30, windowMs: 60_000 };

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Sign-in and sign-up throttles: rate_limited with an empty unlock, Retry-After the wait they name. */
function tooMany(seconds: number, message: string): Refusal {
  return new Refusal(deny('rate_limited'), new Date(), undefined, message, Math.max(1, Math.ceil(seconds)));
}

/** The throttles and the authentication hook, for every route by its `config.auth`. */
export async function authentication(app: FastifyInstance, ctx: { config: Config; deps: Deps }): Promise<void> {
  const { config, deps } = ctx;
  // Sign-in attempts: at most LOGIN_LIMIT a minute per client address, and for logins that name an
  // account (its handle or e-mail, any case) per (account, address) and per account, counted after
  // the body validated. Over any: 429 rate_limited with Retry-After. (A login naming no account has
  // nothing to guess; the address limit covers spraying. Which logins exist is no secret: handles
  // are public profiles.)
  await app.register(rateLimit, { global: false });
  const perIp = app.createRateLimit({ max: LOGIN_LIMIT.perIp, timeWindow: LOGIN_LIMIT.windowMs, keyGenerator: (req) => `ip:${req.ip}` });
  const loginMemberOf = (req: FastifyRequest) => (req as FastifyRequest & { loginMemberId?: number }).loginMemberId;
  const perAccountAddress = app.createRateLimit({
    max: LOGIN_LIMIT.perLoginAddress,
    timeWindow: LOGIN_LIMIT.windowMs,
    keyGenerator: (req) => `member:${loginMemberOf(req)} ip:${req.ip}`,
  });
  const perAccount = app.createRateLimit({
    max: LOGIN_LIMIT.perLogin,
    timeWindow: LOGIN_LIMIT.windowMs,
    keyGenerator: (req) => `member:${loginMemberOf(req)}`,
  });
  const loginLimit = async (req: FastifyRequest) => {
    const limited = (r: { isAllowed: true } | { isAllowed: false; isExceeded: boolean; ttlInSeconds: number }) => {
      if (!r.isAllowed && r.isExceeded) throw tooMany(r.ttlInSeconds, 'too many sign-in attempts: wait before trying again');
    };
    limited(await perIp(req));
    const given = (req.body as { login?: unknown } | undefined)?.login;
    const login = typeof given === 'string' ? given.trim() : '';
    const m = login ? await memberByLogin(deps.store.db, login) : null;
    if (m) {
      (req as FastifyRequest & { loginMemberId?: number }).loginMemberId = m.id;
      limited(await perAccountAddress(req));
      limited(await perAccount(req));
    }
  };
  // Sign-ups: at most the policy's signupsPerHourPerAddress an hour per client address (on the
  // injected clock), counted after the body validated; then 429 rate_limited with Retry-After.
  const signups = new WindowLimiter(3_600_000, () => deps.policy.signupsPerHourPerAddress);
  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify hook: async, so what it throws becomes the error answer
  const signupLimit = async (req: FastifyRequest) => {
    const wait = signups.take(`ip:${req.ip}`, deps.clock.now().getTime());
    if (wait > 0) throw tooMany(wait, 'too many sign-ups from your address: wait before trying again');
  };
  app.addHook('onRoute', (route) => {
    const limit = !methodsOf(route).includes('POST') ? null : route.url === '/v1/sessions' ? loginLimit : route.url === '/v1/accounts' ? signupLimit : null;
    if (limit) route.preHandler = thenHook(route.preHandler, limit);
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const mode = req.routeOptions.config?.auth ?? 'none';
    const cred = mode === 'none' ? undefined : credential(req);
    // Same-site request forgery (src/http/origin.ts): the cookie is ambient authority, so a
    // cookie-authenticated unsafe request must come from our own origin. Sign-up and sign-in set the
    // cookie: a browser naming a foreign origin may not do that either (login forgery).
    if (cred?.via === 'cookie' && !SAFE_METHODS.has(req.method)) requireOwnOrigin(req, config.origins);
    if (mode === 'none' && req.method === 'POST' && COOKIE_SETTING.has(req.routeOptions.url ?? '') && (req.headers.origin || req.headers.referer))
      requireOwnOrigin(req, config.origins);
    if (mode === 'metrics') {
      // /metrics: open unless LIAISON_METRICS_TOKEN is set; then its Bearer holders only.
      const token = cred?.via === 'header' ? cred.token : undefined;
      if (config.metricsToken && (!token || !sameSecret(token, config.metricsToken))) throw unauthenticated('the metrics token is required');
      return;
    }
    if (mode === 'admin') {
      const token = cred?.token;
      if (!config.adminToken || !token || !sameSecret(token, config.adminToken)) throw unauthenticated('the operator token is required');
      return;
    }
    if (mode === 'member' || mode === 'optional') {
      const token = cred?.token;
      // Writes read the session from the table, unless their transaction checks it (sessionCheckedInWrite).
      const cached = req.method === 'GET' || req.routeOptions.config?.sessionCheckedInWrite === true;
      const auth = token ? await authenticateSession(deps, token, cached) : null;
      if (!auth) {
        if (mode === 'member') throw unauthenticated();
        return;
      }
      const member = auth.member;
      req.member = member;
      req.token = token;
      req.sessionId = auth.sessionId;
      if (member.status === 'deactivated' && !req.routeOptions.config?.allowInactive)
        throw new Refusal(deny('sender_inactive'), deps.clock.now(), undefined, 'your account is deactivated: reactivate it first');
    }
  });
}
