/** API.md "Introductions" (DOMAIN.md 11): ask, list, forward, decline. Schemas: src/contract/routes.ts. */
import { askIntroduction, declineIntroduction, forwardIntroduction, listIntroductions } from '../../services/introductions.js';
import { runWrite } from '../idempotency.js';
import { page } from '../params.js';
import { me, send, type RouteContext, type TypedApp } from '../plumbing.js';
import { route } from '../route.js';

export function introductionRoutes(app: TypedApp, ctx: RouteContext): void {
  const { deps } = ctx;

  route(app, 'postIntroductions', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => ({ status: 201, body: await askIntroduction(u, m, req.body) }));
    return send(reply, out);
  });

  route(app, 'getIntroductions', async (req) => listIntroductions(deps, deps.store.db, me(req), req.query.role ?? 'asked', deps.clock.now(), page(req.query)));

  route(app, 'postIntroductionsByIdForward', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => ({ status: 200, body: await forwardIntroduction(u, m, Number(req.params.id), req.body?.note) }));
    return send(reply, out);
  });

  route(app, 'postIntroductionsByIdDecline', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => ({ status: 200, body: await declineIntroduction(u, m, Number(req.params.id)) }));
    return send(reply, out);
  });
}
