/**
 * What every route plugin needs from the HTTP layer, apart from the app that registers it (routes
 * never import app.ts: the import graph flows one way): the typed instance, the route context, the
 * caller, and the reply helper.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Config } from '../config.js';
import type { Deps } from '../services/context.js';
import { unauthenticated } from '../services/errors.js';
import type { MemberRecord } from '../services/members.js';
import type { Metrics } from '../util/metrics.js';

export const SESSION_COOKIE = 'liaison_token';

export interface RouteContext {
  config: Config;
  deps: Deps;
  metrics: Metrics;
}

/** A Fastify instance typed by TypeBox schemas (what route plugins receive). */
export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** The member a route with auth 'member' runs for. */
export function me(req: FastifyRequest): MemberRecord {
  if (!req.member) throw unauthenticated();
  return req.member;
}

/** The token of a request and where it came from: the Authorization header, else the session cookie. */
export function credential(req: FastifyRequest): { token: string; via: 'header' | 'cookie' } | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (m) return { token: m[1], via: 'header' };
  }
  const c = req.cookies?.[SESSION_COOKIE];
  return c ? { token: c, via: 'cookie' } : undefined;
}

/** A route's hooks of one kind as declared (none, one or a list), with `hook` run after them (for onRoute). */
export function thenHook<H>(declared: H | H[] | undefined, hook: NoInfer<H>): H[] {
  return [...(Array.isArray(declared) ? declared : declared ? [declared] : []), hook];
}

/** The methods a route answers (for onRoute). */
export function methodsOf(route: { method: string | string[] }): string[] {
  return Array.isArray(route.method) ? route.method : [route.method];
}

export function send(reply: FastifyReply, out: { status: number; body: unknown }) {
  return reply.code(out.status).send(out.body);
}
