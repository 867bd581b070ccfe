/**
 * Concurrency proofs (issue 10): races a client can start on purpose, each repeated on fresh
 * members and checked against the database afterwards. On PostgreSQL (DATABASE_URL) the requests
 * really run in parallel on separate connections; on PGlite they interleave on one.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, count, credits, makeGroup, setTier, type User } from '../helpers/messaging.js';
import { invariantViolations } from './invariants.js';

const ROUNDS = 4;
let h: Harness;
const checked = new Map<string, number>();
const tick = (k: string) => checked.set(k, (checked.get(k) ?? 0) + 1);

async function rows<T = Record<string, unknown>>(q: ReturnType<typeof sql>): Promise<T[]> {
  return ((await h.inst.store.db.execute(q)) as unknown as { rows: T[] }).rows;
}

const statuses = (rs: { status: number }[]) => rs.map((r) => r.status).sort();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  h = await harness({ policy: { connectionCap: 3 } });
}, 120_000);

afterAll(async () => {
  console.log(`concurrency proofs (${storageKind}): ${[...checked].map(([k, n]) => `${k}=${n}`).join(' ')}`);
  await h?.close();
});

describe('races', () => {
  it('InMail double-spend: parallel InMails never spend more credits than the member has', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await signUp(h);
      await setTier(h, a, 'career', '2027-01-01T00:00:00Z');
      const have = await credits(h, a);
      expect(have).toBe(5);
      const targets: User[] = [];
      for (let i = 0; i < have + 3; i++) targets.push(await signUp(h));
      const rs = await Promise.all(
        targets.map((t) =>
          h.call('POST', '/v1/messages', { token: a.token, body: { to: t.handle, body: `inmail ${round}`, subject: 'Hi', channel: 'inmail' } }),
        ),
      );
      expect(rs.filter((r) => r.status === 201)).toHaveLength(have);
      for (const r of rs.filter((x) => x.status !== 201)) expect(r.body.error.code, r.text).toBe('no_inmail_credits');
      expect(await credits(h, a)).toBe(0);
      const [bal] = await rows<{ b: number }>(sql`select coalesce(sum(amount), 0)::int as b from inmail_ledger where member_id = ${Number(a.member.id)}`);
      expect(bal!.b).toBe(0);
      tick('inmail_double_spend');
    }
  });

  it('crossing invitations: A invites B while B invites A: exactly one connection, no invitation left open', async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      const [x, y] = await Promise.all([
        h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } }),
        h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } }),
      ]);
      expect(statuses([x, y]), `${x.text} ${y.text}`).toEqual([200, 201]);
      const [acc] = [x, y].filter((r) => r.status === 200);
      expect(acc!.body.status).toBe('accepted');
      const ids = [Number(a.member.id), Number(b.member.id)].sort((p, q) => p - q);
      expect(await rows(sql`select 1 from connections where a = ${ids[0]} and b = ${ids[1]}`)).toHaveLength(1);
      expect(
        await rows(
          sql`select 1 from invitations where status in ('pending','ignored') and least(from_id,to_id) = ${ids[0]} and greatest(from_id,to_id) = ${ids[1]}`,
        ),
      ).toHaveLength(0);
      tick('crossing_invitations');
    }
  });

  it('the connection cap: parallel accepts never take a member past the cap (cap 3 here)', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const c = await signUp(h);
      const first = await signUp(h);
      await connect(h, c, first);
      // c has 1 connection and 4 invitations; accepting them all at once must stop at the cap.
      const inviters: User[] = [];
      const invs: string[] = [];
      for (let i = 0; i < 4; i++) {
        const u = await signUp(h);
        inviters.push(u);
        const r = await h.call('POST', '/v1/invitations', { token: u.token, body: { to: c.handle } });
        expect(r.status, r.text).toBe(201);
        invs.push(r.body.id);
      }
      const rs = await Promise.all(invs.map((id) => h.call('POST', `/v1/invitations/${id}/accept`, { token: c.token })));
      expect(rs.filter((r) => r.status === 200)).toHaveLength(2);
      for (const r of rs.filter((x) => x.status !== 200)) expect(r.body.error.code, r.text).toBe('connection_cap');
      // and c invited by itself: the others accept c's invitations in parallel
      const d = await signUp(h);
      const targets: User[] = [];
      const out: string[] = [];
      for (let i = 0; i < 4; i++) {
        const u = await signUp(h);
        targets.push(u);
        const r = await h.call('POST', '/v1/invitations', { token: d.token, body: { to: u.handle } });
        expect(r.status, r.text).toBe(201);
        out.push(r.body.id);
      }
      const rs2 = await Promise.all(out.map((id, i) => h.call('POST', `/v1/invitations/${id}/accept`, { token: targets[i]!.token })));
      expect(rs2.filter((r) => r.status === 200)).toHaveLength(3);
      for (const r of rs2.filter((x) => x.status !== 200)) expect(r.body.error.code, r.text).toBe('recipient_connection_cap');
      const over = await rows(sql`
        select m, count(*)::int as n from (select a as m from connections union all select b from connections) x
        group by m having count(*) > 3`);
      expect(over).toEqual([]);
      tick('connection_cap');
    }
  });

  it('follow-up race: while a request is pending, parallel follow-ups let exactly one through', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      await makeGroup(h, [a, b]);
      const first = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'hello there' } });
      expect(first.status, first.text).toBe(201);
      expect(first.body.conversation.state).toBe('request');
      const rs = await Promise.all(
        Array.from({ length: 6 }, (_, i) => h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: `follow-up ${i}` } })),
      );
      expect(
        rs.filter((r) => r.status === 201),
        rs.map((r) => r.text).join('\n'),
      ).toHaveLength(1);
      for (const r of rs.filter((x) => x.status !== 201)) expect(r.body.error.code, r.text).toBe('awaiting_response');
      const [n] = await rows<{ n: number }>(sql`select count(*)::int as n from messages where conversation_id = ${Number(first.body.conversation.id)}`);
      expect(n!.n).toBe(2);
      tick('follow_up');
    }
  });

  it('the same Idempotency-Key in parallel: one message created, every answer the first one (or "in progress")', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      await connect(h, a, b);
      const before = await count(h, 'messages');
      const key = `key-${round}-${a.handle}`;
      const rs = await Promise.all(
        Array.from({ length: 8 }, () =>
          h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'exactly once' }, headers: { 'idempotency-key': key } }),
        ),
      );
      const ok = rs.filter((r) => r.status === 201);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(new Set(ok.map((r) => r.body.message.id)).size).toBe(1);
      for (const r of rs.filter((x) => x.status !== 201)) expect(r.status, r.text).toBe(409);
      expect(await count(h, 'messages')).toBe(before + 1);
      // and a later retry replays the first answer
      const again = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'exactly once' }, headers: { 'idempotency-key': key } });
      expect(again.status).toBe(201);
      expect(again.body.message.id).toBe(ok[0]!.body.message.id);
      // same key, other body: refused
      const other = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'other' }, headers: { 'idempotency-key': key } });
      expect(other.status).toBe(409);
      tick('idempotency_key');
    }
  });

  it('block racing a send: the block wins, nothing is delivered after it commits', async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      await connect(h, a, b);
      const sends = Array.from({ length: 6 }, (_, i) => h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: `race ${i}` } }));
      const blk = h.call('POST', '/v1/blocks', { token: b.token, body: { handle: a.handle } });
      const [blockRes, ...sent] = await Promise.all([blk, ...sends]);
      expect(blockRes.status, blockRes.text).toBe(201);
      for (const r of sent) expect([201, 404], r.text).toContain(r.status);
      for (const r of sent.filter((x) => x.status === 404)) expect(r.body.error.code).toBe('recipient_unavailable');
      // Commit order: the block's event and the messages' events are written under the same pair lock.
      const [blockEv] = await rows<{ id: string }>(sql`
        select id::text from events where type = 'block.added' and payload->>'blocker' = ${b.member.id} and payload->>'blocked' = ${a.member.id}`);
      const msgEvents = await rows<{ id: string; mid: string }>(sql`
        select id::text, payload->'message'->>'id' as mid from events
         where type = 'message.created' and ${Number(b.member.id)} = any(member_ids) and payload->'message'->'sender'->>'id' = ${a.member.id}`);
      const delivered = new Set(sent.filter((r) => r.status === 201).map((r) => r.body.message.id));
      for (const e of msgEvents) {
        expect(delivered.has(e.mid)).toBe(true);
        expect(BigInt(e.id) < BigInt(blockEv!.id), `message event ${e.id} after block event ${blockEv!.id}`).toBe(true);
      }
      // after it: refused, and b sees no conversation with a
      const late = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'late' } });
      expect(late.status).toBe(404);
      const inbox = await h.call('GET', '/v1/conversations?folder=inbox', { token: b.token });
      expect(inbox.text.includes(a.handle)).toBe(false);
      tick('block_vs_send');
    }
  });

  it('block racing a follow: no follow survives the block, and the unblock restores none (DOMAIN.md 6)', async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      const [blockRes, ...followed] = await Promise.all([
        h.call('POST', '/v1/blocks', { token: b.token, body: { handle: a.handle } }),
        ...[0, 1, 2].map((ms) => pause(ms + (round % 3)).then(() => h.call('POST', '/v1/follows', { token: a.token, body: { handle: b.handle } }))),
      ]);
      expect(blockRes.status, blockRes.text).toBe(201);
      for (const r of followed) expect([201, 404], r.text).toContain(r.status);
      const left = await rows(sql`select 1 from follows where follower = ${Number(a.member.id)} and followee = ${Number(b.member.id)}`);
      expect(left, 'a follow row next to the block').toEqual([]);
      expect((await h.call('DELETE', `/v1/blocks/${a.handle}`, { token: b.token })).status).toBe(204);
      const followers = (await h.call('GET', '/v1/follows?direction=followers', { token: b.token })).body.items as { handle: string }[];
      expect(followers.map((m) => m.handle)).not.toContain(a.handle);
      tick('block_vs_follow');
    }
  });

  it('an ask racing the removal of a connection on its path: the ask is refused or lapses, never left open (DOMAIN.md 11)', async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
      await connect(h, a, b);
      await connect(h, b, c);
      const [removed, asked] = await Promise.all([
        round % 2 === 0
          ? h.call('DELETE', `/v1/connections/${a.handle}`, { token: b.token })
          : h.call('DELETE', `/v1/connections/${c.handle}`, { token: b.token }),
        pause(round % 3).then(() => h.call('POST', '/v1/introductions', { token: a.token, body: { to: c.handle, via: b.handle } })),
      ]);
      expect(removed.status, removed.text).toBe(204);
      expect([201, 403], asked.text).toContain(asked.status);
      const open = await rows(sql`select id from introductions where asker_id = ${Number(a.member.id)} and status = 'asked'`);
      expect(open, 'an open ask through a removed connection').toEqual([]);
      tick('ask_vs_removal');
    }
  });

  it("a forward racing the removal of the asker's connection: no deadlock between them (locks in one order), the ask forwarded or lapsed", async () => {
    const retries = async () => {
      const text = (await h.call('GET', '/metrics')).text;
      return [...text.matchAll(/^liaison_transaction_retries_total\{code="40P01"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await retries();
    for (let round = 0; round < ROUNDS * 3; round++) {
      const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
      await connect(h, a, b);
      await connect(h, b, c);
      const ask = await h.call('POST', '/v1/introductions', { token: a.token, body: { to: c.handle, via: b.handle } });
      expect(ask.status, ask.text).toBe(201);
      const [removed, forwarded] = await Promise.all([
        round % 2 === 0
          ? h.call('DELETE', `/v1/connections/${b.handle}`, { token: a.token })
          : h.call('DELETE', `/v1/connections/${a.handle}`, { token: b.token }),
        pause(round % 3).then(() => h.call('POST', `/v1/introductions/${ask.body.id}/forward`, { token: b.token, body: {} })),
      ]);
      expect(removed.status, removed.text).toBe(204);
      expect([200, 409], forwarded.text).toContain(forwarded.status);
      const open = await rows(sql`select id from introductions where asker_id = ${Number(a.member.id)} and status = 'asked'`);
      expect(open, 'an open ask through a removed connection').toEqual([]);
      tick('forward_vs_removal');
    }
    expect(await retries(), 'deadlocks between a forward and a removal').toBe(before);
  });

  it('every data invariant holds after the races', async () => {
    expect(await invariantViolations(h)).toEqual([]);
  });
});
