/** API.md "Introductions" (DOMAIN.md 11): ask, list, forward, decline. */
import { Type } from '@sinclair/typebox';
import { askIntroduction, declineIntroduction, forwardIntroduction, listIntroductions } from '../../services/introductions.js';
import { runWrite } from '../idempotency.js';
import { me, send, type RouteContext, type TypedApp } from '../plumbing.js';
import { errorResponses, HandleRef, Id, listOf, Member, page } from '../schemas.js';

const auth = { auth: 'member' as const };
const security = [{ bearer: [] }];
const Note = Type.Optional(Type.Union([Type.String({ maxLength: 20000 }), Type.Null()]));

export const Introduction = Type.Object({
  id: Type.String(),
  from: Member,
  via: Member,
  to: Member,
  note: Type.Union([Type.String(), Type.Null()]),
  forwardNote: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('asked'), Type.Literal('forwarded'), Type.Literal('not_forwarded')], {
    description: 'declined and expired both read not_forwarded',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  conversationId: Type.Optional(Type.String({ description: 'the request it became (forwarded only; not shown to the introducer)' })),
});

export async function introductionRoutes(app: TypedApp, ctx: RouteContext) {
  const { deps } = ctx;

  app.post(
    '/v1/introductions',
    {
      config: auth,
      schema: {
        summary: 'Ask a 1st-degree connection (via) to introduce you to one of their connections (to)',
        tags: ['introductions'],
        security,
        body: Type.Object({ to: HandleRef, via: HandleRef, note: Note }, { additionalProperties: false }),
        response: { 201: Introduction, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({ status: 201, body: await askIntroduction(u, m, req.body) }));
      return send(reply, out);
    },
  );

  app.get(
    '/v1/introductions',
    {
      config: auth,
      schema: {
        summary: 'Introductions I asked for, or asks waiting for me to forward',
        tags: ['introductions'],
        security,
        querystring: Type.Object(
          {
            role: Type.Optional(Type.Union([Type.Literal('asked'), Type.Literal('to_forward')])),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(Introduction), ...errorResponses },
      },
    },
    async (req) => listIntroductions(deps, deps.store.db, me(req), req.query.role ?? 'asked', deps.clock.now(), page(req.query)),
  );

  app.post(
    '/v1/introductions/:id/forward',
    {
      config: auth,
      schema: {
        summary: 'Forward an ask: the person you know gets a message request from the asker, introduced by you',
        tags: ['introductions'],
        security,
        params: Type.Object({ id: Id }),
        body: Type.Optional(Type.Object({ note: Note }, { additionalProperties: false })),
        response: { 200: Introduction, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({ status: 200, body: await forwardIntroduction(u, m, Number(req.params.id), req.body?.note) }));
      return send(reply, out);
    },
  );

  app.post(
    '/v1/introductions/:id/decline',
    {
      config: auth,
      schema: {
        summary: 'Decline an ask (the asker is told only "not forwarded")',
        tags: ['introductions'],
        security,
        params: Type.Object({ id: Id }),
        response: { 200: Introduction, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = me(req);
      const out = await runWrite(deps, req, async (u) => ({ status: 200, body: await declineIntroduction(u, m, Number(req.params.id)) }));
      return send(reply, out);
    },
  );
}
