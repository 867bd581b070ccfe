/** API.md "Pages and groups": groups with a join policy and admins (DOMAIN.md 2). */
import { Type } from '@sinclair/typebox';
import { addGroupAdmin, answerRequest, createGroup, joinGroup, leaveGroup, listGroupPeople, removeMember, setJoinPolicy } from '../../services/groups.js';
import { badRequest } from '../../services/errors.js';
import { cleanName } from '../../util/text.js';
import { runWrite } from '../idempotency.js';
import { me, send, type RouteContext, type TypedApp } from '../plumbing.js';
import { errorResponses, HandleRef, Id, listOf, ListQuery, Member, page } from '../schemas.js';

const auth = { auth: 'member' as const };
const security = [{ bearer: [] }];
const JoinPolicy = Type.Union([Type.Literal('open'), Type.Literal('approval')]);
const Group = Type.Object({ id: Type.String(), name: Type.String(), joinPolicy: JoinPolicy });
const IdParams = Type.Object({ id: Id });
const MemberParams = Type.Object({ id: Id, handle: HandleRef });
const NoContent = { 204: Type.Null({ description: 'No Content' }) };

export async function groupRoutes(app: TypedApp, ctx: RouteContext) {
  const { deps } = ctx;
  app.post(
    '/v1/groups',
    {
      config: auth,
      schema: {
        summary: 'Create a group (the creator is a member and its first admin)',
        tags: ['groups'],
        security,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), joinPolicy: Type.Optional(JoinPolicy) }, { additionalProperties: false }),
        response: { 201: Group, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const name = cleanName(req.body.name);
      if (name === null) throw badRequest('name: must hold a visible letter or digit', { field: 'name' });
      const out = await runWrite(deps, req, async (u) => ({
        status: 201,
        body: await createGroup(u, m, name, req.body.joinPolicy ?? 'open'),
      }));
      return send(reply, out);
    },
  );

  app.post(
    '/v1/groups/:id/members',
    {
      config: auth,
      schema: {
        summary: 'Join a group: 204 a member, 202 a request awaiting approval',
        tags: ['groups'],
        security,
        params: IdParams,
        response: { 202: Type.Null({ description: 'Accepted: awaiting approval' }), ...NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({ status: (await joinGroup(u, m, Number(req.params.id))) === 'member' ? 204 : 202, body: null }));
      return reply.code(out.status).send(null);
    },
  );

  app.delete(
    '/v1/groups/:id/members/me',
    { config: auth, schema: { summary: 'Leave a group (or withdraw a request); the last admin cannot', tags: ['groups'], security, params: IdParams, response: { ...NoContent, ...errorResponses } } },
    async (req, reply) => {
      const m = me(req);
      await runWrite(deps, req, async (u) => {
        await leaveGroup(u, m, Number(req.params.id));
        return { status: 204, body: null };
      });
      return reply.code(204).send(null);
    },
  );

  app.patch(
    '/v1/groups/:id',
    {
      config: auth,
      schema: {
        summary: 'Admins: set the join policy (switching to open approves what is pending)',
        tags: ['groups'],
        security,
        params: IdParams,
        body: Type.Object({ joinPolicy: JoinPolicy }, { additionalProperties: false }),
        response: { 200: Group, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({ status: 200, body: await setJoinPolicy(u, m, Number(req.params.id), req.body.joinPolicy) }));
      return send(reply, out);
    },
  );

  for (const which of ['members', 'requests'] as const) {
    app.get(
      `/v1/groups/:id/${which}`,
      {
        config: auth,
        schema: {
          summary: which === 'members' ? 'Members of a group (members only; profileVisibility applies)' : 'Admins: requests to join',
          tags: ['groups'],
          security,
          params: IdParams,
          querystring: ListQuery,
          response: { 200: listOf(Member), ...errorResponses },
        },
      },
      async (req) => listGroupPeople(deps, deps.store.db, me(req), Number(req.params.id), which, deps.clock.now(), page(req.query)),
    );
  }

  for (const action of ['approve', 'decline'] as const) {
    app.post(
      `/v1/groups/:id/requests/:handle/${action}`,
      { config: auth, schema: { summary: `Admins: ${action} a request to join`, tags: ['groups'], security, params: MemberParams, response: { ...NoContent, ...errorResponses } } },
      async (req, reply) => {
        const m = me(req);
        await runWrite(deps, req, async (u) => {
          await answerRequest(u, m, Number(req.params.id), req.params.handle, action === 'approve');
          return { status: 204, body: null };
        });
        return reply.code(204).send(null);
      },
    );
  }

  app.delete(
    '/v1/groups/:id/members/:handle',
    { config: auth, schema: { summary: 'Admins: remove a member (never the last admin)', tags: ['groups'], security, params: MemberParams, response: { ...NoContent, ...errorResponses } } },
    async (req, reply) => {
      const m = me(req);
      await runWrite(deps, req, async (u) => {
        await removeMember(u, m, Number(req.params.id), req.params.handle);
        return { status: 204, body: null };
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/groups/:id/admins',
    {
      config: auth,
      schema: {
        summary: 'Admins: make a member an admin',
        tags: ['groups'],
        security,
        params: IdParams,
        body: Type.Object({ handle: HandleRef }, { additionalProperties: false }),
        response: { ...NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      await runWrite(deps, req, async (u) => {
        await addGroupAdmin(u, m, Number(req.params.id), req.body.handle);
        return { status: 204, body: null };
      });
      return reply.code(204).send(null);
    },
  );
}
