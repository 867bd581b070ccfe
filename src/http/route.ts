/**
 * Registers a handler for an operation of the contract's route table (src/contract/routes.ts):
 * method, path, summary, tags, security, schemas and the auth mode all come from the table, so the
 * served OpenAPI document is the contract's. The handler's params, query, body and answer are typed
 * by the same schemas.
 */
import { OptionalKind } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { routes, type BodyOf, type OperationId, type ParamsOf, type QueryOf, type ReplyOf, type RouteSpec } from '../contract/index.js';
import type { TypedApp } from './plumbing.js';
import { badRequest } from '../services/errors.js';

export type RouteRequest<K extends OperationId> = FastifyRequest<{ Params: ParamsOf<K>; Querystring: QueryOf<K>; Body: BodyOf<K> }>;
/** A handler answers the operation's success shape, or sends through `reply` itself. */
export type RouteHandler<K extends OperationId> = (req: RouteRequest<K>, reply: FastifyReply) => Promise<ReplyOf<K> | FastifyReply>;

/** The Fastify schema of an operation (what @fastify/swagger documents). */
export function schemaOf(id: OperationId): Record<string, unknown> {
  const r: RouteSpec = routes[id];
  const s: Record<string, unknown> = { summary: r.summary };
  if (r.description !== undefined) s.description = r.description;
  s.tags = r.tags;
  if (r.auth !== 'none') s.security = [{ bearer: [] }];
  if (r.consumes) s.consumes = r.consumes;
  if (r.params) s.params = r.params;
  if (r.querystring) s.querystring = r.querystring;
  if (r.body) s.body = r.body;
  s.response = r.response;
  s.operationId = id;
  return s;
}

/**
 * Registers `handler` for operation `id`; `extra` adds Fastify route options (hooks), and
 * `sessionCheckedInWrite` lets the read model's copy of the session in (src/http/auth.ts): only for
 * a route whose write checks the session itself in its transaction.
 */
export function route<K extends OperationId>(
  app: TypedApp,
  id: K,
  handler: RouteHandler<K>,
  extra: Pick<RouteShorthandOptions, 'preHandler'> & { sessionCheckedInWrite?: boolean } = {},
): void {
  const r: RouteSpec = routes[id];
  const { sessionCheckedInWrite, ...options } = extra;
  const optionalBody = r.body !== undefined && OptionalKind in r.body;
  // `?as=<page>` acts for a page only on the routes that name it (API.md: the conversation routes);
  // a route whose contract has no query at all would take no notice of it and act as the person
  // (a block, a deactivation, an invitation: found by a member), so it is refused there.
  const refusesAs = r.querystring === undefined;
  const preValidation =
    optionalBody || refusesAs
      ? (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
          if (refusesAs && (req.query as Record<string, unknown> | undefined)?.as !== undefined)
            return done(badRequest('as: this route does not act for a page (?as= is for the conversation routes)', { field: 'as' }));
          // A body the contract marks optional (`{ note? }` as a whole) may be left out: it reads as `{}`.
          if (optionalBody && (req.body === undefined || req.body === null)) req.body = {};
          done();
        }
      : undefined;
  app.route({
    method: r.method,
    url: r.path,
    config: { auth: r.auth, ...(r.allowInactive ? { allowInactive: true } : {}), ...(sessionCheckedInWrite ? { sessionCheckedInWrite: true } : {}) },
    schema: schemaOf(id),
    handler: handler as never,
    ...(preValidation ? { preValidation } : {}),
    ...options,
  });
}
