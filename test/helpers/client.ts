/**
 * The typed client (src/client) for the tests: backed by app.inject (no socket), or by a real
 * listening address. `onAnswer` sees every raw answer, for helpers that return it to assert on.
 */
import { createClient, type Client } from '../../src/client/index.js';
import { injectFetch, type Injectable } from '../../src/client/inject.js';

/** What the harness's `call` answers: status, parsed body, headers and text. */
export interface RawAnswer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  text: string;
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
