/** API.md "Profiles and the graph", "Invitations", pages and groups. */
import { Type } from '@sinclair/typebox';
import { toApiMember } from '../../services/members.js';
import { blockedEntry, memberAs, memberFor } from '../../services/projection.js';
import {
  acceptInvitation,
  ignoreInvitation,
  listInvitations,
  reportInvitation,
  sendInvitation,
  withdrawInvitation,
} from '../../services/invitations.js';
import { acceptPageAdmin, createPage, invitePageAdmin, removePageAdmin } from '../../services/pages.js';
import { messageDecision, mutuals, profile, search, suggestions } from '../../services/profiles.js';
import { block, blockedBy, connectionsOf, follow, removeConnection, unblock, unfollow } from '../../services/relations.js';
import { runWrite } from '../idempotency.js';
import { badRequest } from '../../services/errors.js';
import { cleanLine, cleanName } from '../../util/text.js';
import { me, send, type RouteContext, type TypedApp } from '../plumbing.js';
import {
  Decision,
  errorResponses,
  Handle,
  HandleRef,
  Id,
  Invitation,
  listOf,
  ListQuery,
  Member,
  page,
  Profile,
} from '../schemas.js';

const auth = { auth: 'member' as const };
const security = [{ bearer: [] }];
const HandleParams = Type.Object({ handle: HandleRef });
const IdParams = Type.Object({ id: Id });
const HandleBody = Type.Object({ handle: HandleRef }, { additionalProperties: false });

export async function networkRoutes(app: TypedApp, ctx: RouteContext) {
  const { deps } = ctx;
  const db = () => deps.store.db;
  const now = () => deps.clock.now();

  // ---- profiles and the graph
  app.get(
    '/v1/members/:handle',
    { config: auth, schema: { summary: 'A profile as the caller sees it', tags: ['graph'], security, params: HandleParams, response: { 200: Profile, ...errorResponses } } },
    async (req) => profile(deps, db(), me(req), req.params.handle, now()),
  );

  app.get(
    '/v1/members/:handle/mutuals',
    {
      config: auth,
      schema: { summary: 'Mutual connections with a member', tags: ['graph'], security, params: HandleParams, querystring: ListQuery, response: { 200: listOf(Member), ...errorResponses } },
    },
    async (req) => mutuals(deps, db(), me(req), req.params.handle, now(), page(req.query)),
  );

  app.get(
    '/v1/members/:handle/decisions/message',
    {
      config: auth,
      schema: { summary: "Why can't I message X? The message decision", tags: ['graph'], security, params: HandleParams, response: { 200: Decision, ...errorResponses } },
    },
    async (req) => {
      const d = await messageDecision(deps, db(), me(req), req.params.handle, now());
      ctx.metrics.decisions.inc({ action: 'message', reason: d.reason });
      return d;
    },
  );

  app.get(
    '/v1/connections',
    { config: auth, schema: { summary: 'My connections', tags: ['graph'], security, querystring: ListQuery, response: { 200: listOf(Member), ...errorResponses } } },
    async (req) => {
      const t = now();
      const viewer = me(req);
      const r = await connectionsOf(deps, db(), viewer, page(req.query));
      return { items: r.members.map((m) => memberFor(deps, viewer.id, m, t, 1)), nextCursor: r.nextCursor };
    },
  );

  app.delete(
    '/v1/connections/:handle',
    { config: auth, schema: { summary: 'Remove a connection (and the follows)', tags: ['graph'], security, params: HandleParams, response: { 204: Type.Null({ description: "No Content" }), ...errorResponses } } },
    async (req, reply) => {
      const m = me(req);
      await runWrite(deps, req, async (u) => {
        await removeConnection(u, m, req.params.handle);
        return { status: 204, body: null };
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/follows',
    {
      config: auth,
      schema: { summary: 'Follow a member or a page', tags: ['graph'], security, body: HandleBody, response: { 201: Type.Object({ member: Member, following: Type.Boolean() }), ...errorResponses } },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({
        status: 201,
        body: { member: memberFor(deps, m.id, await follow(u, m, req.body.handle), u.now), following: true },
      }));
      return send(reply, out);
    },
  );

  app.delete(
    '/v1/follows/:handle',
    { config: auth, schema: { summary: 'Unfollow', tags: ['graph'], security, params: HandleParams, response: { 204: Type.Null({ description: "No Content" }), ...errorResponses } } },
    async (req, reply) => {
      const m = me(req);
      await runWrite(deps, req, async (u) => {
        await unfollow(u, m, req.params.handle);
        return { status: 204, body: null };
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/blocks',
    {
      config: auth,
      schema: { summary: 'Block a member (they are not told)', tags: ['graph'], security, body: HandleBody, response: { 201: Type.Object({ member: Member, blocked: Type.Boolean() }), ...errorResponses } },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({
        status: 201,
        // the blocked member no longer exists for the blocker: the name-only view
        body: { member: memberAs(await block(u, m, req.body.handle), { kind: 'member', degree: null }, u.now), blocked: true },
      }));
      return send(reply, out);
    },
  );

  app.delete(
    '/v1/blocks/:handle',
    { config: auth, schema: { summary: 'Unblock (restores nothing)', tags: ['graph'], security, params: HandleParams, response: { 204: Type.Null({ description: "No Content" }), ...errorResponses } } },
    async (req, reply) => {
      const m = me(req);
      await runWrite(deps, req, async (u) => {
        await unblock(u, m, req.params.handle);
        return { status: 204, body: null };
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/blocks',
    {
      config: auth,
      schema: {
        summary: 'Members I block (handle and name only, DOMAIN.md 7)',
        tags: ['graph'],
        security,
        querystring: ListQuery,
        response: { 200: listOf(Type.Object({ handle: Type.String(), name: Type.String() })), ...errorResponses },
      },
    },
    async (req) => {
      const r = await blockedBy(db(), me(req), page(req.query));
      return { items: r.members.map(blockedEntry), nextCursor: r.nextCursor };
    },
  );

  app.get(
    '/v1/search/members',
    {
      config: auth,
      schema: {
        summary: 'Search words of name, handle and headline (typo-tolerant), ranked by degree then match; filter by degree',
        tags: ['graph'],
        security,
        querystring: Type.Object(
          {
            q: Type.String({ minLength: 1, maxLength: 200 }),
            degree: Type.Optional(Type.String({ pattern: '^[123](,[123]){0,2}$' })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: listOf(Type.Object({ member: Member, degree: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Null()]) })),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const degrees = req.query.degree ? new Set(req.query.degree.split(',').map(Number)) : null;
      return search(deps, db(), me(req), req.query.q, degrees, now(), { cursor: req.query.cursor, limit: page({ limit: req.query.limit }).limit });
    },
  );

  app.get(
    '/v1/suggestions',
    {
      config: auth,
      schema: {
        summary: 'People you may know',
        tags: ['graph'],
        security,
        querystring: ListQuery,
        response: { 200: listOf(Type.Object({ member: Member, mutualConnections: Type.Union([Type.Integer(), Type.Null()]) })), ...errorResponses },
      },
    },
    async (req) => suggestions(deps, db(), me(req), now(), page(req.query)),
  );

  // ---- invitations
  app.post(
    '/v1/invitations',
    {
      config: auth,
      schema: {
        summary: 'Invite a member to connect (crossing invitations connect at once: 200 accepted)',
        tags: ['invitations'],
        security,
        body: Type.Object(
          {
            to: HandleRef,
            note: Type.Optional(Type.Union([Type.String({ maxLength: 20000 }), Type.Null()])),
            email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Invitation, 201: Invitation, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => {
        const r = await sendInvitation(u, m, req.body);
        return { status: r.status, body: r.invitation };
      });
      return send(reply, out);
    },
  );

  app.get(
    '/v1/invitations',
    {
      config: auth,
      schema: {
        summary: 'Pending invitations received or sent',
        tags: ['invitations'],
        security,
        querystring: Type.Object(
          {
            direction: Type.Optional(Type.Union([Type.Literal('received'), Type.Literal('sent')])),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(Invitation), ...errorResponses },
      },
    },
    async (req) => listInvitations(deps, db(), me(req), req.query.direction ?? 'received', now(), page(req.query, Number.MAX_SAFE_INTEGER)),
  );

  for (const [action, fn, summary] of [
    ['accept', acceptInvitation, 'Accept: connected, both follow each other'],
    ['ignore', ignoreInvitation, 'Ignore (the sender still sees it pending)'],
    ['report', reportInvitation, '"I don\'t know this person"'],
    ['withdraw', withdrawInvitation, 'Withdraw (cooldown before inviting again)'],
  ] as const) {
    app.post(
      `/v1/invitations/:id/${action}`,
      { config: auth, schema: { summary, tags: ['invitations'], security, params: IdParams, response: { 200: Invitation, ...errorResponses } } },
      async (req, reply) => {
        const m = me(req);
        const out = await runWrite(deps, req, async (u) => ({ status: 200, body: await fn(u, m, Number(req.params.id)) }));
        return send(reply, out);
      },
    );
  }

  // ---- pages and groups
  app.post(
    '/v1/pages',
    {
      config: auth,
      schema: {
        summary: 'Create a page (the caller becomes its admin)',
        tags: ['pages'],
        security,
        body: Type.Object(
          { handle: Handle, name: Type.String({ minLength: 1, maxLength: 100 }), headline: Type.Optional(Type.String({ maxLength: 220 })) },
          { additionalProperties: false },
        ),
        response: { 201: Member, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const name = cleanName(req.body.name);
      if (name === null) throw badRequest('name: must hold a visible letter or digit', { field: 'name' });
      const input = { ...req.body, name, ...(req.body.headline !== undefined ? { headline: cleanLine(req.body.headline) } : {}) };
      const out = await runWrite(deps, req, async (u) => ({ status: 201, body: toApiMember(await createPage(u, m, input), u.now) }));
      return send(reply, out);
    },
  );

  const PageAdmin = Type.Object({
    page: Member,
    admin: Member,
    status: Type.Union([Type.Literal('invited'), Type.Literal('admin')], { description: 'invited: an admin once they accept' }),
  });

  app.post(
    '/v1/pages/:handle/admins',
    {
      config: auth,
      schema: {
        summary: 'Invite a person to administer a page I administer (they become an admin when they accept)',
        tags: ['pages'],
        security,
        params: HandleParams,
        body: HandleBody,
        response: { 201: PageAdmin, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => {
        const r = await invitePageAdmin(u, m, req.params.handle, req.body.handle);
        return { status: 201, body: { page: memberFor(deps, m.id, r.page, u.now), admin: memberFor(deps, m.id, r.admin, u.now), status: 'invited' } };
      });
      return send(reply, out);
    },
  );

  app.post(
    '/v1/pages/:handle/admins/me/accept',
    {
      config: auth,
      schema: {
        summary: 'Accept an invitation to administer a page',
        tags: ['pages'],
        security,
        params: HandleParams,
        response: { 200: PageAdmin, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => {
        const r = await acceptPageAdmin(u, m, req.params.handle);
        return { status: 200, body: { page: memberFor(deps, m.id, r.page, u.now), admin: memberFor(deps, m.id, r.admin, u.now), status: 'admin' } };
      });
      return send(reply, out);
    },
  );

  app.delete(
    '/v1/pages/:handle/admins/:admin',
    {
      config: auth,
      schema: {
        summary: 'Remove an admin, leave (your own handle or `me`), or withdraw an invitation; the last admin cannot leave (409)',
        tags: ['pages'],
        security,
        params: Type.Object({ handle: HandleRef, admin: HandleRef }),
        response: { 204: Type.Null({ description: 'No Content' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      await runWrite(deps, req, async (u) => {
        await removePageAdmin(u, m, req.params.handle, req.params.admin);
        return { status: 204, body: null };
      });
      return reply.code(204).send(null);
    },
  );
}
