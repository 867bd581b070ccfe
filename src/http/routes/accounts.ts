/** API.md "Accounts and sessions". */
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { changeStatus, createAccount, hashPassword, login, logout, updateSettings, type Lifecycle } from '../../services/accounts.js';
import { toApiMember, type MemberRecord } from '../../services/members.js';
import { administeredPages } from '../../services/pages.js';
import { quotasOf } from '../../services/quotas.js';
import { runWrite } from '../idempotency.js';
import { me, send, SESSION_COOKIE, type RouteContext, type TypedApp } from '../app.js';
import { errorResponses, Handle, Member, Settings, SettingsPatch } from '../schemas.js';

const MemberAndToken = Type.Object({ member: Member, token: Type.String() });

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
        response: { 201: MemberAndToken, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = { ...req.body, name: req.body.name.trim(), email: req.body.email.trim() };
      if (!body.name) return reply.code(400).send({ error: { code: 'invalid_request', message: 'name: must not be blank', details: { field: 'name' } } });
      const passwordHash = await hashPassword(body.password);
      const out = await runWrite(deps, req, async (u) => {
        const { member, token } = await createAccount(u, body, passwordHash);
        return { status: 201, body: { member: toApiMember(member, u.now), token } };
      });
      if (out.status === 201) setSessionCookie(req, reply, (out.body as { token: string }).token);
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
    { config: { auth: 'member', allowInactive: true }, schema: { summary: 'Sign out (revokes this token)', tags: ['accounts'], security: [{ bearer: [] }] } },
    async (req, reply) => {
      await logout(deps, req.token!);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
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
              inmailCredits: Type.Integer(),
              invitationsLeftThisWeek: Type.Integer(),
              notesLeftThisMonth: Type.Union([Type.Integer(), Type.Null()]),
            }),
            pages: Type.Array(Member, { description: 'pages the caller administers (beyond API.md)' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const m = me(req);
      const t = now();
      const pages = await administeredPages(deps.store.db, m.id);
      return {
        member: toApiMember(m, t),
        settings: m.settings,
        quotas: await quotasOf(deps, m, t),
        pages: pages.map((p) => toApiMember(p, t)),
      };
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
