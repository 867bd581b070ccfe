/**
 * The mapping of storage faults to API.md's answers, in-process (PGlite by default, PostgreSQL with
 * DATABASE_URL): storage unreachable → 503 service_unavailable with Retry-After, never a 500; the
 * attachment disk full → 507 insufficient_storage. The classification is checked on errors thrown by
 * the real drivers (node-postgres, pg-pool, PGlite), not hand-made ones, where a driver can make them.
 */
import { createServer, type Server } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isDiskFull, storageUnavailableReason } from '../../src/store/faults.js';
import { harness, signUp, storageKind } from '../helpers/harness.js';
import { freePort } from './cluster.js';

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

describe('storage errors from the real drivers', () => {
  it('nothing listening (PostgreSQL stopped): ECONNREFUSED through Drizzle', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/x`, connectionTimeoutMillis: 1000 });
    const e = await thrown(drizzlePg(pool).execute(sql`select 1`));
    await pool.end();
    expect(storageUnavailableReason(e)).toBe('ECONNREFUSED');
  });

  it('a server that accepts and never answers: the connect timeout gives up, as a storage fault', async () => {
    const hole = createServer(() => undefined);
    servers.push(hole);
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const port = (hole.address() as { port: number }).port;
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/x`, connectionTimeoutMillis: 300 });
    const t0 = performance.now();
    const e = await thrown(drizzlePg(pool).execute(sql`select 1`));
    expect(performance.now() - t0).toBeLessThan(2000);
    await pool.end().catch(() => undefined);
    expect(storageUnavailableReason(e)).toBeDefined();
  });

  it('a connection cut by the server (the socket closes mid-session)', async () => {
    // a fake server that closes every connection as soon as the client speaks
    const cutter = createServer((s) => s.once('data', () => s.destroy()));
    servers.push(cutter);
    await new Promise<void>((r) => cutter.listen(0, '127.0.0.1', r));
    const port = (cutter.address() as { port: number }).port;
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` });
    client.on('error', () => undefined);
    const e = await thrown(client.connect());
    expect(storageUnavailableReason(e)).toBeDefined();
  });

  it('PGlite closed under the app', async () => {
    const db = await PGlite.create('memory://');
    await db.close();
    const e = await thrown(drizzlePglite(db).execute(sql`select 1`));
    expect(storageUnavailableReason(e)).toBeDefined();
  });

  it('SQLSTATEs of a server going away or saturated are faults; a constraint violation, a syntax error or a bug are not', async () => {
    const pgError = (code: string) => Object.assign(new Error('server said no'), { code, severity: 'FATAL' });
    const wrapped = (cause: unknown) => Object.assign(new Error('Failed query: insert …'), { cause });
    for (const code of ['57P01', '57P02', '57P03', '57014', '08006', '08001', '53300', '53100', '55P03', '25P03'])
      expect(storageUnavailableReason(wrapped(pgError(code))), code).toBe(code);
    for (const code of ['23505', '23503', '42601', '22P02']) expect(storageUnavailableReason(wrapped(pgError(code))), code).toBeUndefined();
    expect(storageUnavailableReason(new TypeError('x is undefined'))).toBeUndefined();
    expect(storageUnavailableReason(new Error('timeout exceeded when trying to connect'))).toBe('pool_timeout');
    expect(isDiskFull(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('EACCES'), { code: 'EACCES' }))).toBe(false);
  });
});

describe(`the app when its storage is gone (${storageKind}, in-process)`, () => {
  it('answers 503 service_unavailable with Retry-After (never 500), /readyz 503, /healthz 200, and counts it', async () => {
    const h = await harness();
    const a = await signUp(h);
    const b = await signUp(h);
    await h.inst.store.close(); // storage gone: PGlite closed, or the pool ended
    try {
      const answers = [
        await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'hello' } }),
        await h.call('POST', '/v1/accounts', { body: { handle: 'late_one', name: 'Late', email: 'late@example.test', password: 'correct horse battery' } }),
        await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } }),
      ];
      for (const r of answers) {
        expect(r.status, r.text).toBe(503);
        expect(r.body.error.code).toBe('service_unavailable');
        expect(typeof r.body.error.message).toBe('string');
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      const ready = await h.call('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('storage unreachable');
      expect((await h.call('GET', '/healthz')).status).toBe(200);
      const m = (await h.call('GET', '/metrics')).text;
      expect(m).toMatch(/liaison_storage_unavailable_total\{reason="[^"]+"\} [1-9]/);
    } finally {
      await h.close().catch(() => undefined);
    }
  });
});
