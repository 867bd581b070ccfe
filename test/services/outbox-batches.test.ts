/**
 * A verb's outbox rows go out with its deferred writes at its end (src/services/uow.ts), in batches:
 * a statement's answer holds at most 1,664 columns, one per event. A member with many connections
 * closes their account (one event per connection and per follow), and a group with many pending
 * requests switches to open (one event per request approved): both work, and every event is there
 * once, with its own id (found by an attacker's review of this session's change).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { selectRows } from '../../src/store/db.js';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** `n` members written straight into the tables, `tag` in their handles. */
async function many(n: number, tag: string) {
  await h.inst.store.db.execute(sql`insert into members (handle, kind, name, headline, email)
    select 'zz' || g || ${tag}, 'person', 'Z', '', 'zz' || g || ${tag} || '@example.test' from generate_series(1, ${n}) g`);
  return sql`(select m.id from members m where m.handle like ${'zz%' + tag})`;
}

const eventsOf = async (type: string, since: number) =>
  selectRows<{ id: unknown; n: unknown }>(
    h.inst.store.db,
    sql`select count(*)::int as n, count(distinct id)::int as id from events where type = ${type} and id > ${since}`,
  );
const lastEvent = async () => Number((await selectRows<{ m: unknown }>(h.inst.store.db, sql`select coalesce(max(id), 0) as m from events`))[0].m);

describe(`outbox rows in batches (${storageKind})`, () => {
  it('a member with 600 connections, followed both ways, closes their account: 1,800 events', async () => {
    const x = await signUp(h);
    const xid = Number(x.member.id);
    const others = await many(600, `_c${xid}`);
    const db = h.inst.store.db;
    await db.execute(
      sql`insert into connections (a, b, created_at) select least(o.id, ${xid}::bigint), greatest(o.id, ${xid}::bigint), now() from ${others} o`,
    );
    await db.execute(sql`insert into follows (follower, followee, created_at)
      select o.id, ${xid}::bigint, now() from ${others} o union all select ${xid}::bigint, o.id, now() from ${others} o`);
    const before = await lastEvent();
    const r = await h.call('POST', '/v1/me/close', { token: x.token });
    expect(r.status, r.text).toBe(200);
    const [removed] = await eventsOf('connection.removed', before);
    expect(Number(removed.n)).toBe(600);
    const [unfollowed] = await eventsOf('follow.removed', before);
    expect(Number(unfollowed.n)).toBe(1200);
  }, 120_000);

  it('a group with 1,700 pending requests switches to open', async () => {
    const admin = await signUp(h);
    const g = await h.call('POST', '/v1/groups', { token: admin.token, body: { name: 'big', joinPolicy: 'approval' } });
    expect(g.status).toBe(201);
    const others = await many(1700, `_g${g.body.id}`);
    await h.inst.store.db.execute(sql`insert into group_requests (group_id, member_id, created_at) select ${Number(g.body.id)}, o.id, now() from ${others} o`);
    const before = await lastEvent();
    const r = await h.call('PATCH', `/v1/groups/${g.body.id}`, { token: admin.token, body: { joinPolicy: 'open' } });
    expect(r.status, r.text).toBe(200);
    const [joined] = await eventsOf('group.joined', before);
    expect(Number(joined.n)).toBe(1700);
    expect(Number(joined.id)).toBe(1700);
  }, 120_000);
});
