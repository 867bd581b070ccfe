/**
 * API.md `GET /v1/stream`: the live event stream over a WebSocket. Auth by `?token=`, the bearer
 * header or the session cookie; `?since=<event id>` replays what was missed from storage.
 * The work is in src/realtime/stream.ts (StreamHub).
 */
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { realtimeFor } from '../../realtime/index.js';
import { CLOSE } from '../../realtime/stream.js';
import { parseSince } from '../../realtime/frames.js';
import { authenticateSession } from '../../services/accounts.js';
import { AppError, badRequest, Refusal, unauthenticated } from '../../services/errors.js';
import { deny } from '../../policy/index.js';
import { credential, type RouteContext, type TypedApp } from '../plumbing.js';
import { requireOwnOrigin } from '../origin.js';
import { STREAM_DESCRIPTION, STREAM_PATH, STREAM_SUMMARY, StreamQuery } from '../../contract/stream.js';

function tokenOf(req: FastifyRequest): { token: string; via: 'query' | 'header' | 'cookie' } | undefined {
  const q = (req.query as { token?: string } | undefined)?.token;
  if (q) return { token: q, via: 'query' };
  return credential(req);
}

export async function streamRoutes(app: TypedApp, ctx: RouteContext) {
  const rt = realtimeFor(ctx.deps);
  rt?.hub.setMetrics(ctx.metrics);
  await app.register(websocket, {
    options: { maxPayload: 64 * 1024 },
    // Instance.close() drains with 1012 first; this covers an app closed on its own.
    preClose(done) {
      const server = (this as unknown as { websocketServer?: { clients: Set<{ close(c: number, r: string): void }> } }).websocketServer;
      for (const client of server?.clients ?? []) client.close(CLOSE.serviceRestart, 'service restart: reconnect');
      done();
    },
  });

  app.get(
    STREAM_PATH,
    {
      websocket: true,
      config: { auth: 'none' },
      schema: {
        summary: STREAM_SUMMARY,
        description: STREAM_DESCRIPTION,
        tags: ['messaging'],
        querystring: StreamQuery,
      },
      preValidation: async (req) => {
        // a plain GET (no upgrade) would get @fastify/websocket's empty 404: a 400 in the contract's shape
        if (!req.ws) throw badRequest('the stream is a WebSocket: open it with an `Upgrade: websocket` request');
        if (!rt || rt.hub.isDraining) throw new AppError(503, 'service_unavailable', 'the stream is not available here: reconnect', { retryAfter: 1 });
        const q = req.query as { since?: string };
        if (q.since !== undefined && q.since !== '' && parseSince(q.since) === undefined) throw badRequest('since: not an event id', { field: 'since' });
        const cred = tokenOf(req);
        // The cookie is ambient authority: a page of another origin must not open the stream with it.
        if (cred?.via === 'cookie') requireOwnOrigin(req, ctx.config.origins);
        const auth = cred ? await authenticateSession(ctx.deps, cred.token) : null;
        if (!auth) throw unauthenticated();
        const member = auth.member;
        if (member.status !== 'active')
          throw new Refusal(deny('sender_inactive'), ctx.deps.clock.now(), undefined, 'your account is deactivated: reactivate it first');
        req.member = member;
        req.sessionId = auth.sessionId;
      },
    },
    (socket, req) => {
      const since = parseSince((req.query as { since?: string }).since);
      void rt!.hub.accept(socket, req.member!, since, req.sessionId);
    },
  );
}
