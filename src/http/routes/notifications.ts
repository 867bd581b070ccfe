/** API.md "Accounts and sessions": GET /v1/notifications and POST /v1/notifications/read (DOMAIN.md 9). */
import { Type } from '@sinclair/typebox';
import { notFound } from '../../services/errors.js';
import { listNotifications, markNotificationsRead, writeDueGrants } from '../../services/notifications.js';
import { transact } from '../../services/uow.js';
import { me, type RouteContext, type TypedApp } from '../plumbing.js';
import { errorResponses, Id, listOf, ListQuery, Member, page } from '../schemas.js';
import { NOTIFICATION_KINDS } from '../../policy/index.js';

const security = [{ bearer: [] }];

export const Notification = Type.Object({
  id: Type.String(),
  kind: Type.Union(NOTIFICATION_KINDS.map((k) => Type.Literal(k))),
  actors: Type.Array(Member, { description: 'up to 3, newest first (members hidden from the caller left out)' }),
  count: Type.Integer({ description: 'events in the group (by members the caller may see)' }),
  subject: Type.Optional(
    Type.Object({
      conversationId: Type.Optional(Type.String()),
      invitationId: Type.Optional(Type.String()),
      page: Type.Optional(Member),
    }),
  ),
  credits: Type.Optional(Type.Integer({ description: 'credits.granted: the credits the group granted (beyond API.md)' })),
  createdAt: Type.String({ format: 'date-time', description: 'the last update of the group' }),
  read: Type.Boolean(),
});

export async function notificationRoutes(app: TypedApp, ctx: RouteContext) {
  const { deps } = ctx;

  app.get(
    '/v1/notifications',
    {
      config: { auth: 'member' },
      schema: {
        summary: 'Notifications, newest first (a group moves to the top when it is updated)',
        tags: ['notifications'],
        security,
        querystring: ListQuery,
        response: { 200: listOf(Notification), ...errorResponses },
      },
    },
    async (req) => {
      const m = me(req);
      const p = page(req.query, Number.MAX_SAFE_INTEGER);
      await writeDueGrants(deps, m);
      return listNotifications(deps, deps.store.db, m, p, deps.clock.now());
    },
  );

  app.post(
    '/v1/notifications/read',
    {
      config: { auth: 'member' },
      schema: {
        summary: 'Mark read every notification up to this one (as the list orders them)',
        tags: ['notifications'],
        security,
        body: Type.Object({ upTo: Id }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'No Content' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const upTo = Number(req.body.upTo);
      // a well-formed id beyond what a notification id can be names none of the caller's
      if (!Number.isSafeInteger(upTo)) throw notFound('no such notification');
      await transact(deps, (u) => markNotificationsRead(u, m, upTo));
      return reply.code(204).send(null);
    },
  );
}
