/**
 * Load shedding at the door (src/http/pressure.ts) and the serving limits from the environment,
 * in-process (PGlite by default). Requests are held in flight by sending their headers and not
 * their body, so the limit is reached deterministically.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { resolvePolicy } from '../../src/policy/policy.js';
import { startServer, type Instance } from '../../src/server.js';

let inst: Instance;
let port: number;
const held: Socket[] = [];

beforeAll(async () => {
  const config: Config = { port: 0, host: '127.0.0.1', dataDir: 'memory://', policy: resolvePolicy({}), logLevel: 'silent', maxInFlight: 2 };
  inst = await startServer(config);
  port = Number(new URL(inst.url).port);
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await inst?.close();
});

/** A request whose headers arrive and whose body never does: in flight until the socket closes. */
async function hold(): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.on('error', () => undefined);
  s.write(`POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
  held.push(s);
  return s;
}

const metricValue = async (name: string) => {
  const text = await (await fetch(`${inst.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ').pop()) : undefined;
};

describe('load shedding (LIAISON_MAX_IN_FLIGHT)', () => {
  it('beyond the limit: 503 service_unavailable with Retry-After at once, in API.md shape; operator routes still answer; back to normal when requests finish', async () => {
    expect((await fetch(`${inst.url}/v1/policy`)).status).toBe(200);
    const a = await hold();
    const b = await hold();
    await new Promise((r) => setTimeout(r, 100));
    expect(await metricValue('liaison_http_in_flight')).toBe(2);
    const t0 = performance.now();
    const r = await fetch(`${inst.url}/v1/policy`);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(await r.json()).toEqual({ error: { code: 'service_unavailable', message: expect.any(String), details: { reason: 'overloaded' } } });
    // never refused: liveness, readiness, metrics
    expect((await fetch(`${inst.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${inst.url}/readyz`)).status).toBe(200);
    expect(await metricValue('liaison_load_shed_total')).toBe(1);
    // the held requests end (their clients gave up): the slots are free again
    a.destroy();
    b.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await metricValue('liaison_http_in_flight')).toBe(0);
    expect((await fetch(`${inst.url}/v1/policy`)).status).toBe(200);
  });
});

describe('serving limits from the environment', () => {
  it('reads LIAISON_DB_* and LIAISON_MAX_IN_FLIGHT, and refuses what is not a whole number in range', () => {
    const c = loadConfig({
      LIAISON_DB_POOL_SIZE: '20',
      LIAISON_DB_STATEMENT_TIMEOUT_MS: '3000',
      LIAISON_DB_CONNECT_TIMEOUT_MS: '500',
      LIAISON_MAX_IN_FLIGHT: '0',
    });
    expect(c.db).toEqual({ poolSize: 20, statementTimeoutMs: 3000, connectTimeoutMs: 500 });
    expect(c.maxInFlight).toBe(0);
    expect(loadConfig({}).maxInFlight).toBeUndefined(); // the default (64) applies
    expect(() => loadConfig({ LIAISON_DB_POOL_SIZE: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ LIAISON_DB_STATEMENT_TIMEOUT_MS: '1.5' })).toThrow(/LIAISON_DB_STATEMENT_TIMEOUT_MS/);
    expect(() => loadConfig({ LIAISON_MAX_IN_FLIGHT: 'lots' })).toThrow(/LIAISON_MAX_IN_FLIGHT/);
  });
});
