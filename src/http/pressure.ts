/**
 * Load shedding: at most `maxInFlight` requests are handled at once; beyond it a request is answered
 * at the door with 503 service_unavailable and Retry-After: 1, before Fastify routes it, before any
 * authentication or storage work, so a refusal costs microseconds instead of joining a queue that
 * grows without bound (and with it latency and memory).
 *
 * Measured in test/faults/backpressure.test.ts (one instance, an open-loop burst of 5× its measured
 * capacity): without a limit the instance had 4,400 requests outstanding and answered them after
 * 6.5 s (p50) and 15 s (p99); a limit checked in a Fastify onRequest hook still queued (the refusals
 * themselves, through every hook, used the CPU the admitted requests needed); at the door, the excess
 * is refused in a few milliseconds and the admitted requests keep their latency.
 *
 * Operator routes (/healthz, /readyz, /metrics) are never refused: an overloaded instance must still
 * say how it is. WebSocket upgrades do not come through here (open sockets have their own bounds).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Metrics } from '../util/metrics.js';

/** Requests in flight per instance by default (LIAISON_MAX_IN_FLIGHT; 0 turns shedding off). */
export const DEFAULT_MAX_IN_FLIGHT = 64;

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);
const BUSY = JSON.stringify({ error: { code: 'service_unavailable', message: 'the server is busy: retry shortly', details: { reason: 'overloaded' } } });

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Wraps the server's request listener (Fastify's router) with the in-flight limit. */
export function shedAtTheDoor(server: Server, metrics: Metrics, maxInFlight = DEFAULT_MAX_IN_FLIGHT): void {
  if (!maxInFlight) return;
  const inner = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if (!EXEMPT.has(q < 0 ? url : url.slice(0, q))) {
      if (metrics.inFlightNow >= maxInFlight) {
        metrics.shed.inc();
        res.writeHead(503, {
          'content-type': 'application/json; charset=utf-8',
          'retry-after': '1',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'content-length': Buffer.byteLength(BUSY),
        });
        res.end(BUSY);
        return;
      }
      metrics.inFlightNow++;
      // Counted out once, at the response's 'close' or the request's, whichever comes first: a
      // response queued behind another on a pipelining connection gets no 'close' when the client
      // goes (Node closes only the one in progress), while its request does (test/http/pressure.test.ts).
      let counted = true;
      const release = () => {
        if (counted) {
          counted = false;
          metrics.inFlightNow--;
        }
      };
      res.once('close', release);
      req.once('close', release);
    }
    for (const l of inner) l.call(server, req, res);
  });
}
