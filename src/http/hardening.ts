/**
 * The HTTP application's hardening: security headers on every answer, JSON bodies parsed without
 * deep nesting, and no NUL anywhere a request can carry one.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../services/errors.js';

/** The Content-Security-Policy of the API and the web UI: our own origin only. */
export const STRICT_CSP = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/** The STRICT_CSP directives as one header value. */
const STRICT_CSP_HEADER = Object.entries(STRICT_CSP)
  .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${v.join(' ')}`)
  .join(';');

/**
 * The security headers of every answer (helmet's set with the strict CSP), also for the few answers Fastify makes before any hook runs
 * (a malformed path, a path parameter beyond maxParamLength): test/security/smaller.test.ts checks
 * they match a normal answer's.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': STRICT_CSP_HEADER,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** /docs (swagger-ui): same origin, plus the inline style attributes and data: images it renders. */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

/** No request body needs more nesting than this. */
export const MAX_JSON_DEPTH = 64;

/** Whether a JSON text nests arrays/objects deeper than `max` (strings skipped; no recursion). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** Whether a string anywhere in a parsed value (keys included) holds U+0000; iterative. */
export function hasNul(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (v && typeof v === 'object') {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        if (k.includes('\u0000')) return true;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return false;
}

/** JSON bodies: Fastify's own parser behind a nesting check; an empty body is no body. */
export function acceptJson(app: FastifyInstance): void {
  // JSON bodies: Fastify's own parser (prototype poisoning refused), after an O(n) scan that
  // refuses nesting deeper than MAX_JSON_DEPTH, so no later JSON.stringify (request hashing,
  // jsonb) or validator can overflow the stack on a hostile body (test/security/fuzz.test.ts).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    // An empty body under a JSON content type is no body (clients that always send the header, on a
    // POST that takes none): the route's schema decides whether one was required.
    if (body === '') {
      done(null, undefined);
      return;
    }
    if (jsonDepthExceeds(body as string, MAX_JSON_DEPTH)) {
      const e = Object.assign(new Error(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 });
      done(e, undefined);
      return;
    }
    // A lone UTF-16 surrogate can only come from a JSON escape (\ud800): PostgreSQL's jsonb refuses
    // one (the outbox event of a message holding it failed its send with a 500), and text columns
    // store it as U+FFFD. Every string of such a body is made well-formed here, U+FFFD for each.
    if (!LONE_SURROGATE_ESCAPE.test(body as string)) return void defaultJson(req, body as string, done);
    void defaultJson(req, body as string, (err, value) => (err ? done(err, undefined) : done(null, wellFormed(value))));
  });
}

const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** `value` with every lone surrogate in its strings (keys included) replaced by U+FFFD (`toWellFormed`); iterative. */
export function wellFormed(value: unknown): unknown {
  const fix = (x: string) => x.toWellFormed();
  if (typeof value === 'string') return fix(value);
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (!v || typeof v !== 'object') continue;
    for (const k of Object.keys(v)) {
      const o = v as Record<string, unknown>;
      let x = o[k];
      if (typeof x === 'string') x = o[k] = fix(x);
      else stack.push(x);
      const key = fix(k);
      if (key !== k) {
        o[key] = x;
        delete o[k];
      }
    }
  }
  return value;
}

/**
 * The security headers on every answer (API, web UI, errors): SECURITY_HEADERS (what @fastify/helmet
 * wrote with the strict CSP), set as one fixed object in the first hook. @fastify/helmet set them
 * one by one through its middleware on every request; without it a profile view took about 15% less
 * CPU in process (246 against 288 µs, four runs each, noisy: bench/RESULTS.md "Profile views"). The web UI is built
 * to need nothing but its own origin: no inline script or style, no third-party resources. HSTS only
 * matters behind HTTPS (browsers ignore it over plain HTTP); upgrade-insecure-requests is left out so
 * the default plain-HTTP 127.0.0.1 setup keeps working. Routes that need another CSP (/docs, an
 * attachment) set their own afterwards.
 */
export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });
}

/** U+0000 refused in the path, the query and the body (400). */
export function refuseNul(app: FastifyInstance): void {
  // PostgreSQL text cannot hold U+0000: refuse it anywhere in the path, the query or the body
  // (400, not the storage error a NUL would otherwise cause; found by test/security/fuzz.test.ts).
  // A callback hook: no promise per request.
  app.addHook('preValidation', (req, _reply, done) => {
    for (const [where, value] of [
      ['params', req.params],
      ['querystring', req.query],
      ['body', req.body],
    ] as const) {
      if (hasNul(value)) {
        done(badRequest(`${where}: the NUL character (U+0000) is not allowed`, { field: where }));
        return;
      }
    }
    done();
  });
}
