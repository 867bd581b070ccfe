/**
 * Warm introductions across two real `liaison serve` processes on one PostgreSQL database and one
 * NATS server (issue 21, "Done when ... across two instances"): the introducer's socket is on A, the
 * target's on B. The asker asks through B and the introducer hears introduction.asked live on A; the
 * introducer forwards through A and the target hears introduction.forwarded and conversation.request
 * live on B, then accepts through B. Runs only with DATABASE_URL (or LIAISON_TEST_CITUS_URL) and LIAISON_NATS_URL set (see
 * test/realtime/multi-instance.test.ts and .ci/run); skipped otherwise.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citusUrl, scratchDatabase } from '../helpers/harness.js';
import { startProcess } from '../helpers/process.js';
import { openStream, type StreamClient } from './client.js';

const enabled = (!!process.env.DATABASE_URL || !!citusUrl) && !!process.env.LIAISON_NATS_URL;
/** "live": what a socket on one instance must receive within, after a write through the other */
const LIVE_MS = 1000;

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

async function call(base: string, method: string, path: string, o: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
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

describe.skipIf(!enabled)('introductions across two instances (PostgreSQL + NATS)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let tmp: string;
  let A: Proc;
  let B: Proc;
  const procs: Proc[] = [];
  const sockets: StreamClient[] = [];
  let seq = 0;

  async function stream(p: Proc, token: string) {
    const s = await openStream(p.url, { token });
    sockets.push(s);
    return s;
  }

  async function signUp(p: Proc, name: string): Promise<Who> {
    const handle = `in${process.pid % 10000}_${++seq}_${randomBytes(2).toString('hex')}`;
    const r = await call(p.url, 'POST', '/v1/accounts', {
      body: { handle, name, email: `${handle}@example.test`, password: 'correct horse battery' },
    });
    expect(r.status, r.text).toBe(201);
    return { token: r.body.token, handle, id: r.body.member.id };
  }

  async function connect(via: Proc, acceptVia: Proc, x: Who, y: Who) {
    const inv = await call(via.url, 'POST', '/v1/invitations', { token: x.token, body: { to: y.handle } });
    expect(inv.status, inv.text).toBe(201);
    const acc = await call(acceptVia.url, 'POST', `/v1/invitations/${inv.body.id}/accept`, { token: y.token });
    expect(acc.status, acc.text).toBe(200);
  }

  /** Until `viewer` sees `handle` at `degree` through instance `p` (its graph follows the bus). */
  async function degreeOn(p: Proc, viewer: Who, handle: string, degree: number): Promise<void> {
    const t0 = performance.now();
    for (;;) {
      const r = await call(p.url, 'GET', `/v1/members/${handle}`, { token: viewer.token });
      if (r.status === 200 && r.body.degree === degree) return;
      if (performance.now() - t0 > 5000) throw new Error(`degree on ${p.url} not ${degree}: ${r.status} ${r.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  beforeAll(async () => {
    db = await scratchDatabase();
    tmp = mkdtempSync(join(tmpdir(), 'liaison-intro-mi-'));
    const policy = join(tmp, 'policy.json');
    writeFileSync(policy, JSON.stringify({ messagesPerMinute: 1_000_000 }));
    const env = {
      DATABASE_URL: db.url,
      LIAISON_NATS_URL: process.env.LIAISON_NATS_URL!,
      // one subject per run, so parallel runs on the same NATS do not cross
      LIAISON_NATS_SUBJECT: `liaison_test.${randomBytes(6).toString('hex')}`,
      LIAISON_POLICY: policy,
      LIAISON_DATA_DIR: tmp,
      LOG_LEVEL: 'info',
    };
    for (let i = 0; i < 2; i++) procs.push(await startProcess(env));
    [A, B] = procs as [Proc, Proc];
  }, 120_000);

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

  it('asked through B reaches the introducer on A live; forwarded through A reaches the target on B live', async () => {
    const asker = await signUp(B, 'Ava Asker');
    const via = await signUp(A, 'Ian Ives');
    const target = await signUp(B, 'Tess Tran');
    // the connections are written through both instances; both graphs must know them
    await connect(B, A, asker, via);
    await connect(A, B, via, target);
    await degreeOn(B, asker, target.handle, 2);
    await degreeOn(A, via, target.handle, 1);

    const sVia = await stream(A, via.token);
    const sTarget = await stream(B, target.token);
    const sAsker = await stream(B, asker.token);

    // the asker asks through B: the introducer's socket on A hears it within a second
    const t0 = performance.now();
    const ask = await call(B.url, 'POST', '/v1/introductions', { token: asker.token, body: { to: target.handle, via: via.handle, note: 'Hello via B' } });
    expect(ask.status, ask.text).toBe(201);
    const asked = await sVia.next((f) => f.type === 'introduction.asked' && f.data.introduction.id === ask.body.id, LIVE_MS);
    expect(performance.now() - t0).toBeLessThan(LIVE_MS);
    expect(asked.data.introduction).toMatchObject({ from: { handle: asker.handle }, to: { handle: target.handle }, note: 'Hello via B', status: 'asked' });
    // and A lists it for the introducer
    const list = await call(A.url, 'GET', '/v1/introductions?role=to_forward', { token: via.token });
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([ask.body.id]);

    // the introducer forwards through A: the target's socket on B hears the introduction and the request
    const t1 = performance.now();
    const fwd = await call(A.url, 'POST', `/v1/introductions/${ask.body.id}/forward`, { token: via.token, body: { note: 'Forwarded from A' } });
    expect(fwd.status, fwd.text).toBe(200);
    const forwarded = await sTarget.next((f) => f.type === 'introduction.forwarded' && f.data.introduction.id === ask.body.id, LIVE_MS);
    const request = await sTarget.next((f) => f.type === 'conversation.request' && f.data.conversationId === forwarded.data.conversationId, LIVE_MS);
    expect(performance.now() - t1).toBeLessThan(LIVE_MS);
    expect(forwarded.data.introduction).toMatchObject({ via: { handle: via.handle }, forwardNote: 'Forwarded from A', status: 'forwarded' });
    expect(request.data.message).toMatchObject({ channel: 'introduction', body: 'Hello via B', sender: { handle: asker.handle } });
    // the asker's own socket on B has their message (their list of asks refreshes on it)
    await sAsker.next((f) => f.type === 'message.created' && f.data.message.channel === 'introduction', LIVE_MS);

    // B shows the request with its introducer and both notes; the target accepts it through B
    const reqs = await call(B.url, 'GET', '/v1/conversations?folder=requests', { token: target.token });
    expect(reqs.body.items[0]).toMatchObject({ id: forwarded.data.conversationId, state: 'request' });
    expect(reqs.body.items[0].lastMessage).toMatchObject({
      introducedBy: { handle: via.handle },
      introduction: { note: 'Hello via B', forwardNote: 'Forwarded from A' },
    });
    const acc = await call(B.url, 'POST', `/v1/conversations/${forwarded.data.conversationId}/accept`, { token: target.token });
    expect(acc.status, acc.text).toBe(200);
    // the asker's list (through A) reads forwarded, with the conversation
    const mine = await call(A.url, 'GET', '/v1/introductions?role=asked', { token: asker.token });
    expect(mine.body.items[0]).toMatchObject({ id: ask.body.id, status: 'forwarded', conversationId: forwarded.data.conversationId });

    // nobody else heard anything: the introducer nothing of the forward, the asker nothing of the ask
    await sVia.quiet(200);
    expect(sVia.frames.map((f) => f.type).filter((t) => t !== 'notification.created')).toEqual(['introduction.asked']);
    expect(sAsker.frames.some((f) => f.type.startsWith('introduction.'))).toBe(false);
  });
});
