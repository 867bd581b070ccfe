/**
 * Same-site request forgery (issue 15, finding 1). The session cookie is SameSite=Lax, and "same
 * site" includes another port of the host and sibling subdomains, so the cookie alone proves
 * nothing about who wrote the request. A request authenticated by the cookie with an unsafe method,
 * and the stream upgrade, must name our own origin: the Origin header, or the Referer's origin when
 * Origin is absent. Our own origin is the scheme and host the request came to (the forwarded ones
 * behind a trusted proxy), plus the operator's list LIAISON_ORIGINS. A request naming neither is
 * refused too: browsers name the origin of every unsafe request and of every WebSocket upgrade.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../services/errors.js';

export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string): string | null {
  try {
    const o = new URL(value).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/** The origin the request names (Origin, else Referer), normalized; null when none or unusable ("null"). */
export function requestOrigin(req: FastifyRequest): string | null {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== '') return originOf(origin);
  const referer = req.headers.referer;
  if (typeof referer === 'string' && referer !== '') return originOf(referer);
  return null;
}

/** The server's own origin as this request reached it. */
export function ownOrigin(req: FastifyRequest): string | null {
  return originOf(`${req.protocol}://${req.host}`);
}

export function originAllowed(req: FastifyRequest, allowList: readonly string[] = []): boolean {
  const o = requestOrigin(req);
  if (o === null) return false;
  return o === ownOrigin(req) || allowList.includes(o);
}

export const forbiddenOrigin = () =>
  new AppError(403, 'forbidden_origin', "a request authenticated by the session cookie must come from this server's own origin", { unlock: [] });

/** Throws 403 forbidden_origin unless the request names an allowed origin. */
export function requireOwnOrigin(req: FastifyRequest, allowList: readonly string[] = []): void {
  if (!originAllowed(req, allowList)) throw forbiddenOrigin();
}
