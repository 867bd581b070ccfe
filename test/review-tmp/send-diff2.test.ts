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

it('a second script of sends', async () => {
  const U: Record<string, U> = {};
  for (const n of 'a b c d e f g h i j k l'.split(' ')) U[n] = await signUp(h, `v${n}x`);
  const { a, b, c, d, e, f, g, i, j, k, l } = U;
  // read receipts: b reads, then a writes (readUpTo in the answer)
  await connect(a, b);
  const r1 = await step('ab1', a, { handle: b.handle }, 'one');
  await ok('POST', `/v1/conversations/${r1.body.conversation.id}/read`, b.token);
  await step('ab2-after-read', a, { handle: b.handle }, 'two');
  await step('ba-reply', b, { conv: r1.body.conversation.id }, 'three');
  await ok('POST', `/v1/conversations/${r1.body.conversation.id}/read`, a.token);
  await ok('PATCH', '/v1/me/settings', b.token, { readReceipts: false });
  await step('ab3-receipts-off', a, { handle: b.handle }, 'four');
  // an introduction into a thread the pair already has (the target had written to the asker first)
  await connect(c, d);
  await connect(d, e);
  const gr = await ok('POST', '/v1/groups', e.token, { name: 'g' });
  await ok('POST', `/v1/groups/${gr.body.id}/members`, c.token);
  await step('ec-request', e, { handle: c.handle }, 'hello c, from e');
  const intro = await ok('POST', '/v1/introductions', c.token, { to: e.handle, via: d.handle, note: 'intro pls' });
  const fw = await ok('POST', `/v1/introductions/${intro.body.id}/forward`, d.token, { note: 'meet' });
  log.push({ label: 'forward', status: fw.status, conv: fw.body.conversationId ?? null });
  const ce = await h.call('GET', '/v1/conversations?folder=inbox', { token: c.token });
  log.push({ label: 'c inbox', items: strip(ce.body.items) });
  const ec = await h.call('GET', '/v1/conversations?folder=requests', { token: e.token });
  log.push({ label: 'e requests', items: strip(ec.body.items) });
  await step('ce-fu', c, { handle: e.handle }, 'following up');
  // an introduction to a member with message requests off (delivered to the inbox)
  await connect(f, g);
  await connect(g, i);
  await ok('PATCH', '/v1/me/settings', i.token, { messageRequests: 'off' });
  const intro2 = await ok('POST', '/v1/introductions', f.token, { to: i.handle, via: g.handle });
  await ok('POST', `/v1/introductions/${intro2.body.id}/forward`, g.token, {});
  const fi = await h.call('GET', '/v1/conversations?folder=inbox', { token: i.token });
  log.push({ label: 'i inbox', items: strip(fi.body.items) });
  await step('fi-after', f, { handle: i.handle }, 'after the intro');
  await step('if-reply', i, { handle: f.handle }, 'reply to f');
  // a page whose admin is restricted answers
  await ok('POST', '/v1/pages', j.token, { handle: 'pagey', name: 'Page Y' });
  const r6 = await step('k-page', k, { handle: 'pagey' }, 'hi page');
  await ok('POST', `/v1/conversations/${r6.body.conversation.id}/accept?as=pagey`, j.token);
  await ok('POST', `/v1/admin/members/${j.handle}/restrict`, ADMIN_TOKEN);
  await step('page-k-restricted-author', j, { conv: r6.body.conversation.id, as: 'pagey' }, 'hello from page');
  await ok('POST', `/v1/admin/members/${j.handle}/unrestrict`, ADMIN_TOKEN);
  await step('page-k', j, { conv: r6.body.conversation.id, as: 'pagey' }, 'hello from page');
  // a request the recipient hid, then a follow-up
  const gr2 = await ok('POST', '/v1/groups', l.token, { name: 'g2' });
  await ok('POST', `/v1/groups/${gr2.body.id}/members`, a.token);
  const r7 = await step('la-req', l, { handle: a.handle }, 'hi a');
  await ok('DELETE', `/v1/conversations/${r7.body.conversation.id}`, a.token);
  await step('la-fu-after-hide', l, { handle: a.handle }, 'hi again');
  // the sender of a request writes again after the recipient accepted and then removed... (self-send)
  await step('self', a, { handle: a.handle }, 'me');
  await step('unknown', a, { handle: 'nobody_here' }, 'x');

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
