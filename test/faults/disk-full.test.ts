/**
 * The attachment disk full (issue 22): the instance's attachment folder is a 1 MiB tmpfs (we mount
 * it; the test is skipped where mounting is not allowed). An upload that does not fit answers 507
 * insufficient_storage, quickly, with nothing half-written left on the disk and no row; messages
 * without attachments (and with the attachments already stored) keep working, and a file that fits
 * is still accepted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { resolvePolicy } from '../../src/policy/policy.js';
import { startServer, type Instance } from '../../src/server.js';

function multipart(filename: string, content: Buffer) {
  const boundary = '----liaisonfault' + Math.random().toString(16).slice(2);
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n`);
  return { payload: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Plain text of `size` bytes, different for each `seed` (so each is a new file). */
const text = (size: number, seed: string) => Buffer.from(`${seed}\n`.padEnd(size, 'lorem ipsum dolor sit amet '));

let tmp: string;
let dir: string;
let mounted = false;
let why = '';
try {
  if (process.getuid?.() !== 0) why = 'not root';
} catch {
  why = 'no uid';
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'liaison-diskfull-'));
  dir = join(tmp, 'attachments');
  mkdirSync(dir);
  if (why) return;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    why = `mount refused: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
  }
});

afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', dir]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('attachment disk full (a 1 MiB tmpfs)', () => {
  it('507 insufficient_storage, nothing half-written, no orphan row; messages keep working', async (ctx) => {
    if (!mounted) {
      console.log(`disk-full test skipped: ${why}`);
      ctx.skip();
    }
    const config: Config = {
      port: 0,
      host: '127.0.0.1',
      dataDir: tmp, // PGlite in <tmp>/pgdata on the real disk; attachments in <tmp>/attachments on the tmpfs
      policy: resolvePolicy({}),
      logLevel: 'silent',
    };
    const inst: Instance = await startServer(config, { listen: false });
    try {
      const call = async (method: string, url: string, o: { token?: string; body?: unknown; raw?: { payload: Buffer; contentType: string } } = {}) => {
        const headers: Record<string, string> = {};
        if (o.token) headers.authorization = `Bearer ${o.token}`;
        let payload: string | Buffer | undefined;
        if (o.raw) {
          payload = o.raw.payload;
          headers['content-type'] = o.raw.contentType;
        } else if (o.body !== undefined) {
          payload = JSON.stringify(o.body);
          headers['content-type'] = 'application/json';
        }
        const t0 = performance.now();
        const r = await Promise.race([
          inst.app.inject({ method: method as never, url, headers, payload }),
          new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${method} ${url}: no answer within 10 s (hung)`)), 10_000)),
        ]);
        let body: any;
        try {
          body = r.body ? JSON.parse(r.body) : undefined;
        } catch {
          body = undefined; // a downloaded file
        }
        return { status: r.statusCode, body, text: r.body, ms: performance.now() - t0 };
      };
      const who = async (handle: string) => {
        const r = await call('POST', '/v1/accounts', { body: { handle, name: handle, email: `${handle}@example.test`, password: 'correct horse battery' } });
        expect(r.status, r.text).toBe(201);
        return r.body.token as string;
      };
      const a = await who('disk_a');
      const b = await who('disk_b');
      const inv = await call('POST', '/v1/invitations', { token: a, body: { to: 'disk_b' } });
      expect((await call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b })).status).toBe(200);
      const rows = async () =>
        ((await inst.store.db.execute('select count(*)::int as n from attachments' as never)) as unknown as { rows: { n: number }[] }).rows[0]!.n;

      const first = await call('POST', '/v1/attachments', { token: a, raw: multipart('first.txt', text(600 * 1024, 'first')) });
      expect(first.status, first.text).toBe(201);

      // 700 KiB more does not fit in what is left of 1 MiB
      const full = await call('POST', '/v1/attachments', { token: a, raw: multipart('second.txt', text(700 * 1024, 'second')) });
      expect(full.status, full.text).toBe(507);
      expect(full.body.error.code).toBe('insufficient_storage');
      expect(typeof full.body.error.message).toBe('string');
      expect(full.ms).toBeLessThan(3000);
      expect(
        readdirSync(dir).filter((f) => f.startsWith('.upload-')),
        'half-written temporary files',
      ).toEqual([]);
      expect(readdirSync(dir)).toHaveLength(1); // the first file only
      expect(await rows(), 'attachment rows').toBe(1);

      // messages without attachments, and with the attachment already stored, keep working
      const plain = await call('POST', '/v1/messages', { token: a, body: { to: 'disk_b', body: 'no attachment' } });
      expect(plain.status, plain.text).toBe(201);
      const withFirst = await call('POST', '/v1/messages', { token: a, body: { to: 'disk_b', body: 'the first file', attachments: [first.body.id] } });
      expect(withFirst.status, withFirst.text).toBe(201);
      const dl = await call('GET', `/v1/attachments/${first.body.id}`, { token: b });
      expect(dl.status).toBe(200);
      // the space of the refused upload was given back: a file that fits is accepted
      const small = await call('POST', '/v1/attachments', { token: a, raw: multipart('small.txt', text(100 * 1024, 'small')) });
      expect(small.status, small.text).toBe(201);
      expect(await rows()).toBe(2);
      const metrics = await call('GET', '/metrics');
      expect(metrics.text).toMatch(/liaison_attachment_disk_full_total 1/);
    } finally {
      await inst.close();
    }
  }, 60_000);
});
