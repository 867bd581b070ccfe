/** API.md "Accounts and sessions". */
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { exportDocument } from '../../services/export.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  assertAvailable,
  changePassword,
  changeStatus,
  createAccount,
  hashPassword,
  listSessions,
  login,
  logout,
  revokeSession,
  updateSettings,
  type Lifecycle,
} from '../../services/accounts.js';
import { badRequest, notFound } from '../../services/errors.js';
import { cleanLine, cleanName } from '../../util/text.js';
import { toApiMember, type MemberRecord } from '../../services/members.js';
import { administeredPages } from '../../services/pages.js';
import { quotasOf } from '../../services/quotas.js';
import { notifyGrant, unreadCounts, writeDueGrants } from '../../services/notifications.js';
import { runWrite, storedOutcome } from '../idempotency.js';
import { me, send, SESSION_COOKIE, type RouteContext, type TypedApp } from '../plumbing.js';
import { errorResponses, Handle, ListQuery, listOf, Member, page, Settings, SettingsPatch } from '../schemas.js';
import { creditHistory, ensureGrants } from '../../services/inmail.js';
import { lockMembers } from '../../services/members.js';
import { transact } from '../../services/uow.js';

const MemberAndToken = Type.Object({ member: Member, token: Type.String() });
/** Sign-up: a replay (same Idempotency-Key and body) answers `token: null`; no token is ever stored. */
const MemberAndMaybeToken = Type.Object({ member: Member, token: Type.Union([Type.String(), Type.Null()]) });
const ApiSession = Type.Object({
  id: Type.String({ description: 'a public id of the session (not derived from its token)' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  current: Type.Boolean({ description: 'the session this request came with' }),
});

function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string) {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: req.protocol === 'https',
    maxAge: 30 * 24 * 3600,
  });
}

export async function accountRoutes(app: TypedApp, ctx: RouteContext) {
  const { deps } = ctx;
  const now = () => deps.clock.now();

  app.post(
    '/v1/accounts',
    {
      schema: {
        summary: 'Sign up',
        tags: ['accounts'],
        body: Type.Object(
          {
            handle: Handle,
            name: Type.String({ minLength: 1, maxLength: 100 }),
            email: Type.String({ format: 'email', minLength: 3, maxLength: 254 }),
            password: Type.String({ minLength: 10, maxLength: 1024 }),
            headline: Type.Optional(Type.String({ maxLength: 220 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: MemberAndMaybeToken, ...errorResponses },
      },
    },
    async (req, reply) => {
      // Names and headlines lose bidi controls; a name must show a letter or digit (src/util/text.ts).
      const name = cleanName(req.body.name);
      if (name === null) throw badRequest('name: must hold a visible letter or digit', { field: 'name' });
      const body = {
        ...req.body,
        name,
        email: req.body.email.trim(),
        ...(req.body.headline !== undefined ? { headline: cleanLine(req.body.headline) } : {}),
      };
      // A replay answers first; then a taken handle or e-mail is refused before argon2 runs.
      const replay = await storedOutcome(deps, req);
      if (replay) return send(reply, replay);
      await assertAvailable(deps.store.db, body.handle, body.email);
      const passwordHash = await hashPassword(body.password);
      const out = await runWrite(
        deps,
        req,
        async (u) => {
          const { member, token } = await createAccount(u, body, passwordHash);
          return { status: 201, body: { member: toApiMember(member, u.now), token } };
        },
        // The stored answer (replayed to whoever repeats the key and body) holds no token.
        { redact: (b) => ({ ...(b as object), token: null }) },
      );
      const token = (out.body as { token?: string | null }).token;
      if (out.status === 201 && token) setSessionCookie(req, reply, token);
      return send(reply, out);
    },
  );

  app.post(
    '/v1/sessions',
    {
      schema: {
        summary: 'Sign in with handle or e-mail',
        tags: ['accounts'],
        body: Type.Object(
          { login: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
          { additionalProperties: false },
        ),
        response: { 200: MemberAndToken, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { member, token } = await login(deps, req.body.login.trim(), req.body.password);
      setSessionCookie(req, reply, token);
      return { member: toApiMember(member, now()), token };
    },
  );

  app.delete(
    '/v1/sessions',
    {
      config: { auth: 'member', allowInactive: true },
      schema: { summary: 'Sign out (revokes this token, and the session cookie too when it holds another)', tags: ['accounts'], security: [{ bearer: [] }], response: { 204: Type.Null({ description: 'No Content' }), ...errorResponses } },
    },
    async (req, reply) => {
      await logout(deps, req.token!);
      // A Bearer sign-out from a browser that also holds a cookie of another session ends both.
      const cookie = req.cookies?.[SESSION_COOKIE];
      if (cookie && cookie !== req.token) await logout(deps, cookie);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me/sessions',
    {
      config: { auth: 'member', allowInactive: true },
      schema: {
        summary: "The caller's sessions in force, most recently used first",
        tags: ['accounts'],
        security: [{ bearer: [] }],
        response: { 200: listOf(ApiSession), ...errorResponses },
      },
    },
    async (req) => ({ items: await listSessions(deps, me(req).id, req.sessionId), nextCursor: null }),
  );

  app.delete(
    '/v1/me/sessions/:id',
    {
      config: { auth: 'member', allowInactive: true },
      schema: {
        summary: 'End one of my sessions (by the id GET /v1/me/sessions gives)',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 204: Type.Null({ description: 'No Content' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const done = await transact(deps, (u) => revokeSession(u, m.id, req.params.id));
      if (!done) throw notFound('no such session');
      if (req.params.id === req.sessionId) reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/me/password',
    {
      config: { auth: 'member' },
      schema: {
        summary: 'Change the password: every other session ends',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        body: Type.Object(
          { current: Type.String({ minLength: 1, maxLength: 1024 }), new: Type.String({ minLength: 10, maxLength: 1024 }) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null({ description: 'No Content' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      await changePassword(deps, me(req), req.sessionId, req.body.current, req.body.new);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    {
      config: { auth: 'member', allowInactive: true },
      schema: {
        summary: 'The caller, their settings and quotas',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        response: {
          200: Type.Object({
            member: Member,
            settings: Settings,
            quotas: Type.Object({
              inmailCredits: Type.Integer({ description: 'the InMail balance (both pools)' }),
              purchasedCredits: Type.Integer({ description: 'the purchased part of inmailCredits' }),
              invitationsLeftThisWeek: Type.Integer(),
              notesLeftThisMonth: Type.Union([Type.Integer(), Type.Null()]),
            }),
            pages: Type.Array(Member, { description: 'pages the caller administers (beyond API.md)' }),
            unread: Type.Object({
              notifications: Type.Integer({ description: 'unread notifications' }),
              inbox: Type.Integer({ description: 'inbox conversations with unread messages' }),
              requests: Type.Integer({ description: 'message requests with unread messages' }),
              filtered: Type.Integer({ description: 'filtered requests with unread messages' }),
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const m = me(req);
      const t = now();
      const pages = await administeredPages(deps.store.db, m.id);
      if (m.status === 'active') await writeDueGrants(deps, m);
      return {
        member: toApiMember(m, t),
        settings: m.settings,
        quotas: await quotasOf(deps, m, t),
        pages: pages.map((p) => toApiMember(p, t)),
        unread: await unreadCounts(deps, deps.store.db, m.id, t),
      };
    },
  );

  app.get(
    '/v1/me/export',
    {
      config: { auth: 'member', allowInactive: true },
      schema: {
        summary: 'Everything I own or took part in, as one JSON document (streamed)',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        response: { 200: Type.Object({}, { additionalProperties: true, description: 'the export document (liaison-export/1)' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const stamp = deps.clock.now().toISOString().slice(0, 10);
      reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="liaison-${m.handle}-${stamp}.json"`)
        .header('cache-control', 'no-store');
      return reply.send(Readable.from(exportDocument(deps, deps.store.db, m, deps.clock.now())));
    },
  );

  app.get(
    '/v1/me/credits',
    {
      config: { auth: 'member', allowInactive: true },
      schema: {
        summary: 'The InMail ledger: grants, purchases, spends and refunds, newest first',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        querystring: ListQuery,
        response: {
          200: listOf(
            Type.Object({
              id: Type.String(),
              kind: Type.Union(['grant', 'purchase', 'spend', 'refund'].map((k) => Type.Literal(k))),
              credits: Type.Integer(),
              balanceAfter: Type.Integer(),
              createdAt: Type.String({ format: 'date-time' }),
              note: Type.Optional(Type.String()),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const m = me(req);
      const p = page(req.query);
      // The monthly grants due are written first (under the member lock), so the history shows them.
      return transact(deps, async (u) => {
        await lockMembers(u.tx, [m.id]);
        await ensureGrants(u.tx, m, u.now, deps.policy, (g) => notifyGrant(u, m, g.amount));
        return creditHistory(u.tx, m.id, p.cursor ?? null, p.limit);
      });
    },
  );

  app.patch(
    '/v1/me/settings',
    {
      config: { auth: 'member' },
      schema: {
        summary: 'Change any settings',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        body: SettingsPatch,
        response: { 200: Type.Object({ settings: Settings }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({ status: 200, body: { settings: await updateSettings(u, m, req.body) } }));
      return send(reply, out);
    },
  );

  const lifecycle = (action: Lifecycle, summary: string) =>
    app.post(
      `/v1/me/${action}`,
      {
        config: { auth: 'member', allowInactive: action !== 'deactivate' },
        schema: { summary, tags: ['accounts'], security: [{ bearer: [] }], response: { 200: Type.Object({ member: Member }), ...errorResponses } },
      },
      async (req, reply) => {
        const m: MemberRecord = me(req);
        const out = await runWrite(deps, req, async (u) => ({
          status: 200,
          body: { member: toApiMember(await changeStatus(u, m.id, action), u.now) },
        }));
        if (action === 'close') reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return send(reply, out);
      },
    );
  lifecycle('deactivate', 'Deactivate (reversible; the profile is hidden)');
  lifecycle('reactivate', 'Reactivate a deactivated account');
  lifecycle('close', 'Close the account (permanent)');
}
