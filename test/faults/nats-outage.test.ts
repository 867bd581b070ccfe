/**
 * NATS outage under load (issue 22): a nats-server of the test's own is killed for 10 seconds while
 * two instances (own PostgreSQL cluster) take a steady load of cross-instance sends with stream
 * clients listening. Required: every send still commits (no 5xx: the bus is not needed to commit),
 * /readyz stays ready and reports the bus away, delivery across instances goes on through the
 * catch-up from storage, no message is lost and none reaches a socket twice (the NATS client's
 * buffered publishes arrive after the catch-up and are dropped as duplicates), and the NATS server
 * that comes back is used again (events arrive over the bus, not only through the catch-up).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterAvailable, startCluster, type Cluster } from './cluster.js';
import { call, connectPair, metric, metricsOf, Procs, Recorder, ResilientStream, Sender, signUp, sleep, waitFor, type Proc } from './load.js';
import { natsAvailable, startNats, type NatsServer } from './nats.js';

const enabled = !!process.env.DATABASE_URL && !!process.env.LIAISON_NATS_URL && clusterAvailable() && natsAvailable();

describe.skipIf(!enabled)('NATS outage under load (own nats-server, two instances)', () => {
  let cluster: Cluster;
  let nats: NatsServer;
  let dbUrl: string;
  let tmp: string;
  const procs = new Procs();
  let A: Proc;
  let B: Proc;
  const streams: ResilientStream[] = [];

  beforeAll(async () => {
    [cluster, nats] = await Promise.all([startCluster(), startNats()]);
    dbUrl = await cluster.createDatabase('liaison');
    tmp = mkdtempSync(join(tmpdir(), 'liaison-natsout-'));
    const policy = join(tmp, 'policy.json');
    writeFileSync(policy, JSON.stringify({ messagesPerMinute: 1_000_000 }));
    const env = {
      DATABASE_URL: dbUrl,
      LIAISON_NATS_URL: nats.url,
      LIAISON_NATS_SUBJECT: `liaison_fault.${randomBytes(6).toString('hex')}`,
      LIAISON_POLICY: policy,
      LIAISON_DATA_DIR: tmp,
    };
    [A, B] = await Promise.all([procs.start(env), procs.start(env)]);
  }, 120_000);

  afterAll(async () => {
    for (const p of procs.list)
      if (p.child.exitCode !== null || p.child.signalCode !== null)
        console.log(`instance exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.out().slice(-4000)}`);
    for (const s of streams) s.stop();
    await procs.stopAll();
    await nats?.destroy();
    await cluster?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const busConnected = async (p: Proc) => metric(await metricsOf(p.url), 'liaison_bus_connected');
  const applied = async (p: Proc, path: string) => metric(await metricsOf(p.url), 'liaison_events_applied_total', `path="${path}"`) ?? 0;

  it('stopped for 10 s: sends still commit, delivery goes on through the catch-up with no loss and no duplicate on a socket, and the NATS that comes back is used again', async () => {
    // senders on one instance, their recipients' sockets on the other (both ways)
    const pairs = [];
    for (let i = 0; i < 4; i++) {
      const [home, away] = i % 2 ? [B, A] : [A, B];
      const from = await signUp(home.url, 'nt');
      const to = await signUp(away.url, 'nt');
      await connectPair(home.url, away.url, from, to);
      const sTo = new ResilientStream(to, () => [away.url]).start();
      streams.push(sTo);
      await sTo.connectedOnce;
      pairs.push({ from, to, home, away, sTo });
    }
    expect(await busConnected(A)).toBe(1);
    expect(await busConnected(B)).toBe(1);
    const rec = new Recorder();
    const senders = pairs.map((p) => new Sender(p.from, p.to, () => [p.home.url], rec, { gapMs: 60, tag: 'nats' }).start());
    await sleep(2000);

    await nats.stop();
    const outageStart = Date.now();
    await waitFor('both instances see the bus away', 5000, async () => (await busConnected(A)) === 0 && (await busConnected(B)) === 0);
    const catchupBefore = (await applied(A, 'catchup')) + (await applied(B, 'catchup'));
    // while NATS is away: still ready (the bus is reported, not required)
    for (const p of [A, B]) {
      const r = await call(p.url, 'GET', '/readyz');
      expect(r.status).toBe(200);
      expect(r.body.bus).toBe('disconnected');
    }
    // messages sent now still reach the other instance's sockets (the catch-up from storage, every 2 s)
    const during = pairs[0]!;
    const probe = await call(during.home.url, 'POST', '/v1/messages', { token: during.from.token, body: { to: during.to.handle, body: 'during the outage' } });
    expect(probe.status, probe.text).toBe(201);
    await waitFor('a message sent during the outage reaches the other instance', 4000, () =>
      [...during.sTo.distinct('message.created').values()].some((f) => f.data.message.body === 'during the outage'),
    );
    await sleep(Math.max(0, 10_000 - (Date.now() - outageStart)));
    const catchupDuring = (await applied(A, 'catchup')) + (await applied(B, 'catchup')) - catchupBefore;

    await nats.start();
    await waitFor('both instances reconnect to NATS', 10_000, async () => (await busConnected(A)) === 1 && (await busConnected(B)) === 1);
    await sleep(1500);
    // the bus is used again: these arrive over NATS, well within the 2 s catch-up period
    const busBefore = await applied(B, 'bus');
    const after = pairs[0]!; // home A, sockets on B
    for (let i = 0; i < 5; i++) {
      const body = `after the outage ${i}`;
      const t0 = performance.now();
      const r = await call(A.url, 'POST', '/v1/messages', { token: after.from.token, body: { to: after.to.handle, body } });
      expect(r.status, r.text).toBe(201);
      await waitFor(`${body} on B`, 3000, () => [...after.sTo.distinct('message.created').values()].some((f) => f.data.message.body === body));
      expect(performance.now() - t0, 'delivery over the bus, not the 2 s catch-up').toBeLessThan(1000);
    }
    expect(await applied(B, 'bus'), 'events B received over NATS after it came back').toBeGreaterThan(busBefore);

    await Promise.all(senders.map((s) => s.stop()));
    const summary = rec.summary();
    const dupes = (await Promise.all([A, B].map(async (p) => metric(await metricsOf(p.url), 'liaison_events_duplicate_total') ?? 0))).reduce(
      (a, b) => a + b,
      0,
    );
    console.log(
      'NATS outage: answers',
      JSON.stringify(summary),
      `; ${catchupDuring} events caught up from storage during the outage, ${dupes} duplicates dropped`,
    );
    expect(Object.keys(summary), 'every send committed at once (201 only)').toEqual(['send 201']);
    expect(catchupDuring, 'events delivered through the catch-up during the outage').toBeGreaterThan(0);

    // storage: every acknowledged send once
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    try {
      for (const [i, p] of pairs.entries()) {
        const rows = await c.query<{ body: string; n: number }>(
          `select body, count(*)::int as n from messages where sender_id = $1 and body like 'nats %' group by body`,
          [Number(p.from.id)],
        );
        expect(rows.rows.filter((r) => r.n !== 1)).toEqual([]);
        expect(rows.rows.map((r) => r.body).sort()).toEqual([...senders[i]!.acked.keys()].sort());
      }
    } finally {
      await c.end();
    }
    // sockets: every message, none twice, and no socket had to reconnect
    for (const [i, p] of pairs.entries()) {
      const want = [...senders[i]!.acked.keys()].sort();
      const have = () => [...p.sTo.distinct('message.created').values()].map((f) => f.data.message.body as string).filter((b) => b.startsWith('nats '));
      await waitFor(`${p.to.handle} has all ${want.length}`, 8000, () => have().length >= want.length).catch(() => undefined);
      expect(have().sort()).toEqual(want);
      expect(p.sTo.duplicatesWithinConnections()).toEqual([]);
      expect(p.sTo.connections.length, 'the socket stayed open').toBe(1);
    }
  }, 120_000);
});
