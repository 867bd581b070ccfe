/** Metrics observed at the edge: every answer's route, status and time; the decisions behind sends and invitations. */
import type { FastifyInstance, FastifyReply, FastifyRequest, preSerializationHookHandler } from 'fastify';
import type { Metrics } from '../util/metrics.js';
import { methodsOf, thenHook } from './plumbing.js';

/** The routes whose answers are decisions, by what they decide: sends and invitations. */
const DECIDING: Record<string, string> = {
  'POST /v1/messages': 'message',
  'POST /v1/conversations/:id/messages': 'message',
  'POST /v1/invitations': 'invitation',
};

export function observe(app: FastifyInstance, metrics: Metrics): void {
  // Domain counters observed at the edge, for every route that sends or invites: messages sent by
  // channel, and the decision behind each answer by reason (ok, or the refusal's code). A hook of
  // those routes only (added as each is declared): every other answer skips it. It reads the answer
  // before it is serialized (errors included: the error mapper sends an object too), so nothing is
  // parsed back. (An answer its schema then failed to serialize would be a 500 counted as its
  // decision: none of these routes answers outside its schema.)
  const countDecision =
    (action: string): preSerializationHookHandler<unknown> =>
    (_req, reply, payload, done) => {
      countFrom(metrics, action, reply.statusCode, payload);
      done(null, payload);
    };
  app.addHook('onRoute', (route) => {
    const action = methodsOf(route)
      .map((m) => DECIDING[`${m} ${route.url}`])
      .find(Boolean);
    if (action) route.preSerialization = thenHook(route.preSerialization, countDecision(action));
  });

  // Every answer's method, route, status and time: a callback hook (no promise per request).
  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/** Counts one deciding answer: ok (and the channel a message went through), or the refusal's code. */
function countFrom(metrics: Metrics, action: string, status: number, payload: unknown): void {
  const body = (payload ?? {}) as { message?: { channel?: unknown }; error?: { code?: unknown } };
  if (status < 300) {
    metrics.decisions.inc({ action, reason: 'ok' });
    const channel = body.message?.channel;
    if (action === 'message' && typeof channel === 'string') metrics.messagesSent.inc({ channel });
  } else if ((status === 403 || status === 404 || status === 429) && typeof body.error?.code === 'string') {
    metrics.decisions.inc({ action, reason: body.error.code });
  }
}
