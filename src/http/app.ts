/**
 * The HTTP application: plugins, the one error mapper, authentication, metrics, and the routes.
 * Routes are thin: parse + validate with their schema, call one service verb, shape the answer.
 */
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import ajvFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { authenticate } from '../services/accounts.js';
import type { Deps } from '../services/context.js';
import { AppError, unauthenticated } from '../services/errors.js';
import type { MemberRecord } from '../services/members.js';
import { errorReply } from './errors.js';
import { Metrics } from './metrics.js';
import { accountRoutes } from './routes/accounts.js';
import { adminRoutes } from './routes/admin.js';
import { messagingRoutes } from './routes/messaging.js';
import { networkRoutes } from './routes/network.js';
import { opsRoutes } from './routes/ops.js';
import { streamRoutes } from './routes/stream.js';

export type AuthMode = 'none' | 'member' | 'optional' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    member?: MemberRecord;
    token?: string;
  }
  interface FastifyContextConfig {
    auth?: AuthMode;
    /** a deactivated member may use this route (read settings, reactivate, close, sign out) */
    allowInactive?: boolean;
  }
}

// ajv-formats is CommonJS: its default export sits one level down under NodeNext.
const ajvPlugin = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as never;

export const SESSION_COOKIE = 'liaison_token';

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

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (m) return m[1];
  }
  const c = req.cookies?.[SESSION_COOKIE];
  return c || undefined;
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
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  const metrics = new Metrics();
  app.decorate('metrics', metrics);

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Liaison API', version: '1', description: 'The HTTP contract of Liaison (API.md).' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((err, req, reply) => errorReply(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const mode = req.routeOptions.config?.auth ?? 'none';
    if (mode === 'admin') {
      const token = bearer(req);
      if (!config.adminToken || !token || !sameSecret(token, config.adminToken))
        throw unauthenticated('the operator token is required');
      return;
    }
    if (mode === 'member' || mode === 'optional') {
      const token = bearer(req);
      const member = token ? await authenticate(deps, token, req.method === 'GET') : null;
      if (!member) {
        if (mode === 'member') throw unauthenticated();
        return;
      }
      req.member = member;
      req.token = token;
      if (member.status === 'deactivated' && !req.routeOptions.config?.allowInactive)
        throw new AppError(403, 'sender_inactive', 'your account is deactivated: reactivate it first', { unlock: [] });
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
  });

  const ctx = { config, deps, metrics };
  await app.register(async (a) => opsRoutes(a as never, ctx));
  await app.register(async (a) => accountRoutes(a as never, ctx));
  await app.register(async (a) => adminRoutes(a as never, ctx));
  await app.register(async (a) => networkRoutes(a as never, ctx));
  await app.register(async (a) => messagingRoutes(a as never, ctx));
  await app.register(async (a) => streamRoutes(a as never, ctx));
  return app;
}

export interface RouteContext {
  config: Config;
  deps: Deps;
  metrics: Metrics;
}

export type TypedApp = Awaited<ReturnType<typeof buildApp>>;

/** The member a route with auth 'member' runs for. */
export function me(req: FastifyRequest): MemberRecord {
  if (!req.member) throw unauthenticated();
  return req.member;
}

export function send(reply: FastifyReply, out: { status: number; body: unknown }) {
  return reply.code(out.status).send(out.body);
}
