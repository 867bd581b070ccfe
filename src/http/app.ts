/**
 * The HTTP application: plugins, the one error mapper, authentication, metrics, and the routes.
 * Routes are thin: parse + validate with their schema, call one service verb, shape the answer.
 */
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import ajvFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { authenticateSession } from '../services/accounts.js';
import type { Deps } from '../services/context.js';
import { badRequest, Refusal, unauthenticated } from '../services/errors.js';
import { deny } from '../policy/index.js';
import { memberByLogin, type MemberRecord } from '../services/members.js';
import { errorReply } from './errors.js';
import { credential, type RouteContext, type TypedApp } from './plumbing.js';
import { Metrics } from '../util/metrics.js';
import { requireOwnOrigin, SAFE_METHODS } from './origin.js';
import { WindowLimiter } from './window-limiter.js';
import { accountRoutes } from './routes/accounts.js';
import { adminRoutes } from './routes/admin.js';
import { messagingRoutes } from './routes/messaging.js';
import { introductionRoutes } from './routes/introductions.js';
import { groupRoutes } from './routes/groups.js';
import { networkRoutes } from './routes/network.js';
import { notificationRoutes } from './routes/notifications.js';
import { opsRoutes } from './routes/ops.js';
import { streamRoutes } from './routes/stream.js';

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
  }
}

// ajv-formats is CommonJS: its default export sits one level down under NodeNext.
const ajvPlugin = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as never;

/** Routes that set the session cookie. */
const COOKIE_SETTING = new Set(['/v1/accounts', '/v1/sessions']);

/** The Content-Security-Policy of the API and the web UI: our own origin only. */
export const STRICT_CSP = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/** The STRICT_CSP directives as the header helmet writes. */
const STRICT_CSP_HEADER = Object.entries(STRICT_CSP)
  .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${v.join(' ')}`)
  .join(';');

/**
 * The headers helmet puts on every answer, for the few answers Fastify makes before any hook runs
 * (a malformed path, a path parameter beyond maxParamLength): test/security/smaller.test.ts checks
 * they match a normal answer's.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': STRICT_CSP_HEADER,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** /docs (swagger-ui): same origin, plus the inline style attributes and data: images it renders. */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

/** `GET /v1/members/:handle/mutuals` → `getMembersByHandleMutuals`: unique, stable, readable. */
export function operationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((p) => p !== '' && p !== 'v1')
    .map((p) => (p.startsWith(':') ? `By-${p.slice(1)}` : p))
    .flatMap((p) => p.split(/[-_.]/))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

/** No request body needs more nesting than this. */
export const MAX_JSON_DEPTH = 64;

/** Whether a JSON text nests arrays/objects deeper than `max` (strings skipped; no recursion). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** Whether a string anywhere in a parsed value (keys included) holds U+0000; iterative. */
export function hasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/**
 * Sign-in attempts allowed per window: per (login, client address), so a stranger guessing from one
 * address cannot lock the owner out; per login across all addresses, a higher ceiling against a
 * spread-out guesser; per client address, whatever the logins (spraying), more than one login's
 * worth since several members share an address behind NAT or a proxy.
 */
export const LOGIN_LIMIT = { perLoginAddress: 10, perLogin: 100, perIp: 30, windowMs: 60_000 };

export interface AppOptions {
  config: Config;
  deps: Deps;
  logger?: boolean | object;
}

export type App = FastifyInstance & { withTypeProvider(): unknown };

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Sign-in and sign-up throttles: rate_limited with an empty unlock, Retry-After the wait they name. */
function tooMany(seconds: number, message: string): Refusal {
  return new Refusal(deny('rate_limited'), new Date(), undefined, message, Math.max(1, Math.ceil(seconds)));
}

export async function buildApp(opts: AppOptions) {
  const { config, deps } = opts;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: true },
      plugins: [ajvPlugin],
    },
    return503OnClosing: true,
    trustProxy: config.trustProxy ?? false,
    forceCloseConnections: 'idle',
    // A path parameter of any length reaches its route (whose schema answers 400 in the API's
    // shape, with the security headers); Node's header limit bounds the URL anyway.
    routerOptions: { maxParamLength: 65_536 },
    // What Fastify answers before any hook (a malformed path): the API's shape and headers too.
    frameworkErrors: (err, req, res) => {
      const reply = res as unknown as FastifyReply;
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
      reply.header('x-request-id', req.id);
      const tooLong = (err as { code?: string }).code === 'FST_ERR_MAX_PARAM_LENGTH';
      reply
        .code(400)
        .type('application/json; charset=utf-8')
        .send({ error: { code: 'invalid_request', message: tooLong ? 'path: a parameter is too long' : 'path: not a valid URL', details: { field: 'path' } } });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON bodies: Fastify's own parser (prototype poisoning refused), after an O(n) scan that
  // refuses nesting deeper than MAX_JSON_DEPTH, so no later JSON.stringify (request hashing,
  // jsonb) or validator can overflow the stack on a hostile body (test/security/fuzz.test.ts).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    // An empty body under a JSON content type is no body (clients that always send the header, on a
    // POST that takes none): the route's schema decides whether one was required.
    if (body === '') {
      done(null, undefined);
      return;
    }
    if (jsonDepthExceeds(body as string, MAX_JSON_DEPTH)) {
      const e = Object.assign(new Error(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 });
      done(e, undefined);
      return;
    }
    void defaultJson(req, body as string, done);
  });

  const metrics = new Metrics();
  app.decorate('metrics', metrics);

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Liaison API',
        version: '1',
        description: 'The HTTP contract of Liaison (API.md).',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'this server' }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
    // The document is a product (third parties generate clients from it): every operation gets an
    // operationId (the typed client's function names) and its security, stated even when public.
    transform: ({ schema, url, route }) => {
      const s = { ...(schema as Record<string, unknown>) };
      const method = Array.isArray(route.method) ? route.method[0] : route.method;
      s.operationId ??= operationId(method, url);
      const auth = route.config?.auth ?? 'none';
      s.security ??= auth === 'none' ? [] : [{ bearer: [] }];
      return { schema: s, url };
    },
  });
  // Security headers on every answer (API, web UI, errors). The web UI is built to need nothing
  // but its own origin: no inline script or style, no third-party resources. HSTS only matters
  // behind HTTPS (browsers ignore it over plain HTTP); upgrade-insecure-requests is left out so the
  // default plain-HTTP 127.0.0.1 setup keeps working.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: STRICT_CSP },
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // swagger-ui (/docs only) renders with inline style attributes and data: images; its own scope
  // gets a CSP that allows exactly that, everything else stays on the strict one.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
  // CORS is off: no Access-Control-* header is ever sent, so browsers keep other origins out
  // (@fastify/cors is not installed; docs/SECURITY.md).

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
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const limit = !methods.includes('POST') ? null : route.url === '/v1/sessions' ? loginLimit : route.url === '/v1/accounts' ? signupLimit : null;
    if (limit) {
      const prev = route.preHandler;
      route.preHandler = [...(Array.isArray(prev) ? prev : prev ? [prev] : []), limit];
    }
  });

  app.setErrorHandler((err, req, reply) => errorReply(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
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
      const auth = token ? await authenticateSession(deps, token, req.method === 'GET') : null;
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

  // PostgreSQL text cannot hold U+0000: refuse it anywhere in the path, the query or the body
  // (400, not the storage error a NUL would otherwise cause; found by test/security/fuzz.test.ts).
  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify hook: async, so what it throws becomes the error answer
  app.addHook('preValidation', async (req) => {
    for (const [where, value] of [
      ['params', req.params],
      ['querystring', req.query],
      ['body', req.body],
    ] as const) {
      if (hasNul(value)) throw badRequest(`${where}: the NUL character (U+0000) is not allowed`, { field: where });
    }
  });

  // Domain counters observed at the edge, for every route that sends or invites: messages sent by
  // channel, and the decision behind each answer by reason (ok, or the refusal's code).
  const DECIDING: Record<string, string> = {
    'POST /v1/messages': 'message',
    'POST /v1/conversations/:id/messages': 'message',
    'POST /v1/invitations': 'invitation',
  };
  app.addHook('onSend', async (req, reply, payload) => {
    const action = DECIDING[`${req.method} ${req.routeOptions.url}`];
    if (!action || typeof payload !== 'string') return payload;
    try {
      const body = JSON.parse(payload) as { message?: { channel?: string }; error?: { code?: string } };
      if (reply.statusCode < 300) {
        metrics.decisions.inc({ action, reason: 'ok' });
        if (action === 'message' && body.message?.channel) metrics.messagesSent.inc({ channel: body.message.channel });
      } else if ([403, 404, 429].includes(reply.statusCode) && body.error?.code) {
        metrics.decisions.inc({ action, reason: body.error.code });
      }
    } catch {
      /* not JSON: nothing to count */
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
  });

  const ctx = { config, deps, metrics };
  // Each route file is a plugin that gets what it needs from the context, never from this file.
  const plugin =
    (fn: (a: TypedApp, c: RouteContext) => void | Promise<void>): FastifyPluginAsync =>
    (a) =>
      Promise.resolve(fn(a as never, ctx));
  for (const routes of [
    opsRoutes,
    accountRoutes,
    adminRoutes,
    networkRoutes,
    messagingRoutes,
    notificationRoutes,
    introductionRoutes,
    groupRoutes,
    streamRoutes,
  ])
    await app.register(plugin(routes));
  return app;
}

export { me, send, SESSION_COOKIE, type RouteContext, type TypedApp } from './plumbing.js';
