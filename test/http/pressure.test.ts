/**
 * The door's count of requests in flight (src/http/pressure.ts) on a plain Node server: whatever
 * way a request ends, it is counted out exactly once.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { shedAtTheDoor } from '../../src/http/pressure.js';
import { Metrics } from '../../src/util/metrics.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server answering every request after `ms`, behind the door with `limit` in flight. */
async function slowServer(ms: number, limit: number) {
  const metrics = new Metrics();
  server = createServer((_req, res) => {
    setTimeout(() => res.end('ok'), ms);
  });
  shedAtTheDoor(server, metrics, limit);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return { metrics, url: `http://127.0.0.1:${port}`, port };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('requests in flight', () => {
  it('answered requests are counted out', async () => {
    const s = await slowServer(5, 4);
    await Promise.all([1, 2, 3].map(() => fetch(`${s.url}/a`).then((r) => r.text())));
    await settle(20);
    expect(s.metrics.inFlightNow).toBe(0);
  });

  it('pipelined requests whose client goes away before their answers are counted out too', async () => {
    const s = await slowServer(100, 4);
    const sock = connect(s.port, '127.0.0.1');
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(4));
    await settle(30);
    expect(s.metrics.inFlightNow).toBe(4);
    sock.destroy();
    await settle(200);
    expect(s.metrics.inFlightNow).toBe(0);
    expect((await fetch(`${s.url}/b`)).status).toBe(200);
  });
});
