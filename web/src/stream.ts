/**
 * The live event stream: one WebSocket to GET /v1/stream (the browser sends the session cookie),
 * reconnecting with backoff and replaying missed events with ?since=<last event id>.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { streamUrl, type StreamEvent } from './api';

type Listener = (e: StreamEvent) => void;
export type StreamStatus = 'offline' | 'connecting' | 'live';

class Stream {
  private ws: WebSocket | null = null;
  private running = false;
  private lastId: string | null = null;
  private listeners = new Set<Listener>();
  private statusListeners = new Set<() => void>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  status: StreamStatus = 'offline';

  start(): void {
    if (this.running && this.ws) return;
    this.stop();
    this.running = true;
    this.lastId = null;
    this.connect();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close();
    }
    this.setStatus('offline');
  }

  private setStatus(s: StreamStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const l of this.statusListeners) l();
  }

  private connect(): void {
    if (!this.running || typeof WebSocket === 'undefined') return;
    this.setStatus('connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(streamUrl(this.lastId));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.setStatus('live');
    };
    ws.onmessage = (msg) => {
      let ev: StreamEvent;
      try {
        ev = JSON.parse(typeof msg.data === 'string' ? msg.data : '') as StreamEvent;
      } catch {
        return;
      }
      if (!ev || typeof ev.type !== 'string') return;
      if (ev.id != null) this.lastId = String(ev.id);
      for (const l of this.listeners) {
        try {
          l(ev);
        } catch (e) {
          console.error(e);
        }
      }
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    this.setStatus('connecting');
    const delay = Math.min(30_000, 1000 * 2 ** this.retry) + Math.random() * 500;
    this.retry = Math.min(this.retry + 1, 5);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Client → server events (typing). Ignored silently when not connected. */
  send(payload: unknown): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(payload));
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  subscribeStatus = (l: () => void): (() => void) => {
    this.statusListeners.add(l);
    return () => this.statusListeners.delete(l);
  };
}

export const stream = new Stream();

/** Subscribe a component to stream events; the latest handler is always called. */
export function useStreamEvents(handler: Listener): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => stream.subscribe((e) => ref.current(e)), []);
}

export function useStreamStatus(): StreamStatus {
  return useSyncExternalStore(stream.subscribeStatus, () => stream.status, () => stream.status);
}

/**
 * While the live stream is down (server without it, a proxy that drops WebSockets, reconnecting),
 * call `fn` every `ms` so that the screen still fills in; once the socket is live, events take over.
 */
export function usePollWhileOffline(fn: () => void, ms: number): void {
  const status = useStreamStatus();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (status === 'live') return;
    const t = setInterval(() => {
      if (typeof document === 'undefined' || document.visibilityState !== 'hidden') ref.current();
    }, ms);
    return () => clearInterval(t);
  }, [status, ms]);
}

// ------------------------------------------------------------ defensive readers of event data

export function field<T = unknown>(data: unknown, ...names: string[]): T | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const o = data as Record<string, unknown>;
  for (const n of names) if (o[n] !== undefined) return o[n] as T;
  return undefined;
}

/** conversationId of an event's data, wherever the server put it. */
export function eventConversationId(data: unknown): string | undefined {
  const direct = field<string>(data, 'conversationId');
  if (direct != null) return String(direct);
  const msg = field(data, 'message');
  const fromMsg = field<string>(msg, 'conversationId');
  if (fromMsg != null) return String(fromMsg);
  const conv = field(data, 'conversation');
  const fromConv = field<string>(conv, 'id');
  return fromConv != null ? String(fromConv) : undefined;
}

/** Who the event is about (typing / read): a handle or id, whichever the server sends. */
export function eventActor(data: unknown): { id?: string; handle?: string; name?: string } {
  const m = field(data, 'member', 'sender', 'by', 'reader', 'from', 'user');
  if (m && typeof m === 'object') {
    return { id: field<string>(m, 'id'), handle: field<string>(m, 'handle'), name: field<string>(m, 'name') };
  }
  return {
    id: field<string>(data, 'memberId', 'senderId', 'readerId', 'userId'),
    handle: field<string>(data, 'handle', 'memberHandle'),
    name: field<string>(data, 'name'),
  };
}
