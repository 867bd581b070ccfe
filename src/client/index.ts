/**
 * The typed client of the Liaison API, built on the contract's route table (src/contract): one
 * function per operationId, its input (params, query, body) and output typed by the same schemas the
 * server validates with. Errors are values of one class (ApiError, API.md's error shape). POSTs that
 * create carry an Idempotency-Key, kept across retries. The live stream (GET /v1/stream) resumes
 * with `?since=` and reconnects with backoff (./stream.ts).
 *
 *   const api = createClient({ baseUrl: 'http://127.0.0.1:3000', token });
 *   const profile = await api.getMembersByHandle({ params: { handle: 'ada' } });
 */
import type { TOptional, TSchema } from '@sinclair/typebox';
import {
  REASONS,
  routes,
  type BodyOf,
  type ErrorCode,
  type OperationId,
  type ParamsOf,
  type QueryOf,
  type Reason,
  type ReplyOf,
  type RouteSpec,
  type Routes,
  type Unlock,
} from '../contract/index.js';
import { openStream, type SocketCtor, type StreamHandle, type StreamOptions } from './stream.js';

export type { StreamHandle, StreamOptions, StreamStatus, SocketCtor } from './stream.js';
export type * from '../contract/index.js';

/** A failure that never reached the API (offline, refused, reset). */
export const NETWORK_ERROR = 'network_error';

/** An error answer of the API (API.md "Conventions"), or a network failure (status 0, code network_error). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** the HTTP status (0: the request never got an answer) */
    readonly status: number,
    /** `error.code`: a denial's reason or an error code */
    readonly code: ErrorCode | typeof NETWORK_ERROR | (string & {}),
    message: string,
    /** the decision's ways forward (every 403 and 429 carries a list, possibly empty) */
    readonly unlock: Unlock[] = [],
    /** seconds, from Retry-After (429, 503) */
    readonly retryAfter: number | null = null,
    readonly details: Record<string, unknown> | undefined = undefined,
    /** the Idempotency-Key the request carried: pass it again to retry without doing it twice */
    readonly idempotencyKey: string | undefined = undefined,
  ) {
    super(message);
  }

  /** The policy's reason when the error is a denial (403, 404 recipient_unavailable, 429, 400 size rules). */
  get reason(): Reason | undefined {
    return (REASONS as readonly string[]).includes(this.code) ? (this.code as Reason) : undefined;
  }
}

export interface ClientOptions {
  /** the server's origin, e.g. `http://127.0.0.1:3000`; '' (the default) for the page's own origin */
  baseUrl?: string;
  /** a session token (Authorization: Bearer); leave out in a browser, where the HttpOnly cookie authenticates */
  token?: string | (() => string | undefined);
  /** defaults to the global fetch (an app.inject-backed one in tests) */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** the WebSocket constructor for the stream (the global one unless given; Node 20: the `ws` package) */
  WebSocket?: SocketCtor;
  /** `credentials` of every fetch (browsers: 'same-origin' sends the session cookie) */
  credentials?: 'omit' | 'same-origin' | 'include';
  /** retries of a request that got no answer or a 503 (idempotent ones only: GETs and POSTs with a key); default 0 */
  retries?: number;
  /** extra headers on every request */
  headers?: Record<string, string>;
  /** 'auto' (the default): a POST that creates gets a fresh Idempotency-Key unless the call names one; 'off': only named keys are sent */
  idempotency?: 'auto' | 'off';
  /** called with every error before it is thrown */
  onError?: (error: ApiError, operation: OperationId) => void;
}

type QueryInput<Q> = { [P in keyof Q]: Q[P] extends string | undefined ? Q[P] | number : Q[P] };
type BodyOptional<K extends OperationId> = Routes[K] extends { body: infer B } ? (B extends TOptional<TSchema> ? true : false) : false;
type Part<Name extends string, T, Optional extends boolean = false> = [T] extends [undefined]
  ? unknown
  : Optional extends true
    ? { [N in Name]?: T }
    : // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{} extends T`: every field of T is optional
      {} extends T
      ? { [N in Name]?: T }
      : { [N in Name]: T };
/** An upload's input: the file (multipart/form-data). */
export interface UploadInput {
  file: Blob;
  name?: string;
}
/** What an operation takes: `params` (path), `query`, `body`, as its schemas say. */
export type InputOf<K extends OperationId> = K extends 'postAttachments'
  ? UploadInput
  : Part<'params', ParamsOf<K>> & Part<'query', QueryOf<K> extends undefined ? undefined : QueryInput<QueryOf<K>>> & Part<'body', BodyOf<K>, BodyOptional<K>>;
export interface CallOptions {
  /** for a POST that creates: the key to send (one is generated otherwise); reuse it to retry */
  idempotencyKey?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}
/** The answer with its status and headers (`request`), for the operations with several successes. */
export interface Answer<K extends OperationId> {
  status: number;
  data: ReplyOf<K>;
  headers: Headers;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{} extends X`: every field of the input is optional
type Args<K extends OperationId> = {} extends InputOf<K> ? [input?: InputOf<K>, options?: CallOptions] : [input: InputOf<K>, options?: CallOptions];
/** One function per operationId. */
export type Operations = { [K in OperationId]: (...args: Args<K>) => Promise<ReplyOf<K>> };

export interface Client extends Operations {
  /** Calls an operation and answers its status and headers too. */
  request<K extends OperationId>(id: K, ...args: Args<K>): Promise<Answer<K>>;
  /** The live event stream (GET /v1/stream). */
  stream(options: StreamOptions): StreamHandle;
  /** The URL of an operation (e.g. an attachment to link to). */
  url<K extends OperationId>(id: K, input?: Pick<InputOf<K>, Extract<keyof InputOf<K>, 'params' | 'query'>>): string;
}

/** A fresh Idempotency-Key (a UUID where the platform has one). */
export function newIdempotencyKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.randomUUID) {
    try {
      return c.randomUUID();
    } catch {
      /* not a secure context */
    }
  }
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `/v1/members/:handle` with `{ handle: 'a b' }` → `/v1/members/a%20b`, plus the query. */
/** A path or query value as text (the contract's parameters are strings, numbers or booleans). */
const paramText = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

export function buildPath(path: string, params?: Record<string, unknown>, query?: Record<string, unknown>): string {
  const p = path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined || v === null) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(paramText(v));
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, paramText(v));
  }
  const q = qs.toString();
  return q ? `${p}?${q}` : p;
}

/** API.md's error body, whatever a server or proxy answered. */
export function apiErrorOf(status: number, json: unknown, retryAfter: string | null, key?: string): ApiError {
  const e = json && typeof json === 'object' && 'error' in json ? json.error : undefined;
  const body = e && typeof e === 'object' ? (e as { code?: unknown; message?: unknown; unlock?: unknown; details?: unknown }) : {};
  const fallback =
    status === 401
      ? 'unauthenticated'
      : status === 404
        ? 'not_found'
        : status === 409
          ? 'conflict'
          : status === 413
            ? 'payload_too_large'
            : status === 429
              ? 'rate_limited'
              : status === 503
                ? 'service_unavailable'
                : status >= 500
                  ? 'internal'
                  : 'invalid_request';
  const code = typeof body.code === 'string' ? body.code : fallback;
  const ra = retryAfter !== null && retryAfter !== '' && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) : null;
  return new ApiError(
    status,
    code,
    typeof body.message === 'string' ? body.message : `HTTP ${status}`,
    Array.isArray(body.unlock) ? (body.unlock as Unlock[]) : [],
    ra,
    body.details && typeof body.details === 'object' ? (body.details as Record<string, unknown>) : undefined,
    key,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createClient(options: ClientOptions = {}): Client {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = options.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));
  const tokenOf = () => (typeof options.token === 'function' ? options.token() : options.token);

  async function request<K extends OperationId>(id: K, input: Record<string, unknown> = {}, call: CallOptions = {}): Promise<Answer<K>> {
    const spec: RouteSpec = routes[id];
    const url = baseUrl + buildPath(spec.path, input.params as Record<string, unknown>, input.query as Record<string, unknown>);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...call.headers };
    const token = tokenOf();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | FormData | undefined;
    if (spec.consumes?.includes('multipart/form-data')) {
      const up = input as unknown as UploadInput;
      const form = new FormData();
      form.append('file', up.file, up.name ?? (up.file as { name?: string }).name ?? 'file');
      body = form;
    } else if (input.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.body);
    }
    const key = call.idempotencyKey ?? (spec.idempotent && options.idempotency !== 'off' ? newIdempotencyKey() : undefined);
    if (key) headers['idempotency-key'] = key;
    const retryable = spec.method === 'GET' || key !== undefined;
    const retries = retryable ? Math.max(0, options.retries ?? 0) : 0;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await doFetch(url, { method: spec.method, headers, body, signal: call.signal, credentials: options.credentials });
      } catch (e) {
        if ((e as { name?: string })?.name === 'AbortError') throw e;
        if (attempt < retries) {
          await sleep(Math.min(2000, 100 * 2 ** attempt));
          continue;
        }
        const err = new ApiError(0, NETWORK_ERROR, e instanceof Error ? e.message : 'network error', [], null, undefined, key);
        options.onError?.(err, id);
        throw err;
      }
      if (res.status === 503 && attempt < retries) {
        const ra = Number(res.headers.get('retry-after'));
        await res.arrayBuffer().catch(() => undefined);
        await sleep(Number.isFinite(ra) && ra > 0 ? Math.min(ra, 10) * 1000 : 1000);
        continue;
      }
      const type = res.headers.get('content-type') ?? '';
      if (!res.ok) {
        const text = await res.text();
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const err = apiErrorOf(res.status, json, res.headers.get('retry-after'), key);
        options.onError?.(err, id);
        throw err;
      }
      let data: unknown = null;
      if (res.status !== 204) {
        if (!spec.binary && type.includes('json')) {
          const text = await res.text();
          data = text ? JSON.parse(text) : null;
        } else data = await res.blob();
      }
      return { status: res.status, data: data as ReplyOf<K>, headers: res.headers };
    }
  }

  const client = {
    request: (id: OperationId, input?: Record<string, unknown>, call?: CallOptions) => request(id, input, call),
    stream: (o: StreamOptions) => openStream({ baseUrl, token: tokenOf, WebSocket: options.WebSocket }, o),
    url: (id: OperationId, input: { params?: Record<string, unknown>; query?: Record<string, unknown> } = {}) =>
      baseUrl + buildPath(routes[id].path, input.params, input.query),
  } as Record<string, unknown>;
  for (const id of Object.keys(routes) as OperationId[]) {
    client[id] = async (input?: Record<string, unknown>, call?: CallOptions) => (await request(id, input, call)).data;
  }
  return client as unknown as Client;
}
