/**
 * The live stream of the typed client: one WebSocket to GET /v1/stream, reconnecting with
 * exponential backoff (and jitter) and resuming with `?since=<last event id>` so nothing is missed.
 * A close for an ended session or an inactive account (4001, 4003) stops it: reconnecting would not help.
 */
import { CLOSE, STREAM_PATH, type StreamEvent, type StreamTyping } from '../contract/index.js';

/** A WebSocket constructor: the browser's, Node 22's global one, or the `ws` package's. */
export type SocketCtor = new (url: string) => object;
interface Socket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type StreamStatus = 'connecting' | 'live' | 'offline';

export interface StreamOptions {
  /** resume after this event id (what `lastId` held) */
  since?: string | null;
  onEvent: (event: StreamEvent) => void;
  onStatus?: (status: StreamStatus) => void;
  /** the socket closed for good (4001 session ended, 4003 account inactive), or close() was called */
  onEnd?: (code: number) => void;
  /** backoff: min(maxMs, baseMs · 2^n) plus up to jitterMs; defaults 1000, 30000, 500 */
  backoff?: { baseMs?: number; maxMs?: number; jitterMs?: number };
}

export interface StreamHandle {
  /** the id of the last event seen: a reconnect asks for what came after it */
  readonly lastId: string | null;
  readonly status: StreamStatus;
  /** client → server (typing); ignored while not connected */
  send(frame: StreamTyping): void;
  close(): void;
}

const FINAL = new Set<number>([CLOSE.sessionEnded, CLOSE.accountInactive]);

export function openStream(conn: { baseUrl: string; token: () => string | undefined; WebSocket?: SocketCtor }, o: StreamOptions): StreamHandle {
  const Ctor = conn.WebSocket ?? (globalThis as { WebSocket?: SocketCtor }).WebSocket;
  const base = o.backoff?.baseMs ?? 1000;
  const max = o.backoff?.maxMs ?? 30_000;
  const jitter = o.backoff?.jitterMs ?? 500;
  let lastId: string | null = o.since ?? null;
  let status: StreamStatus = 'offline';
  let ws: Socket | null = null;
  let retry = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = true;

  const setStatus = (s: StreamStatus) => {
    if (s === status) return;
    status = s;
    o.onStatus?.(s);
  };

  function url(): string {
    let origin = conn.baseUrl;
    if (!origin) {
      const loc = (globalThis as { location?: { protocol: string; host: string } }).location;
      origin = loc ? `${loc.protocol}//${loc.host}` : '';
    }
    const qs = new URLSearchParams();
    const token = conn.token();
    if (token) qs.set('token', token);
    if (lastId) qs.set('since', lastId);
    const q = qs.toString();
    return origin.replace(/^http/, 'ws') + STREAM_PATH + (q ? `?${q}` : '');
  }

  function connect(): void {
    if (!running || !Ctor) return;
    setStatus('connecting');
    let s: Socket;
    try {
      s = new Ctor(url()) as Socket;
    } catch {
      reconnect();
      return;
    }
    ws = s;
    s.onopen = () => {
      retry = 0;
      setStatus('live');
    };
    s.onmessage = (msg) => {
      let ev: StreamEvent;
      try {
        ev = JSON.parse(typeof msg.data === 'string' ? msg.data : String(msg.data)) as StreamEvent;
      } catch {
        return;
      }
      if (!ev || typeof ev.type !== 'string') return;
      if (ev.id !== undefined && ev.id !== null && ev.type !== 'typing') lastId = String(ev.id);
      o.onEvent(ev);
    };
    s.onclose = (ev) => {
      if (ws === s) ws = null;
      if (FINAL.has(ev.code)) {
        running = false;
        setStatus('offline');
        o.onEnd?.(ev.code);
        return;
      }
      reconnect();
    };
    s.onerror = () => {
      /* onclose follows */
    };
  }

  function reconnect(): void {
    if (!running) return;
    setStatus('connecting');
    const delay = Math.min(max, base * 2 ** retry) + Math.random() * jitter;
    retry = Math.min(retry + 1, 16);
    timer = setTimeout(connect, delay);
  }

  connect();
  return {
    get lastId() {
      return lastId;
    },
    get status() {
      return status;
    },
    send(frame) {
      if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
    },
    close() {
      if (!running) return;
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      const s = ws;
      ws = null;
      if (s) {
        s.onclose = null;
        s.close();
      }
      setStatus('offline');
      o.onEnd?.(1000);
    },
  };
}
