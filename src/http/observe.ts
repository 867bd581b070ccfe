/** Metrics observed at the edge: every answer's route, status and time; the decisions behind sends and invitations. */
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { Metrics } from '../util/metrics.js';

/** The routes whose answers are decisions, by what they decide: sends and invitations. */
const DECIDING: Record<string, string> = {
  'POST /v1/messages': 'message',
  'POST /v1/conversations/:id/messages': 'message',
  'POST /v1/invitations': 'invitation',
};

export function observe(app: FastifyInstance, metrics: Metrics): void {
  // Domain counters observed at the edge, for every route that sends or invites: messages sent by
  // channel, and the decision behind each answer by reason (ok, or the refusal's code). A hook of
  // those routes only (added as each is declared): every other answer skips it.
  const countDecision =
    (action: string): onSendHookHandler =>
    (_req, reply, payload, done) => {
      if (typeof payload === 'string') countFrom(metrics, action, reply.statusCode, payload);
      done(null, payload);
    };
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const action = methods.map((m) => DECIDING[`${m} ${route.url}`]).find(Boolean);
    if (!action) return;
    const prev = route.onSend;
    route.onSend = [...(Array.isArray(prev) ? prev : prev ? [prev] : []), countDecision(action)];
  });

  // Every answer's method, route, status and time: a callback hook (no promise per request).
  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/** Counts one deciding answer: ok (and the channel a message went through), or the refusal's code. */
function countFrom(metrics: Metrics, action: string, status: number, payload: string): void {
  try {
    const body = JSON.parse(payload) as { message?: { channel?: string }; error?: { code?: string } };
    if (status < 300) {
      metrics.decisions.inc({ action, reason: 'ok' });
      if (action === 'message' && body.message?.channel) metrics.messagesSent.inc({ channel: body.message.channel });
    } else if ((status === 403 || status === 404 || status === 429) && body.error?.code) {
      metrics.decisions.inc({ action, reason: body.error.code });
    }
  } catch {
    /* not JSON: nothing to count */
  }
}
