/**
 * bench:notifications — what a notification adds to the operation that causes it (issue 19): an
 * invitation accept (invitation.accepted for the inviter) and a send (request.received for the
 * recipient: a new request, which starts a group, and its follow-up, which updates it), against the
 * same operations without it, in the same run on the same server. "Without" is the same verb for a
 * member who turned that kind off in their settings: the service asks the policy and writes nothing
 * (no notification row, no actor row, no notification.created event).
 *
 * In process through the typed client over app.inject (no HTTP noise), one operation at a time, with and without alternating in
 * blocks of 10 so the machine's background load falls on both alike. On PostgreSQL (DATABASE_URL or
 * the machine's server) and on PGlite. Bounded: BENCH_OPS (default 150) operations per condition and
 * kind, about a minute a store. Writes bench/RESULTS.md "Notification cost".
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createClient } from '../src/client/index.js';
import { injectFetch } from '../src/client/inject.js';
import { resolvePolicy } from '../src/policy/policy.js';
import { startServer, type Instance } from '../src/server.js';
import { machine, pct, scratchDb, writeSection } from './lib.js';

const OPS = Number(process.env.BENCH_OPS ?? 150);
const BLOCK = 10;
/** members per side: OPS invitations (sends) per condition need PER × PER pairs */
const PER = Math.ceil(Math.sqrt(OPS));
const log = (...a: unknown[]) => console.log(`[bench:notifications ${new Date().toISOString().slice(11, 19)}]`, ...a);

type Inst = Instance;
interface Who {
  token: string;
  handle: string;
}

/** The typed client as `token`, in process (app.inject: no HTTP noise). */
const as = (inst: Inst, token?: string) => createClient({ baseUrl: 'http://liaison.bench', token, fetch: injectFetch(() => inst.app), idempotency: 'off' });

let seq = 0;
async function member(inst: Inst, off: string[] = []): Promise<Who> {
  const handle = `bn${process.pid % 10000}_${++seq}_${randomBytes(2).toString('hex')}`;
  const r = await as(inst).postAccounts({ body: { handle, name: `Bench ${seq}`, email: `${handle}@example.test`, password: 'correct horse battery' } });
  if (!r.token) throw new Error('sign-up answered no token');
  if (off.length) await as(inst, r.token).patchMeSettings({ body: { notifications: Object.fromEntries(off.map((k) => [k, false])) } });
  return { token: r.token, handle };
}

interface Stat {
  n: number;
  mean: number;
  p50: number;
  p90: number;
}
function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: pct(s, 50), p90: pct(s, 90) };
}

/** Runs the with/without operations alternating in blocks; returns the timings of each. */
async function alternate(withOps: (() => Promise<void>)[], withoutOps: (() => Promise<void>)[]): Promise<{ on: number[]; off: number[] }> {
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < Math.max(withOps.length, withoutOps.length); i += BLOCK) {
    for (const [ops, out] of [
      [withOps, on],
      [withoutOps, off],
    ] as const) {
      for (const op of ops.slice(i, i + BLOCK)) {
        const t = performance.now();
        await op();
        out.push(performance.now() - t);
      }
    }
  }
  return { on, off };
}

async function measure(kind: 'postgres' | 'pglite'): Promise<Record<string, { on: Stat; off: Stat }>> {
  const db = kind === 'postgres' ? await scratchDb('liaison_bench_notifications') : null;
  const inst = await startServer(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir: 'memory://bench-notifications',
      databaseUrl: db?.url,
      policy: resolvePolicy({
        messagesPerMinute: 1_000_000,
        invitationsPerWeek: 1_000_000,
        nonConnectionConversationsPerMonth: 1_000_000,
        groupConversationsPerMonth: 1_000_000,
        bulkRecipientsThreshold: 1_000_000,
        signupsPerHourPerAddress: 1_000_000,
      }),
      logLevel: 'silent',
    },
    { listen: false },
  );
  try {
    log(kind, `setting up ${4 * PER} members`);
    // Inviters: half with invitation.accepted on, half off; each invites PER invitees.
    const invOn = await Promise.all(Array.from({ length: PER }, () => member(inst)));
    const invOff = await Promise.all(Array.from({ length: PER }, () => member(inst, ['invitation.accepted'])));
    const invitees = await Promise.all(Array.from({ length: PER }, () => member(inst)));
    const accepts = async (inviters: Who[]) => {
      const ops: (() => Promise<void>)[] = [];
      for (const a of inviters)
        for (const b of invitees) {
          const inv = await as(inst, a.token).postInvitations({ body: { to: b.handle } });
          ops.push(async () => void (await as(inst, b.token).postInvitationsByIdAccept({ params: { id: inv.id } })));
        }
      return ops.slice(0, OPS);
    };
    const [acceptOn, acceptOff] = [await accepts(invOn), await accepts(invOff)];

    // Requests: senders share a group with every recipient; recipients half on, half off.
    const recOn = await Promise.all(Array.from({ length: PER }, () => member(inst)));
    const recOff = await Promise.all(Array.from({ length: PER }, () => member(inst, ['request.received'])));
    const senders = await Promise.all(Array.from({ length: PER }, () => member(inst)));
    const g = await as(inst, senders[0].token).postGroups({ body: { name: 'bench' } });
    for (const m of [...senders.slice(1), ...recOn, ...recOff]) await as(inst, m.token).postGroupsByIdMembers({ params: { id: g.id } });
    const sends = (recipients: Who[], body: string) => {
      const ops: (() => Promise<void>)[] = [];
      for (const s of senders)
        for (const r of recipients) ops.push(async () => void (await as(inst, s.token).postMessages({ body: { to: r.handle, body: `${body} ${++seq}` } })));
      return ops.slice(0, OPS);
    };

    log(kind, `measuring ${OPS} operations per condition`);
    const out: Record<string, { on: Stat; off: Stat }> = {};
    const a = await alternate(acceptOn, acceptOff);
    out['invitation accept'] = { on: stat(a.on), off: stat(a.off) };
    const s1 = await alternate(sends(recOn, 'first'), sends(recOff, 'first'));
    out['send: a new message request'] = { on: stat(s1.on), off: stat(s1.off) };
    const s2 = await alternate(sends(recOn, 'follow-up'), sends(recOff, 'follow-up'));
    out['send: its follow-up (the group updated)'] = { on: stat(s2.on), off: stat(s2.off) };
    return out;
  } finally {
    await inst.close();
    await db?.drop();
  }
}

async function main() {
  const t0 = performance.now();
  const load0 = os.loadavg()[0];
  const rows: string[] = [];
  for (const kind of ['postgres', 'pglite'] as const) {
    const res = await measure(kind);
    for (const [op, { on, off }] of Object.entries(res)) {
      const d = on.mean - off.mean;
      rows.push(
        `| ${kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} | ${op} | ${on.n} | ${off.p50.toFixed(2)} / ${off.p90.toFixed(2)} / ${off.mean.toFixed(2)} | ${on.p50.toFixed(2)} / ${on.p90.toFixed(2)} / ${on.mean.toFixed(2)} | ${d >= 0 ? '+' : ''}${d.toFixed(2)} ms (${((100 * d) / off.mean).toFixed(0)}%) |`,
      );
      log(kind, op, `without ${off.mean.toFixed(2)} ms, with ${on.mean.toFixed(2)} ms`);
    }
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  const load = `load average ${load0.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`;
  writeSection(
    'Notification cost',
    `\`npm run bench:notifications\` (bench/notifications.ts), ${machine()}; ${secs} s; ${load}. Each operation
through the app in process (no HTTP), one at a time, as a member who gets the notification ("with")
and as one who turned that kind off ("without": the policy says no, nothing is written), alternating
in blocks of ${BLOCK} in the same run. Milliseconds, p50 / p90 / mean; the difference is of the means.
What a notification adds inside the operation's transaction: one statement that upserts the group and
its actor and answers the group as the recipient sees it (its other visible actors by primary key),
the records of up to 2 other actors when there are any, and the notification.created outbox row.

| store | operation | n | without | with | difference |
|---|---|---|---|---|---|
${rows.join('\n')}

The machine is shared (other sessions' tests and benchmarks run at the same time, load average above
the 2 cores): the spread is wide, so read the difference against the p50/p90 noise of its row.`,
  );
  log('written to bench/RESULTS.md "Notification cost"');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
