/** API.md "Accounts and sessions": GET /v1/notifications and POST /v1/notifications/read (DOMAIN.md 9). Schemas: src/contract/routes.ts. */
import { notFound } from '../../services/errors.js';
import { listNotifications, markNotificationsRead, writeDueGrants } from '../../services/notifications.js';
import { transact } from '../../services/uow.js';
import { page } from '../params.js';
import { me, type RouteContext, type TypedApp } from '../plumbing.js';
import { route } from '../route.js';

export function notificationRoutes(app: TypedApp, ctx: RouteContext): void {
  const { deps } = ctx;

  route(app, 'getNotifications', async (req) => {
    const m = me(req);
    const p = page(req.query, Number.MAX_SAFE_INTEGER);
    await writeDueGrants(deps, m);
    return listNotifications(deps, deps.store.db, m, p, deps.clock.now());
  });

  route(app, 'postNotificationsRead', async (req, reply) => {
    const m = me(req);
    const upTo = Number(req.body.upTo);
    // a well-formed id beyond what a notification id can be names none of the caller's
    if (!Number.isSafeInteger(upTo)) throw notFound('no such notification');
    await transact(deps, (u) => markNotificationsRead(u, m, upTo));
    return reply.code(204).send(null);
  });
}
