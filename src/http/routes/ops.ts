/** Health, readiness, metrics, the read model's check, the policy in force and the OpenAPI document. */
import { errorResponses, ReadModelReport } from '../../contract/index.js';
import { realtimeFor } from '../../realtime/index.js';
import { verifyReadModel } from '../../services/cache-verify.js';
import type { RouteContext, TypedApp } from '../plumbing.js';
import { route } from '../route.js';

export function opsRoutes(app: TypedApp, ctx: RouteContext): void {
  app.get('/healthz', { schema: { hide: true } }, () => Promise.resolve({ status: 'ok' }));
  // Ready iff storage answers within 1 s. The bus is reported, not required: without NATS
  // messages still commit and reach other instances through the catch-up from storage.
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await ctx.deps.store.ping(1000);
    const rt = realtimeFor(ctx.deps);
    const bus = !rt ? 'none' : rt.busKind === 'in-process' ? 'in-process' : rt.busConnected ? 'connected' : 'disconnected';
    if (!ok) reply.header('retry-after', '2');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'storage unreachable', storage: ctx.deps.store.kind, bus });
  });
  app.get('/metrics', { config: { auth: 'metrics' }, schema: { hide: true } }, (_req, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
  // `liaison verify`: this instance's read model against the tables (operator token). Not in API.md:
  // it describes one instance, so it is hidden from the OpenAPI document like /metrics.
  app.get(
    '/admin/read-model/verify',
    { config: { auth: 'admin' }, schema: { hide: true, response: { 200: ReadModelReport, ...errorResponses } } },
    async (): Promise<ReadModelReport> => ({ instance: realtimeFor(ctx.deps)?.origin ?? null, ...(await verifyReadModel(ctx.deps)) }),
  );
  route(app, 'getPolicy', () => Promise.resolve(ctx.deps.policy));
  app.get('/v1/openapi.json', { schema: { hide: true } }, () => Promise.resolve(app.swagger()));
}
