/** API.md "Accounts and sessions". Schemas: src/contract/routes.ts. */
import { Readable } from 'node:stream';
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
  updateProfile,
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
import { page } from '../params.js';
import { route } from '../route.js';
import { creditHistory, ensureGrants } from '../../services/inmail.js';
import { lockMembers } from '../../services/members.js';
import { transact } from '../../services/uow.js';

function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string) {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: req.protocol === 'https',
    maxAge: 30 * 24 * 3600,
  });
}

export function accountRoutes(app: TypedApp, ctx: RouteContext): void {
  const { deps } = ctx;
  const now = () => deps.clock.now();

  route(app, 'postAccounts', async (req, reply) => {
    // Names and headlines lose bidi controls; a name must show a letter or digit (src/util/text.ts).
    const name = cleanName(req.body.name);
    if (name === null) throw badRequest('name: must hold a visible letter or digit', { field: 'name' });
    const body = {
      ...req.body,
      name,
      email: req.body.email.trim(),
      ...(req.body.headline !== undefined ? { headline: cleanLine(req.body.headline) } : {}),
    };
    // A taken handle or e-mail is refused before argon2 runs, unless this request's Idempotency-Key
    // has a stored answer: then the account that took them is this request's own (committed before
    // or while this one ran), and the answer is replayed. (A replay whose handle is free again goes
    // on to the write, which replays it too.)
    try {
      await assertAvailable(deps.store.db, body.handle, body.email);
    } catch (e) {
      const replay = await storedOutcome(deps, req);
      if (replay) return send(reply, replay);
      throw e;
    }
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
  });

  route(app, 'postSessions', async (req, reply) => {
    const { member, token } = await login(deps, req.body.login.trim(), req.body.password);
    setSessionCookie(req, reply, token);
    return { member: toApiMember(member, now()), token };
  });

  route(app, 'deleteSessions', async (req, reply) => {
    await logout(deps, req.token!);
    // A Bearer sign-out from a browser that also holds a cookie of another session ends both.
    const cookie = req.cookies?.[SESSION_COOKIE];
    if (cookie && cookie !== req.token) await logout(deps, cookie);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  route(app, 'getMeSessions', async (req) => ({ items: await listSessions(deps, me(req).id, req.sessionId), nextCursor: null }));

  route(app, 'deleteMeSessionsById', async (req, reply) => {
    const m = me(req);
    const done = await transact(deps, (u) => revokeSession(u, m.id, req.params.id));
    if (!done) throw notFound('no such session');
    if (req.params.id === req.sessionId) reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  route(app, 'postMePassword', async (req, reply) => {
    await changePassword(deps, me(req), req.sessionId, req.body.current, req.body.new);
    return reply.code(204).send(null);
  });

  route(app, 'getMe', async (req) => {
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
  });

  route(app, 'getMeExport', async (req, reply) => {
    const m = me(req);
    // the ledger as the balance reads it: the monthly grants due written first, as GET /v1/me does
    if (m.status === 'active') await writeDueGrants(deps, m);
    const stamp = deps.clock.now().toISOString().slice(0, 10);
    reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="liaison-${m.handle}-${stamp}.json"`)
      .header('cache-control', 'no-store');
    return reply.send(Readable.from(exportDocument(deps, deps.store.db, m, deps.clock.now())));
  });

  route(app, 'getMeCredits', async (req) => {
    const m = me(req);
    const p = page(req.query);
    // The monthly grants due are written first (under the member lock), so the history shows them.
    return transact(deps, async (u) => {
      await lockMembers(u.tx, [m.id]);
      await ensureGrants(u.tx, m, u.now, deps.policy, (g) => notifyGrant(u, m, g.amount));
      return creditHistory(u.tx, m.id, p.cursor ?? null, p.limit);
    });
  });

  route(app, 'patchMeSettings', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => ({ status: 200, body: { settings: await updateSettings(u, m, req.body) } }));
    return send(reply, out);
  });

  route(app, 'patchMeProfile', async (req, reply) => {
    const m = me(req);
    const out = await runWrite(deps, req, async (u) => {
      const updated = await updateProfile(u, m, req.body);
      return { status: 200, body: { member: toApiMember(updated, u.now), about: updated.about } };
    });
    return send(reply, out);
  });

  for (const [id, action] of [
    ['postMeDeactivate', 'deactivate'],
    ['postMeReactivate', 'reactivate'],
    ['postMeClose', 'close'],
  ] as const satisfies readonly (readonly [string, Lifecycle])[]) {
    route(app, id, async (req, reply) => {
      const m: MemberRecord = me(req);
      const out = await runWrite(deps, req, async (u) => ({
        status: 200,
        body: { member: toApiMember(await changeStatus(u, m.id, action), u.now) },
      }));
      if (action === 'close') reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return send(reply, out);
    });
  }
}
