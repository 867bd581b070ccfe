/** Operator routes (LIAISON_ADMIN_TOKEN). Schemas: src/contract/routes.ts. */
import { addPurchasedCredits, setRestricted, setSubscription } from '../../services/admin.js';
import { toApiMember } from '../../services/members.js';
import { runWrite } from '../idempotency.js';
import { parseInstant } from '../params.js';
import { send, type RouteContext, type TypedApp } from '../plumbing.js';
import { route } from '../route.js';

export function adminRoutes(app: TypedApp, ctx: RouteContext): void {
  const { deps } = ctx;

  route(app, 'putAdminMembersByHandleSubscription', async (req, reply) => {
    const until = req.body.until === null ? null : parseInstant(req.body.until, 'until');
    const out = await runWrite(deps, req, async (u) => ({
      status: 200,
      body: toApiMember(await setSubscription(u, req.params.handle, req.body.tier, until), u.now),
    }));
    return send(reply, out);
  });

  route(app, 'postAdminMembersByHandleInmailCredits', async (req, reply) => {
    const out = await runWrite(deps, req, async (u) => ({
      status: 200,
      body: await addPurchasedCredits(u, req.params.handle, req.body.credits, req.body.note?.trim() || null),
    }));
    return send(reply, out);
  });

  for (const [id, restricted] of [
    ['postAdminMembersByHandleRestrict', true],
    ['postAdminMembersByHandleUnrestrict', false],
  ] as const) {
    route(app, id, async (req, reply) => {
      const out = await runWrite(deps, req, async (u) => ({
        status: 200,
        body: toApiMember(await setRestricted(u, req.params.handle, restricted), u.now),
      }));
      return send(reply, out);
    });
  }
}
