/**
 * Issue 17: a send in at most three round trips inside its transaction: three statements (the locks;
 * every row it decides from; the writes with the outbox row), on PostgreSQL in two round trips (the
 * locks go with the read), introductions read only for a denial; and the one
 * statement that reads a send's members answers what the members' own loader answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { selectRows } from '../../src/store/db.js';
import { roundTrips } from '../../src/store/pipeline.js';
import { memberById, membersFromJson, membersJsonColumn } from '../../src/services/members.js';
import { harness, recordStatements, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, setTier } from '../helpers/messaging.js';

let h: Harness;
let rec: ReturnType<typeof recordStatements>;
beforeAll(async () => {
  h = await harness();
  rec = recordStatements(h);
}, 60_000);
afterAll(async () => {
  rec?.stop();
  await h?.close();
});

/**
 * The statements inside the one transaction a request ran: after BEGIN on PostgreSQL (PGlite opens
 * its transactions without a statement through the data layer: there, from the send's first
 * statement, its locks), up to COMMIT.
 */
function insideTransaction(all: string[]): string[] {
  const begin = all.indexOf('begin');
  const from = begin >= 0 ? begin + 1 : all.findIndex((q) => /pg_advisory_xact_lock/.test(q));
  expect(from, all.join('\n')).toBeGreaterThanOrEqual(0);
  expect(all.filter((q) => q === 'begin').length).toBeLessThanOrEqual(1);
  return all.slice(from).filter((q) => q !== 'commit');
}

const post = (token: string, to: string, body: string) => h.call('POST', '/v1/messages', { token, body: { to, body } });

describe(`a send's round trips (${storageKind})`, () => {
  it('a message into a conversation the pair already has: three statements inside the transaction', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    expect((await post(a.token, b.handle, 'one')).status).toBe(201);
    expect((await post(b.token, a.handle, 'two')).status).toBe(201);
    rec.clear();
    roundTrips.transactions = [];
    const third = await post(a.token, b.handle, 'three');
    const ended = roundTrips.transactions;
    roundTrips.transactions = null;
    expect(third.status).toBe(201);
    const inside = insideTransaction(rec.list);
    expect(inside, inside.join('\n---\n')).toHaveLength(3);
    // on the wire (PostgreSQL): BEGIN and the locks go with the read, COMMIT with the writes (src/store/pipeline.ts):
    // two round trips (the send's own transaction: the harness's background work may run transactions meanwhile)
    if (storageKind === 'postgres') expect(ended.filter((t) => /pg_advisory_xact_lock/.test(t.first)).map((t) => t.trips)).toEqual([2]);
    expect(inside[0]).toMatch(/pg_advisory_xact_lock/);
    expect(inside[2]).toMatch(/^with w0 as \(insert into "messages"/);
    // and what it answered is what the conversation reads back
    const conv = await h.call('GET', `/v1/conversations/${third.body.conversation.id}`, { token: a.token });
    expect(third.body.conversation).toEqual(conv.body);
    const msgs = await h.call('GET', `/v1/conversations/${third.body.conversation.id}/messages`, { token: a.token });
    expect(msgs.body.items.find((m: { id: string }) => m.id === third.body.message.id)).toEqual(third.body.message);
  });

  it('a first message: the handle from the read model, and three statements inside the transaction with its new conversation', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    expect((await h.call('GET', `/v1/members/${b.handle}`, { token: a.token })).status).toBe(200);
    rec.clear();
    expect((await post(a.token, b.handle, 'hello')).status).toBe(201);
    const before = rec.list.slice(
      0,
      rec.list.findIndex((q) => q === 'begin' || /pg_advisory_xact_lock/.test(q)),
    );
    expect(
      before.some((q) => /member_handles/.test(q)),
      before.join('\n'),
    ).toBe(false);
    // a new thread too: its row, the pair's slot and both sides go out with the message (DOMAIN.md 5.1)
    const inside = insideTransaction(rec.list);
    expect(inside, inside.join('\n---\n')).toHaveLength(3);
    expect(inside[2]).toMatch(/insert into "conversations"/);
  });

  it('a refused send stops after its reads: nothing written, introductions read only then', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const c = await signUp(h);
    await connect(h, a, b);
    await connect(h, b, c); // a and c: 2nd degree, with b an introduction path
    rec.clear();
    const r = await post(a.token, c.handle, 'hi');
    expect(r.status).toBe(403);
    expect(
      r.body.error.unlock.some((u: { kind: string }) => u.kind === 'introduction'),
      r.text,
    ).toBe(true);
    const inside = insideTransaction(rec.list);
    expect(inside.some((q) => /^with w0|^insert|^update/.test(q))).toBe(false);
  });

  it('warm: nothing is read before the transaction; a session ended behind the read model is refused in it', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    expect((await h.call('GET', `/v1/members/${b.handle}`, { token: a.token })).status).toBe(200);
    expect((await post(a.token, b.handle, 'one')).status).toBe(201);
    rec.clear();
    expect((await post(a.token, b.handle, 'two')).status).toBe(201);
    const pre = rec.list.slice(
      0,
      rec.list.findIndex((q) => q === 'begin' || /pg_advisory_xact_lock/.test(q)),
    );
    expect(pre, pre.join('\n')).toEqual([]);
    // the session row goes (as a sign-out on another instance whose event has not arrived yet)
    await h.inst.store.db.execute(sql`delete from sessions where member_id = ${Number(a.member.id)}`);
    const refused = await post(a.token, b.handle, 'three');
    expect(refused.status, refused.text).toBe(401);
    expect(refused.body.error.code).toBe('unauthenticated');
    const msgs = await h.call('GET', `/v1/conversations?folder=inbox`, { token: b.token });
    expect(JSON.stringify(msgs.body)).not.toContain('three');
  });

  it('a session ended behind the read model replays no stored answer either (Idempotency-Key)', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const headers = { 'idempotency-key': 'k-1' };
    const first = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'the plan' }, headers });
    expect(first.status).toBe(201);
    await h.inst.store.db.execute(sql`delete from sessions where member_id = ${Number(a.member.id)}`);
    const replay = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'the plan' }, headers });
    expect(replay.status, replay.text).toBe(401);
  });

  it("the send's member statement answers what memberById answers", async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await setTier(h, b, 'career'); // Open Profile is premium only
    expect((await h.call('PATCH', '/v1/me/settings', { token: b.token, body: { openProfile: true, requestFilters: { newAccounts: true } } })).status).toBe(200);
    const ids = [Number(a.member.id), Number(b.member.id)];
    const [row] = await selectRows<Record<string, unknown>>(h.inst.store.db, sql`select ${membersJsonColumn(ids)} as people`);
    const got = membersFromJson(row.people);
    for (const id of ids) expect(got.get(id)).toEqual(await memberById(h.inst.store.db, id));
  });
});
