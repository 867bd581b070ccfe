/** Operator routes (LIAISON_ADMIN_TOKEN). */
import { Type } from '@sinclair/typebox';
import { addPurchasedCredits, setRestricted, setSubscription } from '../../services/admin.js';
import { toApiMember } from '../../services/members.js';
import { runWrite } from '../idempotency.js';
import { send, type RouteContext, type TypedApp } from '../plumbing.js';
import { errorResponses, HandleRef, Member, parseInstant, Tier } from '../schemas.js';

export async function adminRoutes(app: TypedApp, ctx: RouteContext) {
  const { deps } = ctx;
  const Params = Type.Object({ handle: HandleRef });

  app.put(
    '/v1/admin/members/:handle/subscription',
    {
      config: { auth: 'admin' },
      schema: {
        summary: "Set a member's tier and its end date",
        tags: ['operator'],
        security: [{ bearer: [] }],
        params: Params,
        body: Type.Object(
          { tier: Tier, until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) },
          { additionalProperties: false },
        ),
        response: { 200: Member, ...errorResponses },
      },
    },
    async (req, reply) => {
      const until = req.body.until === null ? null : parseInstant(req.body.until, 'until');
      const out = await runWrite(deps, req, async (u) => ({
        status: 200,
        body: toApiMember(await setSubscription(u, req.params.handle, req.body.tier, until), u.now),
      }));
      return send(reply, out);
    },
  );

  app.post(
    '/v1/admin/members/:handle/inmail-credits',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Add purchased InMail credits to a person (any tier; never capped, never expiring)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        params: Params,
        body: Type.Object(
          { credits: Type.Integer({ minimum: 1, maximum: 10_000 }), note: Type.Optional(Type.String({ maxLength: 500 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ balance: Type.Integer() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const out = await runWrite(deps, req, async (u) => ({
        status: 200,
        body: await addPurchasedCredits(u, req.params.handle, req.body.credits, req.body.note?.trim() || null),
      }));
      return send(reply, out);
    },
  );

  for (const [action, restricted] of [
    ['restrict', true],
    ['unrestrict', false],
  ] as const) {
    app.post(
      `/v1/admin/members/:handle/${action}`,
      {
        config: { auth: 'admin' },
        schema: {
          summary: restricted ? 'Restrict a member (may read, may not send)' : 'Lift a restriction and a bulk flag',
          tags: ['operator'],
          security: [{ bearer: [] }],
          params: Params,
          response: { 200: Member, ...errorResponses },
        },
      },
      async (req, reply) => {
        const out = await runWrite(deps, req, async (u) => ({
          status: 200,
          body: toApiMember(await setRestricted(u, req.params.handle, restricted), u.now),
        }));
        return send(reply, out);
      },
    );
  }
}
