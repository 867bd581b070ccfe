/**
 * Backup and restore (docs/OPERATIONS.md), and an upgrade's migration step while serving: a network
 * is built through the API of an instance on the test's own PostgreSQL cluster; `pg_dump -Fc` is
 * taken while it serves; `pg_restore` into a fresh database; a second instance started on the
 * restored database rebuilds its graph index and read caches from the tables and shows every member
 * exactly what the first one shows (degrees, mutual connections, buttons and decisions, blocks
 * hiding members, pending invitations, conversations and requests, messages, credits, unread counts),
 * and takes writes (ids continue after the restored ones). `liaison migrate`, run while an instance
 * serves, leaves it serving.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';
import { clusterAvailable, startCluster, type Cluster } from './cluster.js';
import { call, connectPair, Procs, ResilientStream, signUp, waitFor, type Proc, type Who } from './load.js';

const enabled = !!process.env.DATABASE_URL && !!process.env.LIAISON_NATS_URL && clusterAvailable();
const ADMIN = 'backup-test-admin-token-0123456789';

describe.skipIf(!enabled)('backup with pg_dump, restore with pg_restore (own cluster)', () => {
  let cluster: Cluster;
  let tmp: string;
  const procs = new Procs();
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startCluster();
    tmp = mkdtempSync(join(tmpdir(), 'liaison-backup-'));
    const policy = join(tmp, 'policy.json');
    writeFileSync(policy, JSON.stringify({ messagesPerMinute: 1_000_000, signupsPerHourPerAddress: 1000 }));
    env = {
      LIAISON_NATS_URL: process.env.LIAISON_NATS_URL!,
      LIAISON_POLICY: policy,
      LIAISON_DATA_DIR: tmp,
      LIAISON_ADMIN_TOKEN: ADMIN,
    };
  }, 60_000);

  afterAll(async () => {
    for (const s of streams) s.stop();
    await procs.stopAll();
    await cluster?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  const streams: ResilientStream[] = [];

  /** What each member sees, through the API: everything the graph index, the caches and the tables decide. */
  async function view(p: Proc, people: Record<string, Who>) {
    const out: Record<string, unknown> = {};
    const names = Object.keys(people);
    // one member after another, each member's reads at once (keys are sorted below)
    for (const [name, who] of Object.entries(people)) {
      const get = async (path: string) => {
        const r = await call(p.url, 'GET', path, { token: who.token });
        return { status: r.status, body: r.body };
      };
      const reads: [string, string][] = [[`${name} me`, '/v1/me']];
      for (const other of names) {
        if (other === name) continue;
        const h = people[other]!.handle;
        reads.push(
          [`${name} → ${other} profile`, `/v1/members/${h}`],
          [`${name} → ${other} mutuals`, `/v1/members/${h}/mutuals`],
          [`${name} → ${other} decision`, `/v1/members/${h}/decisions/message`],
        );
      }
      reads.push(
        [`${name} connections`, '/v1/connections'],
        [`${name} following`, '/v1/follows?direction=following'],
        [`${name} followers`, '/v1/follows?direction=followers'],
        [`${name} blocks`, '/v1/blocks'],
        [`${name} invitations received`, '/v1/invitations?direction=received'],
        [`${name} invitations sent`, '/v1/invitations?direction=sent'],
        [`${name} suggestions`, '/v1/suggestions'],
        [`${name} credits`, '/v1/me/credits'],
        [`${name} notifications`, '/v1/notifications'],
        ...['inbox', 'requests', 'filtered'].map((f): [string, string] => [`${name} ${f}`, `/v1/conversations?folder=${f}`]),
      );
      const got = await Promise.all(reads.map(async ([k, path]) => [k, await get(path)] as const));
      for (const [k, v] of got) out[k] = v;
      for (const f of ['inbox', 'requests', 'filtered'])
        for (const c of (out[`${name} ${f}`] as { body?: { items?: { id: string }[] } }).body?.items ?? [])
          out[`${name} conversation ${c.id}`] = await get(`/v1/conversations/${c.id}/messages`);
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }

  it('restored into a fresh database, a new instance rebuilds its index and shows every member the same; ids continue; migrate while serving', async () => {
    const dbUrl = await cluster.createDatabase('liaison');
    const A = await procs.start({ ...env, DATABASE_URL: dbUrl, LIAISON_NATS_SUBJECT: `liaison_fault.${randomBytes(6).toString('hex')}` });
    const people: Record<string, Who> = {};
    for (const n of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay']) people[n] = await signUp(A.url, n);
    const { ann, bob, cat, dan, eve, fay } = people as Record<string, Who>;
    const post = async (who: Who, path: string, body: unknown, expected = [200, 201]) => {
      const r = await call(A.url, 'POST', path, { token: who.token, body });
      expect(expected, `${path}: ${r.text}`).toContain(r.status);
      return r.body;
    };
    // a small network: ann–bob–cat–dan chain (degrees 1, 2, 3), ann follows eve, cat blocks eve
    await connectPair(A.url, A.url, ann, bob);
    await connectPair(A.url, A.url, bob, cat);
    await connectPair(A.url, A.url, cat, dan);
    await connectPair(A.url, A.url, ann, fay);
    await connectPair(A.url, A.url, fay, cat);
    await post(ann, '/v1/follows', { handle: eve.handle });
    await post(cat, '/v1/blocks', { handle: eve.handle });
    await post(dan, '/v1/invitations', { to: bob.handle, note: 'we met at the conference' });
    // conversations: a direct one with replies, a request from a non-connection, a read marker
    const m1 = await post(ann, '/v1/messages', { to: bob.handle, body: 'hello bob' });
    await post(bob, `/v1/conversations/${m1.conversation.id}/messages`, { body: 'hello ann' });
    await post(ann, `/v1/conversations/${m1.conversation.id}/messages`, { body: 'how are you?' });
    await post(bob, `/v1/conversations/${m1.conversation.id}/read`, {});
    await post(eve, '/v1/messages', { to: dan.handle, body: 'a request from a stranger' }, [201, 403]);
    // credits and a tier (the operator)
    const adm = await call(A.url, 'POST', `/v1/admin/members/${ann.handle}/inmail-credits`, {
      body: { credits: 7, note: 'bought' },
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(adm.status, adm.text).toBe(200);
    const before = await view(A, people);

    // the backup, taken while A serves
    const dump = join(cluster.dir, 'liaison.dump');
    await cluster.tool('pg_dump', ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', '-Fc', '-f', dump, 'liaison']);
    // the restore: a fresh database, then an instance on it
    await cluster.createDatabase('restored');
    await cluster.tool('pg_restore', [
      '-h',
      '127.0.0.1',
      '-p',
      String(cluster.port),
      '-U',
      'postgres',
      '--no-owner',
      '--exit-on-error',
      '-d',
      'restored',
      dump,
    ]);
    const B = await procs.start({ ...env, DATABASE_URL: cluster.url('restored'), LIAISON_NATS_SUBJECT: `liaison_fault.${randomBytes(6).toString('hex')}` });
    const after = await view(B, people);
    const diff = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    expect(diff.map((k) => `${k}: ${JSON.stringify(before[k]).slice(0, 300)} ≠ ${JSON.stringify(after[k]).slice(0, 300)}`)).toEqual([]);
    // not a vacuous comparison: what was compared, and a few facts stated outright
    expect(Object.keys(before).length).toBeGreaterThan(150);
    expect((before['ann inbox'] as { body: { items: unknown[] } }).body.items.length).toBeGreaterThan(0);
    expect((before['bob invitations received'] as { body: { items: unknown[] } }).body.items.length).toBe(1);
    expect((before['ann me'] as { body: { quotas: { inmailCredits: number } } }).body.quotas.inmailCredits).toBeGreaterThanOrEqual(7);
    expect((before['ann → cat profile'] as { body: { degree: number } }).body.degree).toBe(2);
    expect((before['ann → dan profile'] as { body: { degree: number } }).body.degree).toBe(3);
    expect((before['eve → cat profile'] as { status: number }).status).toBe(404);

    // the restored instance takes writes: ids continue after the restored ones, the stream delivers
    const s = new ResilientStream(bob, () => [B.url]).start();
    streams.push(s);
    await s.connectedOnce;
    const r = await call(B.url, 'POST', `/v1/conversations/${m1.conversation.id}/messages`, { token: ann.token, body: { body: 'after the restore' } });
    expect(r.status, r.text).toBe(201);
    expect(Number(r.body.message.id)).toBeGreaterThan(Number(m1.message.id));
    await waitFor('delivered on the restored instance', 3000, () =>
      [...s.distinct('message.created').values()].some((f) => f.data.message.body === 'after the restore'),
    );

    // an upgrade's migration step while A serves: `liaison migrate` (under the advisory lock) leaves it serving
    const mig = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'migrate'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: dbUrl },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(mig.status, mig.stderr).toBe(0);
    expect(mig.stdout).toContain('migrations applied');
    const still = await call(A.url, 'POST', '/v1/messages', { token: ann.token, body: { to: bob.handle, body: 'served during the migration' } });
    expect(still.status, still.text).toBe(201);
  }, 150_000);
});
