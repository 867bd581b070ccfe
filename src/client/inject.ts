/**
 * The client's in-process transport (Node only: not part of the browser bundle or the package's
 * ./client export): requests through a Fastify app's inject instead of the network.
 */
import type { ClientOptions } from './index.js';

/** An answer as it came: status, parsed body (undefined when not JSON), headers and text. */
export interface InjectAnswer {
  status: number;
  body: unknown;
  headers: Record<string, unknown>;
  text: string;
}

/** Anything with Fastify's inject (an app, or a test harness's). */
export interface Injectable {
  inject(opts: { method: string; url: string; headers: Record<string, string>; payload?: string | Buffer }): Promise<{
    statusCode: number;
    body: string;
    rawPayload: Buffer;
    headers: Record<string, string | string[] | number | undefined>;
  }>;
}

/**
 * A fetch that runs each request through a Fastify app's `inject` (no socket): for tests, benchmarks
 * and in-process use. `onAnswer` sees every raw answer.
 */
export function injectFetch(app: () => Injectable, onAnswer?: (r: InjectAnswer) => void): NonNullable<ClientOptions['fetch']> {
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
      onAnswer({ status: r.statusCode, body, headers: r.headers, text: r.body });
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
