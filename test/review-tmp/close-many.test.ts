/**
 * Closing an account with many connections: detachClosedMember emits one connection.removed per
 * connection and one follow.removed per follow; since Uow.emit is deferred they all go into the one
 * flush statement, whose final `select (select id from e0) as e0, …` has one column per event.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { transact } from '../../src/services/uow.js';
import { changeStatus } from '../../src/services/accounts.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function memberWith(n: number) {
  const x = await signUp(h);
  const xid = Number(x.member.id);
  const db = h.inst.store.db;
  const tag = `_${xid}`;
  await db.execute(sql`insert into members (handle, kind, name, headline, email)
    select 'zz' || g || ${tag}, 'person', 'Z', '', 'zz' || g || ${tag} || '@example.test' from generate_series(1, ${n}) g`);
  const others = sql`(select m.id from members m where m.handle like ${'zz%' + tag})`;
  await db.execute(sql`insert into connections (a, b, created_at) select least(o.id, ${xid}::bigint), greatest(o.id, ${xid}::bigint), now() from ${others} o`);
  await db.execute(sql`insert into follows (follower, followee, created_at)
    select o.id, ${xid}::bigint, now() from ${others} o union all select ${xid}::bigint, o.id, now() from ${others} o`);
  return { x, xid };
}

it('300 connections (900 events): closing works', async () => {
  const { x } = await memberWith(300);
  const r = await h.call('POST', '/v1/me/close', { token: x.token });
  expect(r.status, r.text).toBe(200);
}, 120_000);

it('600 connections (1,800 events): closing answers 200 (DOMAIN.md 1: closing removes connections and follows at once)', async () => {
  const { x, xid } = await memberWith(600);
  let err: unknown = null;
  await transact(h.inst.deps, (u) => changeStatus(u, xid, 'close')).catch((e) => (err = e));
  const msg = (e: unknown): string => (e ? `${(e as Error).message} | ${msg((e as { cause?: unknown }).cause)}` : '');
  expect(msg(err).split(' | ').slice(1).join(' | ')).toBe('');
  const [row] = ((await h.inst.store.db.execute(sql`select status from members where id = ${xid}`)) as unknown as { rows: { status: string }[] }).rows;
  expect(row.status).toBe('closed');
}, 120_000);
