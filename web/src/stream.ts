/**
 * The live event stream: the typed client's stream (src/client/stream.ts) to GET /v1/stream (the
 * browser sends the session cookie), reconnecting with backoff and replaying missed events with
 * ?since=<last event id>; here shared by every screen.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { client, type StreamEvent } from './api';
import type { StreamHandle, StreamStatus, StreamTyping } from '../../src/client/index';

type Listener = (e: StreamEvent) => void;
export type { StreamStatus };

class Stream {
  private handle: StreamHandle | null = null;
  private listeners = new Set<Listener>();
  private statusListeners = new Set<() => void>();
  status: StreamStatus = 'offline';

  start(): void {
    if (this.handle && this.status !== 'offline') return;
    this.stop();
    this.handle = client.stream({
      onEvent: (ev) => {
        for (const l of this.listeners) {
          try {
            l(ev);
          } catch (e) {
            console.error(e);
          }
        }
      },
      onStatus: (s) => this.setStatus(s),
    });
  }

  stop(): void {
    const h = this.handle;
    this.handle = null;
    h?.close();
    this.setStatus('offline');
  }

  private setStatus(s: StreamStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const l of this.statusListeners) l();
  }

  /** Client → server events (typing). Ignored silently when not connected. */
  send(payload: StreamTyping): void {
    this.handle?.send(payload);
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
  return useSyncExternalStore(
    stream.subscribeStatus,
    () => stream.status,
    () => stream.status,
  );
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
