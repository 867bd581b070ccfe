/**
 * Clients for the fault tests, written the way API.md asks clients to behave: every answer is
 * recorded (status, code, Retry-After, time taken), creating POSTs carry an Idempotency-Key and are
 * retried until they get a 2xx, and stream clients reconnect with `?since=<last id>`.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { runCli } from '../helpers/process.js';
import { wsUrl } from '../realtime/client.js';

export interface Answer {
  route: string;
  status: number; // 0: no answer (network error or our timeout)
  code?: string;
  retryAfter?: string;
  ms: number;
  at: number;
  error?: string;
}

export interface Res {
  status: number;
  body: any;
  text: string;
  headers: Headers | null;
  ms: number;
}

/** One HTTP call; a network error or no answer within `timeoutMs` is status 0. */
export async function call(
  base: string,
  method: string,
  path: string,
  o: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const t0 = performance.now();
  try {
    const r = await fetch(base + path, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
    const text = await r.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: r.status, body, text, headers: r.headers, ms: performance.now() - t0 };
  } catch (e) {
    return { status: 0, body: undefined, text: String((e as Error).message), headers: null, ms: performance.now() - t0 };
  }
}

export class Recorder {
  readonly answers: Answer[] = [];
  add(route: string, r: Res): void {
    this.answers.push({
      route,
      status: r.status,
      code: r.body?.error?.code,
      retryAfter: r.headers?.get('retry-after') ?? undefined,
      ms: r.ms,
      at: Date.now(),
      error: r.status === 0 ? r.text : undefined,
    });
  }
  /** Status counts, e.g. { "send 201": 120, "send 503": 14 }. */
  summary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of this.answers) out[`${a.route} ${a.status}`] = (out[`${a.route} ${a.status}`] ?? 0) + 1;
    return out;
  }
  /** Answers that break the contract under faults: 500s, no answer, a 503 without Retry-After or the code. */
  bad(): Answer[] {
    return this.answers.filter(
      (a) => a.status === 0 || (a.status >= 500 && !(a.status === 503 && a.code === 'service_unavailable' && a.retryAfter && Number(a.retryAfter) >= 1)),
    );
  }
  /** Counts by route, status and code, e.g. { "send 500 internal": 3 }. */
  static count(answers: Answer[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of answers) {
      const k = `${a.route} ${a.status} ${a.code ?? a.error ?? ''}${a.status === 503 && !a.retryAfter ? ' (no Retry-After)' : ''}`;
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  }
  slowest(): number {
    return Math.max(0, ...this.answers.map((a) => a.ms));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Who {
  token: string;
  handle: string;
  id: string;
}

let seq = 0;
export async function signUp(base: string, prefix = 'f'): Promise<Who> {
  const handle = `${prefix}${process.pid % 10000}_${++seq}_${randomBytes(2).toString('hex')}`;
  const r = await call(base, 'POST', '/v1/accounts', {
    body: { handle, name: `Name ${handle}`, email: `${handle}@example.test`, password: 'correct horse battery' },
  });
  if (r.status !== 201) throw new Error(`sign-up: ${r.status} ${r.text}`);
  return { token: r.body.token, handle, id: r.body.member.id };
}

export async function connectPair(via: string, acceptVia: string, x: Who, y: Who): Promise<void> {
  const inv = await call(via, 'POST', '/v1/invitations', { token: x.token, body: { to: y.handle } });
  if (inv.status !== 201) throw new Error(`invite: ${inv.status} ${inv.text}`);
  const acc = await call(acceptVia, 'POST', `/v1/invitations/${inv.body.id}/accept`, { token: y.token });
  if (acc.status !== 200) throw new Error(`accept: ${acc.status} ${acc.text}`);
}

/**
 * A sender that sends numbered messages with an Idempotency-Key, retrying each (honouring
 * Retry-After, capped at `maxWaitMs`) until it gets a 2xx; alternates between instances.
 */
export class Sender {
  readonly acked = new Map<string, string>(); // body → message id
  readonly refused: string[] = [];
  private stopped = false;
  private n = 0;
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly from: Who,
    readonly to: Who,
    readonly urls: () => string[],
    readonly rec: Recorder,
    readonly opts: { gapMs?: number; maxWaitMs?: number; tag?: string } = {},
  ) {}

  start(): this {
    this.done = this.loop();
    return this;
  }

  /** Stops after the message in progress is acknowledged. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const i = this.n++;
      const body = `${this.opts.tag ?? 'm'} ${this.from.handle} ${i}`;
      const key = `${this.from.handle}-${i}`;
      for (let attempt = 0; ; attempt++) {
        const urls = this.urls();
        const base = urls[(i + attempt) % urls.length]!;
        const r = await call(base, 'POST', '/v1/messages', {
          token: this.from.token,
          body: { to: this.to.handle, body },
          headers: { 'idempotency-key': key },
          timeoutMs: 15_000,
        });
        this.rec.add('send', r);
        if (r.status === 201) {
          this.acked.set(body, r.body.message.id);
          break;
        }
        if (r.status !== 0 && r.status < 500) {
          this.refused.push(`${body}: ${r.status} ${r.text}`); // a client error: not retried
          break;
        }
        const ra = Number(r.headers?.get('retry-after') ?? 1);
        await sleep(Math.min(this.opts.maxWaitMs ?? 300, Math.max(50, ra * 1000)));
      }
      await sleep(this.opts.gapMs ?? 50);
    }
  }
}

/** Profile views in a loop, recording every answer (no retry: reads just fail over). */
export class Viewer {
  private stopped = false;
  done: Promise<void> = Promise.resolve();
  constructor(
    readonly who: Who,
    readonly handles: string[],
    readonly urls: () => string[],
    readonly rec: Recorder,
    readonly gapMs = 50,
    /** what is read (default: the profile of the next handle) and the Recorder's label for it */
    readonly read: { path: (handle: string) => string; label: string } = { path: (h) => `/v1/members/${h}`, label: 'profile' },
  ) {}
  start(): this {
    this.done = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const urls = this.urls();
        const r = await call(urls[i % urls.length]!, 'GET', this.read.path(this.handles[i % this.handles.length]!), {
          token: this.who.token,
          timeoutMs: 15_000,
        });
        this.rec.add(this.read.label, r);
        await sleep(this.gapMs);
      }
    })();
    return this;
  }
  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }
}

/** Polls GET /readyz and keeps the sequence of states (collapsed), e.g. [200, 503, 200]. */
export class ReadyWatch {
  readonly states: number[] = [];
  private stopped = false;
  private done: Promise<void> = Promise.resolve();
  slowest = 0;
  constructor(readonly base: string) {}
  start(): this {
    this.done = (async () => {
      while (!this.stopped) {
        const r = await call(this.base, 'GET', '/readyz', { timeoutMs: 10_000 });
        this.slowest = Math.max(this.slowest, r.ms);
        if (this.states[this.states.length - 1] !== r.status) this.states.push(r.status);
        await sleep(100);
      }
    })();
    return this;
  }
  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }
}

export interface StreamFrame {
  id: string;
  type: string;
  data: any;
}

/**
 * A stream client as web/src/stream.ts behaves: on any close it reconnects (to the next instance)
 * with `?since=<last id seen>`, retrying refused handshakes. Keeps per-connection frame ids so a
 * duplicate delivered on one socket is caught, and the union of everything received.
 */
export class ResilientStream {
  readonly connections: StreamFrame[][] = [];
  readonly refusals: { status: number; ms: number }[] = [];
  readonly closes: number[] = [];
  lastId: string | undefined;
  private ws: WebSocket | null = null;
  private stopped = false;
  private turn = 0;
  connectedOnce: Promise<void>;
  private resolveFirst!: () => void;

  constructor(
    readonly who: Who,
    readonly urls: () => string[],
  ) {
    this.connectedOnce = new Promise((r) => (this.resolveFirst = r));
  }

  start(): this {
    void this.open();
    return this;
  }

  get open_(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private async open(): Promise<void> {
    while (!this.stopped) {
      const urls = this.urls();
      const base = urls[this.turn++ % urls.length]!;
      const t0 = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const ws = new WebSocket(wsUrl(base, { token: this.who.token, since: this.lastId }));
        const frames: StreamFrame[] = [];
        let opened = false;
        ws.on('unexpected-response', (_req, res) => {
          this.refusals.push({ status: res.statusCode ?? 0, ms: performance.now() - t0 });
          res.resume();
          ws.terminate();
          resolve(false);
        });
        ws.on('error', () => {
          if (!opened) resolve(false);
        });
        ws.on('open', () => {
          opened = true;
          this.ws = ws;
          this.connections.push(frames);
          this.resolveFirst();
          resolve(true);
        });
        ws.on('message', (d) => {
          const f = JSON.parse(d.toString()) as StreamFrame;
          frames.push(f);
          this.lastId = f.id;
        });
        ws.on('close', (code) => {
          if (!opened) return resolve(false);
          this.closes.push(code);
          this.ws = null;
          if (!this.stopped) setTimeout(() => void this.open(), 100);
        });
      });
      if (ok) return;
      await sleep(250);
    }
  }

  /** Drops the socket from the client side (it reconnects). */
  drop(): void {
    this.ws?.terminate();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }

  /** Every frame of a type, over all connections, de-duplicated by id (what a client shows). */
  distinct(type: string): Map<string, StreamFrame> {
    const out = new Map<string, StreamFrame>();
    for (const c of this.connections) for (const f of c) if (f.type === type) out.set(f.id, f);
    return out;
  }

  /** Ids delivered twice on one socket (must be none). */
  duplicatesWithinConnections(): string[] {
    const dup: string[] = [];
    for (const c of this.connections) {
      const seen = new Set<string>();
      for (const f of c) {
        if (seen.has(f.id)) dup.push(f.id);
        seen.add(f.id);
      }
    }
    return dup;
  }
}

export interface Proc {
  url: string;
  child: ChildProcess;
  out: () => string;
}

/**
 * Starts `liaison serve` from source (test/helpers/process.ts), at LOG_LEVEL warn by default (the
 * plain "liaison listening on <url>" line), keeping the last 256 KiB of its output.
 */
export async function startServe(env: Record<string, string>): Promise<Proc> {
  const child = runCli(['serve'], { PORT: '0', LOG_LEVEL: 'warn', ...env });
  let buf = '';
  const keep = (d: Buffer) => {
    buf += d;
    if (buf.length > 512 * 1024) buf = buf.slice(-256 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start: ' + buf)), 90_000);
    const onData = () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(buf) ?? /liaison listening on (http:\/\/\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${buf}`));
    });
  });
  return { url, child, out: () => buf };
}

export class Procs {
  readonly list: Proc[] = [];
  async start(env: Record<string, string>): Promise<Proc> {
    const p = await startServe(env);
    this.list.push(p);
    return p;
  }
  async stopAll(): Promise<void> {
    await Promise.all(
      this.list.map(
        (p) =>
          new Promise<void>((r) => {
            if (p.child.exitCode !== null || p.child.signalCode !== null) return r();
            p.child.once('exit', () => r());
            p.child.kill('SIGKILL');
          }),
      ),
    );
  }
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** A metric's value from a Prometheus text page (the first sample whose labels contain `labels`). */
export function metric(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels && !rest.includes(labels)) continue;
    return Number(line.split(' ').pop());
  }
  return undefined;
}

export async function metricsOf(base: string): Promise<string> {
  const r = await call(base, 'GET', '/metrics');
  return r.text;
}

export async function waitFor(what: string, ms: number, f: () => boolean | Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}
