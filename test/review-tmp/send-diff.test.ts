/**
 * Differential: one script of sends through the HTTP API, then a normalized dump of every row a send
 * writes (conversations, sides, messages, events, notifications, ledger, flags). Run on c793da2 and
 * on HEAD and diff the dumps. Also: each POST's conversation equals GET's for the sender.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ADMIN_TOKEN, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

type U = { token: string; member: { id: string }; handle: string };
const log: unknown[] = [];
const mismatches: unknown[] = [];
const ids = new Map<string, string>();

async function ok(method: string, url: string, token: string | undefined, body?: unknown) {
  const r = await h.call(method, url, { token, body });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
  return r;
}
async function connect(a: U, b: U) {
  const inv = await ok('POST', '/v1/invitations', a.token, { to: b.handle });
  await ok('POST', `/v1/invitations/${inv.body.id}/accept`, b.token);
}
async function group(people: U[]) {
  const g = await ok('POST', '/v1/groups', people[0].token, { name: 'g' });
  for (const p of people.slice(1)) await ok('POST', `/v1/groups/${g.body.id}/members`, p.token);
}
function strip(v: any): any {
  return JSON.parse(JSON.stringify(v ?? null));
}
/** a send (to a handle, or into a conversation), logged, and its view compared with GET's */
async function step(label: string, from: U, to: { handle?: string; conv?: string; as?: string }, body: string, extra: Record<string, unknown> = {}) {
  h.clock.advance(1000);
  const r = to.conv
    ? await h.call('POST', `/v1/conversations/${to.conv}/messages${to.as ? `?as=${to.as}` : ''}`, { token: from.token, body: { body, ...extra } })
    : await h.call('POST', '/v1/messages', { token: from.token, body: { to: to.handle, body, ...extra } });
  const entry: Record<string, unknown> = { label, status: r.status, code: r.body?.error?.code ?? null };
  if (r.status === 201) {
    const cid = r.body.conversation.id;
    const g = await h.call('GET', `/v1/conversations/${cid}${to.as ? `?as=${to.as}` : ''}`, { token: from.token });
    entry.post = strip(r.body.conversation);
    entry.get = strip(g.body);
    if (JSON.stringify(r.body.conversation) !== JSON.stringify(g.body)) mismatches.push({ label, post: r.body.conversation, get: g.body });
    const ms = await h.call('GET', `/v1/conversations/${cid}/messages${to.as ? `?as=${to.as}` : ''}`, { token: from.token });
    const got = ms.body.items.find((m: { id: string }) => m.id === r.body.message.id);
    if (JSON.stringify(got) !== JSON.stringify(r.body.message)) mismatches.push({ label, postMessage: r.body.message, getMessage: got });
  }
  log.push(entry);
  return r;
}

it('a script of sends', async () => {
  const U: Record<string, U> = {};
  for (const n of 'a b c d e f g h i j k l m n o p q r s t'.split(' ')) U[n] = await signUp(h, `u${n}x`);
  const mk = async (n: string) => (U[n] = await signUp(h, `u${n}x`));
  const { a, b, c, d, e, f, g, i, j, k, l, m, n, o, p, q, r } = U;
  // 1. connected: direct, both ways
  await connect(a, b);
  await step('ab1', a, { handle: b.handle }, 'one');
  await step('ba2', b, { handle: a.handle }, 'two');
  await step('ab3', a, { handle: b.handle }, 'three');
  // 2. a request through a group, a follow-up, a refused second follow-up; acceptance; a reply
  await group([c, d]);
  const r1 = await step('cd-req', c, { handle: d.handle }, 'hello d');
  await step('cd-fu1', c, { handle: d.handle }, 'again');
  await step('cd-fu2', c, { handle: d.handle }, 'and again');
  const cdId = r1.body.conversation.id;
  await step('dc-before-accept', d, { conv: cdId }, 'not yet');
  await ok('POST', `/v1/conversations/${cdId}/accept`, d.token);
  await step('dc-after-accept', d, { conv: cdId }, 'welcome');
  await step('cd-after', c, { handle: d.handle }, 'thanks');
  // 3. an ignored request: the sender's follow-up, then the recipient writes (the thread restarts as theirs)
  await group([e, f]);
  const r3 = await step('ef-req', e, { handle: f.handle }, 'hi f');
  await ok('POST', `/v1/conversations/${r3.body.conversation.id}/ignore`, f.token);
  await step('ef-fu-ignored', e, { handle: f.handle }, 'hello?');
  await step('fe-restart', f, { handle: e.handle }, 'hi e after all');
  await step('ef-reply', e, { conv: r3.body.conversation.id }, 'oh hi');
  // 4. request filters: filtered folder
  await group([g, i]);
  await ok('PATCH', '/v1/me/settings', i.token, { requestFilters: { newAccounts: true } });
  await step('gi-filtered', g, { handle: i.handle }, 'filtered hello');
  await step('gi-filtered-fu', g, { handle: i.handle }, 'filtered again');
  // 5. InMail, its refund on a reply
  await ok('PUT', `/v1/admin/members/${j.handle}/subscription`, ADMIN_TOKEN, { tier: 'career', until: '2027-01-01T00:00:00Z' });
  const r5 = await step('jk-inmail', j, { handle: k.handle }, 'inmail body', { channel: 'inmail', subject: 'subj' });
  await step('jk-inmail-into-conv', j, { conv: r5.body.conversation.id }, 'more');
  await step('jk-inmail-2', j, { handle: k.handle }, 'inmail body 2', { channel: 'inmail', subject: 'subj2' });
  await step('kj-reply', k, { conv: r5.body.conversation.id }, 'a reply');
  await step('jk-after-reply', j, { conv: r5.body.conversation.id }, 'thanks');
  // 6. a page: a request, the page's reply
  const page = await ok('POST', '/v1/pages', l.token, { handle: 'pagex', name: 'Page X' });
  void page;
  const r6 = await step('m-page', m, { handle: 'pagex' }, 'to the page');
  await step('m-page-fu', m, { handle: 'pagex' }, 'to the page again');
  await ok('POST', `/v1/conversations/${r6.body.conversation.id}/accept?as=pagex`, l.token);
  await step('page-m', l, { conv: r6.body.conversation.id, as: 'pagex' }, 'the page answers');
  await step('m-page-after', m, { handle: 'pagex' }, 'thanks page');
  // 7. bulk: the same text to 10 non-connections (and twice to one), then an 11th
  const crowd: U[] = [];
  for (let x = 0; x < 11; x++) crowd.push(await mk(`z${x}`));
  await group([n, ...crowd]);
  for (let x = 0; x < 10; x++) {
    await step(`bulk${x}`, n, { handle: crowd[x].handle }, 'Buy  NOW');
    if (x === 3) await step(`bulk${x}-again`, n, { handle: crowd[x].handle }, 'buy now');
    h.clock.advance(60_000);
  }
  await step('bulk10', n, { handle: crowd[10].handle }, 'buy now');
  // 8. a removed connection: the other side writes into the thread that is no longer accepted
  await connect(o, p);
  await group([o, p]);
  const r8 = await step('op1', o, { handle: p.handle }, 'hi p');
  await step('po1', p, { conv: r8.body.conversation.id }, 'hi o');
  await ok('DELETE', `/v1/connections/${p.handle}`, o.token);
  await step('po-after-removal', p, { handle: o.handle }, 'still there?');
  await step('op-after-removal', o, { conv: r8.body.conversation.id }, 'yes');
  // 9. a hidden conversation, then a new message
  await connect(q, r);
  const r9 = await step('qr1', q, { handle: r.handle }, 'one');
  await ok('DELETE', `/v1/conversations/${r9.body.conversation.id}`, r.token);
  await ok('DELETE', `/v1/conversations/${r9.body.conversation.id}`, q.token);
  await step('qr2-after-hide', q, { handle: r.handle }, 'two');
  // 10. an introduction (s asks t... via: s-t connected, t-a connected? use a: b is a's connection)
  const s = U.s;
  const t = U.t;
  await connect(s, t);
  await connect(t, c);
  const intro = await ok('POST', '/v1/introductions', s.token, { to: c.handle, via: t.handle, note: 'pls' });
  await ok('POST', `/v1/introductions/${intro.body.id}/forward`, t.token, { note: 'meet s' });
  await step('s-c-after-intro', s, { handle: c.handle }, 'hello c');

  // the dump
  const db = h.inst.store.db;
  const rows = async (q: ReturnType<typeof sql>) => ((await db.execute(q)) as unknown as { rows: Record<string, unknown>[] }).rows;
  const members = new Map((await rows(sql`select id, handle from members`)).map((x) => [String(x.id), String(x.handle)]));
  const convRank = new Map((await rows(sql`select id from conversations order by id`)).map((x, ix) => [String(x.id), `C${ix}`]));
  const msgRank = new Map((await rows(sql`select id from messages order by id`)).map((x, ix) => [String(x.id), `M${ix}`]));
  const norm = (v: any): any => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      const out: any = {};
      for (const [key, x] of Object.entries(v)) {
        if (x === null || x === undefined) out[key] = x ?? null;
        else if (/^(member_id|starter_id|recipient_id|sender_id|author_id|follower|followee|a|b)$/.test(key)) out[key] = members.get(String(x)) ?? x;
        else if (/^(conversation_id|conversationId)$/.test(key) || (key === 'id' && v.participants)) out[key] = convRank.get(String(x)) ?? x;
        else if (/^(message_id|last_message_id|last_read_message_id|lastReadMessageId|readUpTo)$/.test(key) || (key === 'id' && v.sender)) out[key] = msgRank.get(String(x)) ?? x;
        else if (key === 'member_ids') out[key] = (x as unknown[]).map((y) => members.get(String(y)) ?? y);
        else out[key] = norm(x);
      }
      return out;
    }
    return v;
  };
  const dump = {
    log: norm(log),
    conversations: norm(await rows(sql`select id, starter_id, recipient_id, state, channel, follow_ups, accepted, ended_at, last_message_id from conversations order by id`)),
    sides: norm(await rows(sql`select conversation_id, member_id, folder, unread, last_read_message_id, last_message_id, hidden, ignored from conversation_members order by conversation_id, member_id`)),
    messages: norm(await rows(sql`select id, conversation_id, sender_id, author_id, recipient_id, channel, to_non_connection, subject from messages order by id`)),
    events: norm(await rows(sql`select type, member_ids from events order by id`)),
    notifications: norm(await rows(sql`select member_id, kind, count from notifications order by id`)),
    ledger: norm(await rows(sql`select member_id, kind, pool, amount, message_id from inmail_ledger order by id`)),
    flagged: (await rows(sql`select handle from members where bulk_flagged order by handle`)).map((x) => x.handle),
  };
  writeFileSync(process.env.DUMP ?? `/tmp/review-tests/dump-${storageKind}.json`, JSON.stringify(dump, null, 1));
  writeFileSync((process.env.DUMP ?? `/tmp/review-tests/dump-${storageKind}.json`) + '.mismatch', JSON.stringify(norm(mismatches), null, 1));
  expect(mismatches).toEqual([]);
}, 300_000);
