/** Metrics observed at the edge: every answer's route, status and time; the decisions behind sends and invitations. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../util/metrics.js';

export function observe(app: FastifyInstance, metrics: Metrics): void {
  // Domain counters observed at the edge, for every route that sends or invites: messages sent by
  // channel, and the decision behind each answer by reason (ok, or the refusal's code).
  const DECIDING: Record<string, string> = {
    'POST /v1/messages': 'message',
    'POST /v1/conversations/:id/messages': 'message',
    'POST /v1/invitations': 'invitation',
  };
  app.addHook('onSend', async (req, reply, payload) => {
    const action = DECIDING[`${req.method} ${req.routeOptions.url}`];
    if (!action || typeof payload !== 'string') return payload;
    try {
      const body = JSON.parse(payload) as { message?: { channel?: string }; error?: { code?: string } };
      if (reply.statusCode < 300) {
        metrics.decisions.inc({ action, reason: 'ok' });
        if (action === 'message' && body.message?.channel) metrics.messagesSent.inc({ channel: body.message.channel });
      } else if ([403, 404, 429].includes(reply.statusCode) && body.error?.code) {
        metrics.decisions.inc({ action, reason: body.error.code });
      }
    } catch {
      /* not JSON: nothing to count */
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
  });
}
