/** A test client for GET /v1/stream: collects frames, waits for them, reports how the socket closed. */
import WebSocket from 'ws';

export interface Frame {
  id: string;
  type: string;
  data: any;
}

export interface StreamClient {
  ws: WebSocket;
  frames: Frame[];
  /** resolves with the first matching frame received at or after index `from` (default: any so far, or later) */
  next(pred: (f: Frame) => boolean, timeoutMs?: number, from?: number): Promise<Frame>;
  /** waits `ms` and returns the frames that matched meanwhile */
  quiet(ms: number, pred?: (f: Frame) => boolean): Promise<Frame[]>;
  closed: Promise<{ code: number; reason: string }>;
  send(obj: unknown): void;
  close(): void;
}

export function wsUrl(base: string, q: Record<string, string | undefined>): string {
  const u = new URL('/v1/stream', base.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries(q)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

/** Opens a stream; rejects with the HTTP status when the handshake is refused. */
export function openStream(base: string, q: { token?: string; since?: string }, headers: Record<string, string> = {}): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(base, q), { headers });
    const frames: Frame[] = [];
    const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as Frame;
      frames.push(f);
      for (const w of [...waiters]) {
        if (w.pred(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('unexpected-response', (_req, res) => {
      const err = new Error(`handshake refused: ${res.statusCode}`) as Error & { status?: number };
      err.status = res.statusCode;
      reject(err);
    });
    ws.on('error', (e) => reject(e));
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        closed,
        next(pred, timeoutMs = 3000, from = 0) {
          const hit = frames.slice(from).find(pred);
          if (hit) return Promise.resolve(hit);
          return new Promise<Frame>((res, rej) => {
            const w = { pred, resolve: (f: Frame) => (clearTimeout(t), res(f)) };
            const t = setTimeout(() => {
              waiters.splice(waiters.indexOf(w), 1);
              rej(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((x) => [x.id, x.type]))}`));
            }, timeoutMs);
            waiters.push(w);
          });
        },
        async quiet(ms, pred = () => true) {
          const start = frames.length;
          await new Promise((r) => setTimeout(r, ms));
          return frames.slice(start).filter(pred);
        },
        send(obj) {
          ws.send(JSON.stringify(obj));
        },
        close() {
          ws.close();
        },
      }),
    );
  });
}
