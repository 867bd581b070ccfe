/** Health, readiness, metrics, the policy in force and the OpenAPI document. */
import type { RouteContext, TypedApp } from '../app.js';

export async function opsRoutes(app: TypedApp, ctx: RouteContext) {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await ctx.deps.store.ping();
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'storage unreachable', storage: ctx.deps.store.kind });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
  app.get('/v1/policy', { schema: { summary: 'The policy in force (defaults merged with LIAISON_POLICY)', tags: ['operator'] } }, async () => ctx.deps.policy);
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
