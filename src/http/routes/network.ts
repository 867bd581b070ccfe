/** API.md "Profiles and the graph", "Invitations", pages and groups. Schemas: src/contract/routes.ts. */
import { toApiMember } from '../../services/members.js';
import { blockedEntry, memberAs, memberFor } from '../../services/projection.js';
import { acceptInvitation, ignoreInvitation, listInvitations, reportInvitation, sendInvitation, withdrawInvitation } from '../../services/invitations.js';
import { acceptPageAdmin, createPage, invitePageAdmin, removePageAdmin } from '../../services/pages.js';
import { messageDecision, mutuals, profile, search, suggestions } from '../../services/profiles.js';
import { block, blockedBy, connectionsOf, follow, followsOf, removeConnection, unblock, unfollow } from '../../services/relations.js';
import { runWrite } from '../idempotency.js';
import { badRequest } from '../../services/errors.js';
import { cleanLine, cleanName } from '../../util/text.js';
import { me, send, type RouteContext, type TypedApp } from '../plumbing.js';
import { page } from '../params.js';
import { route } from '../route.js';

export function networkRoutes(app: TypedApp, ctx: RouteContext): void {
  const { deps } = ctx;
  const db = () => deps.store.db;
  const now = () => deps.clock.now();

  // ---- profiles and the graph
  route(app, 'getMembersByHandle', async (req) => profile(deps, db(), me(req), req.params.handle, now()));

  route(app, 'getMembersByHandleMutuals', async (req) => mutuals(deps, db(), me(req), req.params.handle, now(), page(req.query)));

  route(app, 'getMembersByHandleDecisionsMessage', async (req) => {
    const d = await messageDecision(deps, db(), me(req), req.params.handle, now());
    ctx.metrics.decisions.inc({ action: 'message', reason: d.reason });
    return d;
  });

  route(app, 'getConnections', async (req) => {
    const t = now();
    const viewer = me(req);
    const r = await connectionsOf(deps, db(), viewer, page(req.query));
    return { items: r.members.map((m) => memberFor(deps, viewer.id, m, t, 1)), nextCursor: r.nextCursor };
  });

  route(app, 'deleteConnectionsByHandle', async (req, reply) => {
    const m = me(req);
    await runWrite(deps, req, async (u) => {
      await removeConnection(u, m, req.params.handle);
      return { status: 204, body: null };
    });
    return reply.code(204).send(null);
  });

  route(app, 'postFollows', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => ({
      status: 201,
      body: { member: memberFor(deps, m.id, await follow(u, m, req.body.handle), u.now), following: true },
    }));
    return send(reply, out);
  });

  route(app, 'getFollows', async (req) => {
    const t = now();
    const viewer = me(req);
    const r = await followsOf(deps, db(), viewer, req.query.direction ?? 'following', page(req.query));
    return { items: r.members.map((m) => memberFor(deps, viewer.id, m, t)), nextCursor: r.nextCursor };
  });

  route(app, 'deleteFollowsByHandle', async (req, reply) => {
    const m = me(req);
    await runWrite(deps, req, async (u) => {
      await unfollow(u, m, req.params.handle);
      return { status: 204, body: null };
    });
    return reply.code(204).send(null);
  });

  route(app, 'postBlocks', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => ({
      status: 201,
      // the blocked member no longer exists for the blocker: the name-only view, `active` as a block
      // finds them (blocking again must not tell that they deactivated or closed since: found by a member)
      body: { member: { ...memberAs(await block(u, m, req.body.handle), { kind: 'member', degree: null }, u.now), status: 'active' as const }, blocked: true },
    }));
    return send(reply, out);
  });

  route(app, 'deleteBlocksByHandle', async (req, reply) => {
    const m = me(req);
    await runWrite(deps, req, async (u) => {
      await unblock(u, m, req.params.handle);
      return { status: 204, body: null };
    });
    return reply.code(204).send(null);
  });

  route(app, 'getBlocks', async (req) => {
    const r = await blockedBy(db(), me(req), page(req.query));
    return { items: r.members.map(blockedEntry), nextCursor: r.nextCursor };
  });

  route(app, 'getSearchMembers', async (req) => {
    const degrees = req.query.degree ? new Set(req.query.degree.split(',').map(Number)) : null;
    return search(deps, db(), me(req), req.query.q, degrees, now(), { cursor: req.query.cursor, limit: page({ limit: req.query.limit }).limit });
  });

  route(app, 'getSuggestions', async (req) => suggestions(deps, db(), me(req), now(), page(req.query)));

  // ---- invitations
  route(app, 'postInvitations', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => {
      const r = await sendInvitation(u, m, req.body);
      return { status: r.status, body: r.invitation };
    });
    return send(reply, out);
  });

  route(app, 'getInvitations', async (req) =>
    listInvitations(deps, db(), me(req), req.query.direction ?? 'received', now(), page(req.query, Number.MAX_SAFE_INTEGER)),
  );

  for (const [id, fn] of [
    ['postInvitationsByIdAccept', acceptInvitation],
    ['postInvitationsByIdIgnore', ignoreInvitation],
    ['postInvitationsByIdReport', reportInvitation],
    ['postInvitationsByIdWithdraw', withdrawInvitation],
  ] as const) {
    route(app, id, async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({ status: 200, body: await fn(u, m, Number(req.params.id)) }));
      return send(reply, out);
    });
  }

  // ---- pages and groups
  route(app, 'postPages', async (req, reply) => {
    const m = me(req);
    const name = cleanName(req.body.name);
    if (name === null) throw badRequest('name: must hold a visible letter or digit', { field: 'name' });
    const input = { ...req.body, name, ...(req.body.headline !== undefined ? { headline: cleanLine(req.body.headline) } : {}) };
    const out = await runWrite(deps, req, async (u) => ({ status: 201, body: toApiMember(await createPage(u, m, input), u.now) }));
    return send(reply, out);
  });

  route(app, 'postPagesByHandleAdmins', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => {
      const r = await invitePageAdmin(u, m, req.params.handle, req.body.handle);
      return { status: 201, body: { page: memberFor(deps, m.id, r.page, u.now), admin: memberFor(deps, m.id, r.admin, u.now), status: 'invited' } };
    });
    return send(reply, out);
  });

  route(app, 'postPagesByHandleAdminsMeAccept', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => {
      const r = await acceptPageAdmin(u, m, req.params.handle);
      return { status: 200, body: { page: memberFor(deps, m.id, r.page, u.now), admin: memberFor(deps, m.id, r.admin, u.now), status: 'admin' } };
    });
    return send(reply, out);
  });

  route(app, 'deletePagesByHandleAdminsByAdmin', async (req, reply) => {
    const m = me(req);
    await runWrite(deps, req, async (u) => {
      await removePageAdmin(u, m, req.params.handle, req.params.admin);
      return { status: 204, body: null };
    });
    return reply.code(204).send(null);
  });
}
