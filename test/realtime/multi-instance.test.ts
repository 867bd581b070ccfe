/**
 * Several instances: two (then three) real `liaison serve` processes on one PostgreSQL database and
 * one NATS server, as in production behind a load balancer. Runs only with DATABASE_URL (or a Citus
 * coordinator in LIAISON_TEST_CITUS_URL) and
 * LIAISON_NATS_URL set (the machine's services; see .ci/run).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citusUrl, scratchDatabase } from '../helpers/harness.js';
import { startProcess } from '../helpers/process.js';
import { openStream, type Frame, type StreamClient } from './client.js';

const enabled = (!!process.env.DATABASE_URL || !!citusUrl) && !!process.env.LIAISON_NATS_URL;

interface Proc {
  url: string;
  child: ChildProcess;
  out: () => string;
}
interface Who {
  token: string;
  handle: string;
  id: string;
}

async function call(base: string, method: string, path: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + path, {
    method,
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: r.status, body, text };
}

describe.skipIf(!enabled)('several instances (PostgreSQL + NATS)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let tmp: string;
  let env: Record<string, string>;
  let A: Proc;
  let B: Proc;
  const procs: Proc[] = [];
  const sockets: StreamClient[] = [];
  let seq = 0;

  async function start(): Promise<Proc> {
    const p = await startProcess(env);
    procs.push(p);
    return p;
  }

  async function stream(p: Proc, q: { token: string; since?: string }) {
    const s = await openStream(p.url, q);
    sockets.push(s);
    return s;
  }

  async function signUp(p: Proc): Promise<Who> {
    const handle = `mi${process.pid % 10000}_${++seq}_${randomBytes(2).toString('hex')}`;
    const r = await call(p.url, 'POST', '/v1/accounts', {
      body: { handle, name: `Name ${handle}`, email: `${handle}@example.test`, password: 'correct horse battery' },
    });
    expect(r.status, r.text).toBe(201);
    return { token: r.body.token, handle, id: r.body.member.id };
  }

  /** x invites y through `via`, y accepts through `acceptVia`. */
  async function connect(via: Proc, acceptVia: Proc, x: Who, y: Who) {
    const inv = await call(via.url, 'POST', '/v1/invitations', { token: x.token, body: { to: y.handle } });
    expect(inv.status, inv.text).toBe(201);
    const acc = await call(acceptVia.url, 'POST', `/v1/invitations/${inv.body.id}/accept`, { token: y.token });
    expect(acc.status, acc.text).toBe(200);
  }

  async function degreeOn(p: Proc, viewer: Who, handle: string): Promise<number | null | 'hidden'> {
    const r = await call(p.url, 'GET', `/v1/members/${handle}`, { token: viewer.token });
    if (r.status === 404) return 'hidden';
    expect(r.status, r.text).toBe(200);
    return r.body.degree;
  }

  async function within<T>(ms: number, f: () => Promise<T>, ok: (v: T) => boolean): Promise<{ value: T; ms: number }> {
    const t0 = performance.now();
    for (;;) {
      const value = await f();
      const el = performance.now() - t0;
      if (ok(value)) return { value, ms: el };
      if (el > ms) throw new Error(`not within ${ms} ms: last ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    db = await scratchDatabase();
    tmp = mkdtempSync(join(tmpdir(), 'liaison-mi-'));
    const policy = join(tmp, 'policy.json');
    writeFileSync(policy, JSON.stringify({ messagesPerMinute: 1_000_000 }));
    env = {
      DATABASE_URL: db.url,
      LIAISON_NATS_URL: process.env.LIAISON_NATS_URL!,
      // one subject per run, so parallel runs on the same NATS do not cross
      LIAISON_NATS_SUBJECT: `liaison_test.${randomBytes(6).toString('hex')}`,
      LIAISON_POLICY: policy,
      LIAISON_DATA_DIR: tmp,
      LOG_LEVEL: 'info',
    };
    A = await start();
    B = await start();
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((r) => {
            if (p.child.exitCode !== null || p.child.signalCode !== null) return r();
            p.child.once('exit', () => r());
            p.child.kill('SIGKILL');
          }),
      ),
    );
    await db?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a message sent through A reaches the recipient socket on B within 1 second', async () => {
    const a = await signUp(A);
    const b = await signUp(B);
    await connect(A, B, a, b);
    const sb = await stream(B, { token: b.token });
    for (let i = 0; i < 5; i++) {
      const body = `cross-instance ${i}`;
      const t0 = performance.now();
      const r = await call(A.url, 'POST', '/v1/messages', { token: a.token, body: { to: b.handle, body } });
      expect(r.status, r.text).toBe(201);
      await sb.next((f) => f.type === 'message.created' && f.data.message.body === body, 1000);
      expect(performance.now() - t0).toBeLessThan(1000);
    }
  });

  it('a connection accepted through A shows degree 1 on B within 1 second; a block through A hides the member on B at once', async () => {
    const x = await signUp(A);
    const y = await signUp(A);
    expect(await degreeOn(B, x, y.handle)).not.toBe(1);
    await connect(A, A, x, y);
    const seen = await within(
      1000,
      () => degreeOn(B, x, y.handle),
      (d) => d === 1,
    );
    expect(seen.ms).toBeLessThan(1000);
    // a third instance starting late loads from storage, then follows the bus
    const z = await signUp(A);
    const w = await signUp(A);
    const C = await start();
    expect(await degreeOn(C, x, y.handle)).toBe(1);
    await connect(A, B, z, w);
    await within(
      1000,
      () => degreeOn(C, z, w.handle),
      (d) => d === 1,
    );
    const blk = await call(A.url, 'POST', '/v1/blocks', { token: x.token, body: { handle: y.handle } });
    expect(blk.status, blk.text).toBe(201);
    expect(await degreeOn(B, y, x.handle)).toBe('hidden');
    expect(await degreeOn(B, x, y.handle)).toBe('hidden');
    expect(await degreeOn(C, y, x.handle)).toBe('hidden');
  });

  it('a socket that reconnects with since=<id> (to the other instance) receives each missed event once', async () => {
    const a = await signUp(A);
    const b = await signUp(B);
    await connect(A, B, a, b);
    const s1 = await stream(B, { token: b.token });
    await call(A.url, 'POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'seen' } });
    const seen = await s1.next((f) => f.type === 'message.created' && f.data.message.body === 'seen');
    s1.close();
    await s1.closed;
    const missed = Array.from({ length: 10 }, (_, i) => `missed ${i}`);
    for (const [i, body] of missed.entries()) {
      const r = await call(i % 2 ? A.url : B.url, 'POST', '/v1/messages', { token: a.token, body: { to: b.handle, body } });
      expect(r.status).toBe(201);
    }
    const s2 = await stream(A, { token: b.token, since: seen.id });
    await s2.next((f) => f.data.message?.body === 'missed 9');
    await call(B.url, 'POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'live' } });
    await s2.next((f) => f.data.message?.body === 'live');
    await s2.quiet(300);
    const bodies = s2.frames.filter((f) => f.type === 'message.created').map((f) => f.data.message.body);
    expect(bodies).toEqual([...missed, 'live']);
    expect(new Set(s2.frames.map((f) => f.id)).size).toBe(s2.frames.length);
  });

  it("notification.created: an invitation sent through A reaches the invitee's socket on B within 1 second; an update to its group is sent again; a reconnect to A with since= replays it", async () => {
    const b = await signUp(B);
    const [x, y] = [await signUp(A), await signUp(A)];
    const sb = await stream(B, { token: b.token });
    const t0 = performance.now();
    const inv = await call(A.url, 'POST', '/v1/invitations', { token: x.token, body: { to: b.handle } });
    expect(inv.status, inv.text).toBe(201);
    const first = await sb.next((f) => f.type === 'notification.created', 1000);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(first.data.notification).toMatchObject({ kind: 'invitation.received', count: 1, read: false, subject: { invitationId: inv.body.id } });
    expect(first.data.notification.actors.map((m: any) => m.handle)).toEqual([x.handle]);
    // read on B, then y invites through A: the same group, unread again, sent again
    const read = await call(B.url, 'POST', '/v1/notifications/read', { token: b.token, body: { upTo: first.data.notification.id } });
    expect(read.status, read.text).toBe(204);
    expect((await call(A.url, 'GET', '/v1/me', { token: b.token })).body.unread.notifications).toBe(0);
    const inv2 = await call(A.url, 'POST', '/v1/invitations', { token: y.token, body: { to: b.handle } });
    expect(inv2.status, inv2.text).toBe(201);
    const second = await sb.next((f) => f.type === 'notification.created' && f.id !== first.id, 1000);
    expect(second.data.notification).toMatchObject({ id: first.data.notification.id, count: 2, read: false });
    expect(second.data.notification.actors.map((m: any) => m.handle)).toEqual([y.handle, x.handle]);
    expect((await call(B.url, 'GET', '/v1/me', { token: b.token })).body.unread.notifications).toBe(1);
    const listed = await call(A.url, 'GET', '/v1/notifications', { token: b.token });
    expect(listed.body.items[0]).toEqual(second.data.notification);
    // a socket on A that missed both (since= the event before the first) gets them once each
    const s2 = await stream(A, { token: b.token, since: String(Number(first.id) - 1) });
    await s2.next((f) => f.id === second.id);
    await s2.quiet(200);
    expect(s2.frames.filter((f) => f.type === 'notification.created').map((f) => f.id)).toEqual([first.id, second.id]);
  });

  it('kill -9 of A during 1,000 sends with Idempotency-Key, retried on B: every message stored and delivered exactly once', async () => {
    const s = await signUp(A);
    const r = await signUp(B);
    await connect(A, B, s, r);
    const sock = await stream(B, { token: r.token });
    const N = 1000;
    const acked = new Set<number>();
    let aDead = false;
    let next = 0;
    let retriedOnB = 0;
    const sendOne = async (i: number) => {
      const req = { token: s.token, body: { to: r.handle, body: `kill test ${i}` }, headers: { 'idempotency-key': `kill-${i}` } };
      for (let attempt = 0; attempt < 20; attempt++) {
        const target = aDead || attempt > 0 ? B : A;
        try {
          const res = await call(target.url, 'POST', '/v1/messages', req);
          if (res.status === 201) {
            acked.add(i);
            if (target === B && attempt > 0) retriedOnB++;
            return;
          }
          if (res.status < 500) throw new Error(`send ${i}: ${res.status} ${res.text}`);
        } catch (e) {
          if ((e as Error).message.startsWith('send ')) throw e;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
      throw new Error(`send ${i}: gave up`);
    };
    const worker = async () => {
      while (next < N) {
        const i = next++;
        if (i === 300 && !aDead) {
          aDead = true;
          A.child.kill('SIGKILL');
        }
        await sendOne(i);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(acked.size).toBe(N);
    expect(A.child.signalCode).toBe('SIGKILL');
    console.log(`kill -9 test: ${retriedOnB} requests failed on A and were retried on B`);

    // storage: each message exactly once
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = await c.query(`select body, count(*)::int as n from messages where sender_id = $1 group by body`, [Number(s.id)]);
      expect(rows.rows.length).toBe(N);
      expect(rows.rows.every((x) => x.n === 1)).toBe(true);
    } finally {
      await c.end();
    }
    // the recipient's conversation: each message exactly once
    const convs = await call(B.url, 'GET', '/v1/conversations?folder=inbox', { token: r.token });
    const conv = convs.body.items.find((x: any) => x.participants.some((p: any) => p.handle === s.handle));
    const bodies: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof call>> = await call(
        B.url,
        'GET',
        `/v1/conversations/${conv.id}/messages?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: r.token },
      );
      expect(page.status, page.text).toBe(200);
      bodies.push(...page.body.items.map((m: any) => m.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(bodies.length).toBe(N);
    expect(new Set(bodies).size).toBe(N);
    // the recipient's socket on B: every message once (what A committed but never published is caught up from storage)
    const got = (fs: Frame[]) => fs.filter((f) => f.type === 'message.created' && f.data.message.body.startsWith('kill test '));
    const t0 = performance.now();
    while (got(sock.frames).length < N && performance.now() - t0 < 8000) await new Promise((res) => setTimeout(res, 50));
    const delivered = got(sock.frames).map((f) => f.data.message.body);
    expect(new Set(delivered).size).toBe(N);
    expect(delivered.length).toBe(N);
  }, 120_000);

  it('SIGTERM drains the sockets with 1012 so clients reconnect elsewhere', async () => {
    const a = await signUp(B);
    const sb = await stream(B, { token: a.token });
    B.child.kill('SIGTERM');
    const closed = await sb.closed;
    expect(closed.code).toBe(1012);
  });
});
