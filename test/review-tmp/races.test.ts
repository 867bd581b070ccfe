/** Races on PostgreSQL: first messages both ways at once, bulk sends at once, send vs ignore/block. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { harness, signUp, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ config: { db: { poolSize: 10 } } as never });
}, 60_000);
afterAll(async () => {
  await h?.close();
});
type U = Awaited<ReturnType<typeof signUp>>;
async function ok(method: string, url: string, token: string | undefined, body?: unknown) {
  const r = await h.call(method, url, { token, body });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
  return r;
}
async function connect(a: U, b: U) {
  const inv = await ok('POST', '/v1/invitations', a.token, { to: b.handle });
  await ok('POST', `/v1/invitations/${inv.body.id}/accept`, b.token);
}
const post = (from: U, to: U, body: string) => h.call('POST', '/v1/messages', { token: from.token, body: { to: to.handle, body } });
const rows = async (q: ReturnType<typeof sql>) => ((await h.inst.store.db.execute(q)) as unknown as { rows: Record<string, unknown>[] }).rows;

it('first messages both ways at once (connected): one conversation a pair, every message counted', async () => {
  const pairs: [U, U][] = [];
  for (let i = 0; i < 12; i++) {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(a, b);
    pairs.push([a, b]);
  }
  const answers = await Promise.all(pairs.flatMap(([a, b]) => [post(a, b, 'x1'), post(b, a, 'y1'), post(a, b, 'x2'), post(b, a, 'y2')]));
  expect(answers.map((r) => r.status).filter((s) => s !== 201), answers.map((r) => r.text).join('\n')).toEqual([]);
  for (const [a, b] of pairs) {
    const convs = await rows(sql`select id from conversations where least(starter_id, recipient_id) = ${Math.min(Number(a.member.id), Number(b.member.id))}
      and greatest(starter_id, recipient_id) = ${Math.max(Number(a.member.id), Number(b.member.id))}`);
    expect(convs).toHaveLength(1);
    const sides = await rows(sql`select member_id, unread, last_message_id from conversation_members where conversation_id = ${convs[0].id} order by member_id`);
    const last = await rows(sql`select max(id) as m from messages where conversation_id = ${convs[0].id}`);
    expect(sides.every((s) => String(s.last_message_id) === String(last[0].m)), JSON.stringify(sides)).toBe(true);
  }
}, 120_000);

it('the same text to 10 non-connections at once: flagged exactly once the 10th is sent', async () => {
  const n = await signUp(h);
  const crowd: U[] = [];
  for (let i = 0; i < 11; i++) crowd.push(await signUp(h));
  const g = await ok('POST', '/v1/groups', n.token, { name: 'g' });
  for (const p of crowd) await ok('POST', `/v1/groups/${g.body.id}/members`, p.token);
  const answers = await Promise.all(crowd.slice(0, 10).map((p) => post(n, p, 'buy now')));
  expect(answers.map((r) => r.status)).toEqual(Array(10).fill(201));
  const [m] = await rows(sql`select bulk_flagged from members where id = ${Number(n.member.id)}`);
  expect(m.bulk_flagged).toBe(true);
  expect((await post(n, crowd[10], 'hello')).body.error?.code).toBe('bulk_flagged');
}, 120_000);

it('a send racing the recipient ignoring the request: the recipient never counts it once ignored', async () => {
  for (let round = 0; round < 6; round++) {
    const a = await signUp(h);
    const b = await signUp(h);
    const g = await ok('POST', '/v1/groups', a.token, { name: 'g' });
    await ok('POST', `/v1/groups/${g.body.id}/members`, b.token);
    const first = await post(a, b, 'hi');
    expect(first.status).toBe(201);
    const cid = first.body.conversation.id;
    const [fu, ig] = await Promise.all([post(a, b, 'again'), h.call('POST', `/v1/conversations/${cid}/ignore`, { token: b.token })]);
    expect([fu.status, ig.status]).toEqual([201, 200]);
    const [side] = await rows(sql`select ignored, unread from conversation_members where conversation_id = ${Number(cid)} and member_id = ${Number(b.member.id)}`);
    expect(side.ignored).toBe(true);
  }
}, 120_000);

it('a send racing a block: no 500, nothing delivered after the block', async () => {
  for (let round = 0; round < 6; round++) {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(a, b);
    const [s, bl] = await Promise.all([post(a, b, 'hi'), h.call('POST', '/v1/blocks', { token: b.token, body: { handle: a.handle } })]);
    expect([201, 404, 403]).toContain(s.status);
    expect(bl.status).toBe(201);
    const live = await rows(sql`select id from conversations where (starter_id = ${Number(a.member.id)} or recipient_id = ${Number(a.member.id)}) and ended_at is null`);
    expect(live).toEqual([]);
    expect((await post(a, b, 'after')).body.error.code).toBe('recipient_unavailable');
  }
}, 120_000);
