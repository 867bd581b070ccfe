/**
 * The typed client (src/client) for the tests: backed by app.inject (no socket), or by a real
 * listening address. `onAnswer` sees every raw answer, for helpers that return it to assert on.
 */
import { createClient, type Client, type ClientOptions } from '../../src/client/index.js';

/** What the harness's `call` answers: status, parsed body, headers and text. */
export interface RawAnswer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  text: string;
}

interface Injectable {
  inject(opts: { method: string; url: string; headers: Record<string, string>; payload?: string | Buffer }): Promise<{
    statusCode: number;
    body: string;
    rawPayload: Buffer;
    headers: Record<string, string | string[] | number | undefined>;
  }>;
}

/** A fetch that runs each request through app.inject. */
export function injectFetch(app: () => Injectable, onAnswer?: (r: RawAnswer) => void): NonNullable<ClientOptions['fetch']> {
  return async (url, init) => {
    const u = new URL(url);
    const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
    let payload: string | Buffer | undefined;
    if (typeof init.body === 'string') payload = init.body;
    else if (init.body instanceof FormData) {
      const encoded = new Response(init.body);
      payload = Buffer.from(await encoded.arrayBuffer());
      headers['content-type'] = encoded.headers.get('content-type')!;
    }
    const r = await app().inject({ method: init.method ?? 'GET', url: u.pathname + u.search, headers, payload });
    if (onAnswer) {
      let body: unknown;
      try {
        body = r.body ? JSON.parse(r.body) : undefined;
      } catch {
        body = undefined;
      }
      onAnswer({ status: r.statusCode, body, headers: r.headers as Record<string, unknown>, text: r.body });
    }
    const h = new Headers();
    for (const [k, v] of Object.entries(r.headers)) {
      if (v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) h.append(k, String(x));
    }
    const empty = r.statusCode === 204 || r.statusCode === 304;
    return new Response(empty ? null : new Uint8Array(r.rawPayload), { status: r.statusCode, headers: h });
  };
}

/**
 * A client of the harness's app as `token` (none: anonymous). Requests go out as the tests wrote
 * them before the client existed: an Idempotency-Key only where a call names one.
 */
export function clientOf(h: { inst: { app: Injectable } }, token?: string, onAnswer?: (r: RawAnswer) => void): Client {
  return createClient({ baseUrl: 'http://liaison.test', token, fetch: injectFetch(() => h.inst.app, onAnswer), idempotency: 'off' });
}

/** Runs one client call and answers the raw answer (a refusal included) for the test to assert on. */
export async function rawAnswer(h: { inst: { app: Injectable } }, token: string | undefined, call: (c: Client) => Promise<unknown>): Promise<RawAnswer> {
  let last: RawAnswer | undefined;
  const c = clientOf(h, token, (r) => {
    last = r;
  });
  await call(c).catch((e: unknown) => {
    if (!last) throw e;
  });
  return last!;
}
