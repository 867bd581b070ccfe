/** API.md "Pages and groups": groups with a join policy and admins (DOMAIN.md 2). Schemas: src/contract/routes.ts. */
import { addGroupAdmin, answerRequest, createGroup, joinGroup, leaveGroup, listGroupPeople, removeMember, setJoinPolicy } from '../../services/groups.js';
import { badRequest } from '../../services/errors.js';
import { cleanName } from '../../util/text.js';
import { runWrite } from '../idempotency.js';
import { page } from '../params.js';
import { me, send, type RouteContext, type TypedApp } from '../plumbing.js';
import { route } from '../route.js';

export function groupRoutes(app: TypedApp, ctx: RouteContext): void {
  const { deps } = ctx;
  route(app, 'postGroups', async (req, reply) => {
    const m = me(req);
    const name = cleanName(req.body.name);
    if (name === null) throw badRequest('name: must hold a visible letter or digit', { field: 'name' });
    const out = await runWrite(deps, req, async (u) => ({
      status: 201,
      body: await createGroup(u, m, name, req.body.joinPolicy ?? 'open'),
    }));
    return send(reply, out);
  });

  route(app, 'postGroupsByIdMembers', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => ({ status: (await joinGroup(u, m, Number(req.params.id))) === 'member' ? 204 : 202, body: null }));
    return reply.code(out.status).send(null);
  });

  route(app, 'deleteGroupsByIdMembersMe', async (req, reply) => {
    const m = me(req);
    await runWrite(deps, req, async (u) => {
      await leaveGroup(u, m, Number(req.params.id));
      return { status: 204, body: null };
    });
    return reply.code(204).send(null);
  });

  route(app, 'patchGroupsById', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => ({ status: 200, body: await setJoinPolicy(u, m, Number(req.params.id), req.body.joinPolicy) }));
    return send(reply, out);
  });

  for (const [id, which] of [
    ['getGroupsByIdMembers', 'members'],
    ['getGroupsByIdRequests', 'requests'],
  ] as const) {
    route(app, id, async (req) => listGroupPeople(deps, deps.store.db, me(req), Number(req.params.id), which, deps.clock.now(), page(req.query)));
  }

  for (const [id, approve] of [
    ['postGroupsByIdRequestsByHandleApprove', true],
    ['postGroupsByIdRequestsByHandleDecline', false],
  ] as const) {
    route(app, id, async (req, reply) => {
      const m = me(req);
      await runWrite(deps, req, async (u) => {
        await answerRequest(u, m, Number(req.params.id), req.params.handle, approve);
        return { status: 204, body: null };
      });
      return reply.code(204).send(null);
    });
  }

  route(app, 'deleteGroupsByIdMembersByHandle', async (req, reply) => {
    const m = me(req);
    await runWrite(deps, req, async (u) => {
      await removeMember(u, m, Number(req.params.id), req.params.handle);
      return { status: 204, body: null };
    });
    return reply.code(204).send(null);
  });

  route(app, 'postGroupsByIdAdmins', async (req, reply) => {
    const m = me(req);
    await runWrite(deps, req, async (u) => {
      await addGroupAdmin(u, m, Number(req.params.id), req.body.handle);
      return { status: 204, body: null };
    });
    return reply.code(204).send(null);
  });
}
