/**
 * The load process of bench:mixed: C concurrent loops for S seconds against two instances
 * (alternating), 70% profile views, 20% inbox and conversation reads, 10% sends. Prints one JSON
 * line with per-route latencies. Input: a JSON file (argv[2]) with urls, members and their tokens.
 * With `recipients`, each has a stream socket on the second instance: the time from a send's POST on
 * the first instance to its message.created frame on that socket is the cross-instance delivery.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { mulberry32 } from '../src/graph/generate.js';

interface Input {
  urls: string[];
  seconds: number;
  concurrency: number;
  members: number;
  prefix: string;
  senders: { token: string; to: string }[];
  viewers: string[];
  recipients?: { handle: string; token: string }[];
}

const input = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Input;
const lat: Record<string, number[]> = { profile: [], inbox: [], messages: [], send: [] };
const errors: Record<string, number> = {};
const convIds = new Map<string, string>();
/** sends on the first instance to a recipient with a socket on the second, by body: when the POST began */
const inFlight = new Map<string, number>();
const delivery: number[] = [];
const watched = new Set((input.recipients ?? []).map((r) => r.handle));

/** One stream socket per recipient on the second instance; resolves once all are open. */
async function openSockets(): Promise<WebSocket[]> {
  const base = input.urls[1]?.replace(/^http/, 'ws');
  if (!base || !input.recipients?.length) return [];
  return Promise.all(
    input.recipients.map(
      (r) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`${base}/v1/stream?token=${encodeURIComponent(r.token)}`);
          ws.on('message', (d: Buffer) => {
            const f = JSON.parse(d.toString()) as { type?: string; data?: { message?: { body?: string } } };
            const body = f.type === 'message.created' ? f.data?.message?.body : undefined;
            const t = body !== undefined ? inFlight.get(body) : undefined;
            if (t !== undefined) {
              inFlight.delete(body!);
              delivery.push(performance.now() - t);
            }
          });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
}

async function once(rnd: () => number, i: number): Promise<void> {
  const url = input.urls[i % input.urls.length];
  const x = rnd();
  let route: string;
  let res: Response;
  let sender: { token: string; to: string } | null = null;
  const t = performance.now();
  if (x < 0.7) {
    route = 'profile';
    const token = input.viewers[Math.floor(rnd() * input.viewers.length)];
    res = await fetch(`${url}/v1/members/${input.prefix}${Math.floor(rnd() * input.members)}`, { headers: { authorization: `Bearer ${token}` } });
  } else if (x < 0.9) {
    const s = input.senders[Math.floor(rnd() * input.senders.length)];
    const conv = convIds.get(s.token);
    if (conv && rnd() < 0.5) {
      route = 'messages';
      res = await fetch(`${url}/v1/conversations/${conv}/messages?limit=20`, { headers: { authorization: `Bearer ${s.token}` } });
    } else {
      route = 'inbox';
      res = await fetch(`${url}/v1/conversations?folder=inbox&limit=20`, { headers: { authorization: `Bearer ${s.token}` } });
    }
  } else {
    route = 'send';
    const s = input.senders[Math.floor(rnd() * input.senders.length)];
    sender = s;
    const body = `mixed load ${i}`;
    if (url === input.urls[0] && input.urls.length > 1 && watched.has(s.to)) inFlight.set(body, t);
    res = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: s.to, body }),
    });
  }
  const text = await res.text();
  lat[route].push(performance.now() - t);
  if (res.status >= 400) errors[`${route} ${res.status}`] = (errors[`${route} ${res.status}`] ?? 0) + 1;
  else if (route === 'send') {
    const id = (JSON.parse(text) as { conversation?: { id?: string } }).conversation?.id;
    if (id && sender) convIds.set(sender.token, id);
  }
}

async function main() {
  const sockets = await openSockets();
  const end = performance.now() + input.seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: input.concurrency }, async (_, w) => {
      const rnd = mulberry32(1000 + w);
      for (let i = w; performance.now() < end; i += input.concurrency) {
        try {
          await once(rnd, i);
        } catch (e) {
          errors[`network ${(e as Error).message}`] = (errors[`network ${(e as Error).message}`] ?? 0) + 1;
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const out: Record<string, unknown> = { seconds: secs, errors, routes: {} };
  for (const [k, v] of Object.entries(lat)) {
    v.sort((a, b) => a - b);
    (out.routes as Record<string, unknown>)[k] = { n: v.length, p50: v[Math.floor(v.length / 2)] ?? NaN, p99: v[Math.floor(v.length * 0.99)] ?? NaN };
  }
  // the last sends' frames: a moment to arrive
  if (sockets.length) await new Promise((r) => setTimeout(r, 500));
  for (const ws of sockets) ws.close();
  delivery.sort((a, b) => a - b);
  out.delivery = {
    n: delivery.length,
    lost: inFlight.size,
    p50: delivery[Math.floor(delivery.length / 2)] ?? NaN,
    p99: delivery[Math.floor(delivery.length * 0.99)] ?? NaN,
  };
  console.log(JSON.stringify(out));
}

void main();
