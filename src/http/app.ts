/**
 * The HTTP application: Fastify with its options, then the plugins in order (hardening.ts,
 * openapi.ts, auth.ts, observe.ts), the one error mapper, and the routes.
 * Routes are thin: parse + validate with their schema, call one service verb, shape the answer.
 */
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import ajvFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import type { Deps } from '../services/context.js';
import { errorReply } from './errors.js';
import { acceptJson, refuseNul, SECURITY_HEADERS, securityHeaders } from './hardening.js';
import { openApiDocument, openApiPages } from './openapi.js';
import { authentication } from './auth.js';
import { lazyChildLogger } from './logging.js';
import { observe } from './observe.js';
import type { RouteContext, TypedApp } from './plumbing.js';
import { Metrics } from '../util/metrics.js';
import { accountRoutes } from './routes/accounts.js';
import { adminRoutes } from './routes/admin.js';
import { messagingRoutes } from './routes/messaging.js';
import { introductionRoutes } from './routes/introductions.js';
import { groupRoutes } from './routes/groups.js';
import { networkRoutes } from './routes/network.js';
import { notificationRoutes } from './routes/notifications.js';
import { opsRoutes } from './routes/ops.js';
import { streamRoutes } from './routes/stream.js';

// ajv-formats is CommonJS: its default export sits one level down under NodeNext.
const ajvPlugin = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as never;

export interface AppOptions {
  config: Config;
  deps: Deps;
  logger?: boolean | object;
}

export type App = FastifyInstance & { withTypeProvider(): unknown };

export async function buildApp(opts: AppOptions) {
  const { config, deps } = opts;
  const app = Fastify({
    logger: opts.logger ?? false,
    // a lazy child only where there is a logger (without one Fastify makes no child at all)
    ...(opts.logger ? { childLoggerFactory: lazyChildLogger } : {}),
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

  acceptJson(app);

  const metrics = new Metrics();
  app.decorate('metrics', metrics);

  await app.register(cookie);
  await openApiDocument(app);
  securityHeaders(app);
  await openApiPages(app);
  // CORS is off: no Access-Control-* header is ever sent, so browsers keep other origins out
  // (@fastify/cors is not installed; docs/SECURITY.md).

  await authentication(app, { config, deps });

  app.setErrorHandler((err, req, reply) => errorReply(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  refuseNul(app);
  observe(app, metrics);

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
