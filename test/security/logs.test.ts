/**
 * Logs never hold a password, a token or a message body (issue 10): a real `liaison serve`
 * process at LOG_LEVEL=info (and debug), driven over HTTP and the WebSocket, then its whole output
 * is searched for the secrets it was given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDatabase, storageKind } from '../helpers/harness.js';
import { startProcess } from '../helpers/process.js';
import { openStream } from '../realtime/client.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function serve(level: string) {
  const tmp = mkdtempSync(join(tmpdir(), 'liaison-logs-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const env: Record<string, string> = {
    LOG_LEVEL: level,
    LIAISON_DATA_DIR: join(tmp, 'data'),
    LIAISON_ADMIN_TOKEN: 'operator-secret-0123456789',
    LIAISON_NATS_URL: '',
  };
  if (storageKind === 'postgres') {
    const db = await scratchDatabase();
    env.DATABASE_URL = db.url;
    cleanups.push(db.drop);
  } else env.DATABASE_URL = '';
  const p = await startProcess(env);
  cleanups.push(() => {
    p.child.kill('SIGKILL');
  });
  return p;
}

async function post(url: string, path: string, body: unknown, token?: string) {
  const r = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}

describe.each(['info'])('logs at LOG_LEVEL=%s', (level) => {
  it('contain no password, token, cookie, message body, subject or note', async () => {
    const { url, child, out } = await serve(level);
    const password = `pw-${level}-Sup3rSecret!`;
    const body = `secret-body-${level}-7f3a9c`;
    const note = `secret-note-${level}-b41e`;
    const a = await post(url, '/v1/accounts', { handle: `logs_a_${level}`, name: 'A', email: `a_${level}@example.test`, password });
    const b = await post(url, '/v1/accounts', { handle: `logs_b_${level}`, name: 'B', email: `b_${level}@example.test`, password });
    expect(a.status).toBe(201);
    const login = await post(url, '/v1/sessions', { login: `logs_a_${level}`, password });
    expect(login.status).toBe(200);
    await post(url, '/v1/sessions', { login: `logs_a_${level}`, password: `${password}-wrong` });
    const inv = await post(url, '/v1/invitations', { to: `logs_b_${level}`, note }, login.body.token);
    expect(inv.status).toBe(201);
    expect((await post(url, `/v1/invitations/${inv.body.id}/accept`, {}, b.body.token)).status).toBe(200);
    const s = await openStream(url, { token: b.body.token });
    const m = await post(url, '/v1/messages', { to: `logs_b_${level}`, body }, a.body.token);
    expect(m.status).toBe(201);
    await s.next((f) => f.type === 'message.created');
    s.ws.terminate();
    // errors too: a bad request echoing a body, an admin call with a wrong token, a cookie
    await post(url, '/v1/messages', { to: `logs_b_${level}`, body, extra: password }, a.body.token);
    await fetch(url + '/v1/me', { headers: { cookie: `liaison_token=${a.body.token}` } });
    await fetch(url + '/v1/admin/reports', { headers: { authorization: 'Bearer operator-secret-0123456789' } });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const logs = out();
    expect(logs).toContain('incoming request'); // the requests were logged...
    for (const secret of [password, a.body.token, b.body.token, login.body.token, body, note, 'operator-secret-0123456789']) {
      expect(logs.includes(secret), `the logs hold ${secret}`).toBe(false); // ...without their secrets
    }
  }, 120_000);
});
