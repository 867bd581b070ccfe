import { claimMemberKeys } from '../../src/store/lookups.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { members } from '../../src/store/schema.js';
import { admin, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, count, credits, folder, makeGroup, reply, send, setTier, settings } from '../helpers/messaging.js';

const DAY = 86_400_000;

describe(`messaging: InMail credits (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ policy: { messagesPerMinute: 1000 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('grants: at the start of a tier, then on each 1st (lazily), each capped at 3 months; the ledger holds them', async () => {
    h.clock.set('2026-03-10T12:00:00Z');
    const a = await signUp(h);
    expect(await credits(h, a)).toBe(0);
    await setTier(h, a, 'career');
    expect(await credits(h, a)).toBe(5);
    h.clock.set('2026-03-31T23:59:59Z');
    expect(await credits(h, a)).toBe(5);
    h.clock.set('2026-04-01T00:00:00Z');
    expect(await credits(h, a)).toBe(10);
    h.clock.set('2026-05-15T00:00:00Z');
    expect(await credits(h, a)).toBe(15);
    h.clock.set('2026-07-02T00:00:00Z');
    expect(await credits(h, a)).toBe(15);
    // the grants due are written once each (reads write them too, for the credits.granted notification)
    const rows = (await h.inst.store.db.execute(
      sql`select count(*)::int as n, count(distinct period)::int as p from inmail_ledger where kind = 'grant' and member_id = ${Number(a.member.id)}`,
    )) as unknown as { rows: { n: number; p: number }[] };
    expect(Number(rows.rows[0]!.n)).toBe(Number(rows.rows[0]!.p));
    // spending writes the monthly grants due (each capped), then the spend
    const b = await signUp(h);
    const r = await send(h, a, b, 'Hello via InMail', { channel: 'inmail', subject: 'Hello' });
    expect(r.status).toBe(201);
    expect(await credits(h, a)).toBe(14);
    const kinds = (await h.inst.store.db.execute(
      sql`select kind, sum(amount)::int as s from inmail_ledger where member_id = ${Number(a.member.id)} group by kind order by kind`,
    )) as unknown as { rows: { kind: string; s: number }[] };
    expect(Object.fromEntries(kinds.rows.map((k) => [k.kind, Number(k.s)]))).toEqual({ grant: 15, spend: -1 });
    const history = await h.call('GET', '/v1/me/credits', { token: a.token });
    expect(history.body.items.map((e: { kind: string; credits: number; balanceAfter: number }) => [e.kind, e.credits, e.balanceAfter])).toEqual([
      ['spend', -1, 14],
      ['grant', 5, 15],
      ['grant', 5, 10],
      ['grant', 5, 5],
    ]);
  });

  it('a renewal or an upgrade never takes credits back (issue 14, finding 4)', async () => {
    h.clock.set('2026-03-10T12:00:00Z');
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await setTier(h, a, 'business');
    await setTier(h, b, 'business');
    expect(await credits(h, a)).toBe(15);
    expect((await send(h, b, c, 'one InMail', { channel: 'inmail', subject: 'hi' })).status).toBe(201);
    expect(await credits(h, b)).toBe(14);
    h.clock.set('2026-03-20T12:00:00Z');
    await setTier(h, a, 'sales_navigator');
    await setTier(h, b, 'sales_navigator');
    expect(await credits(h, a)).toBe(65);
    expect(await credits(h, b)).toBe(64);
    // a renewal grants nothing and keeps everything
    await setTier(h, a, 'sales_navigator', '2027-03-20T12:00:00Z');
    expect(await credits(h, a)).toBe(65);
    // a downgrade keeps a balance above the new cap; the next grant adds nothing beyond it
    await setTier(h, b, 'career');
    expect(await credits(h, b)).toBe(64);
    h.clock.set('2026-04-01T00:00:00Z');
    expect(await credits(h, b)).toBe(64);
    // lapsed: the tier credits stay but cannot be spent; renewing makes them spendable again
    await setTier(h, b, 'career', '2026-03-01T00:00:00Z');
    expect(await credits(h, b)).toBe(64);
    const lapsed = await send(h, b, c, 'another', { channel: 'inmail', subject: 'hi' });
    expect(lapsed.status).toBe(403);
    expect(lapsed.body.error.code).toBe('no_inmail_credits');
  });

  it('purchased credits: any tier, never capped, spent after tier credits, listed apart (DOMAIN.md 1)', async () => {
    h.clock.set('2026-03-10T12:00:00Z');
    const [a, c] = [await signUp(h), await signUp(h)];
    const bad = await admin(h, 'POST', `/v1/admin/members/${a.handle}/inmail-credits`, { credits: 0 });
    expect(bad.status).toBe(400);
    expect((await admin(h, 'POST', `/v1/admin/members/${a.handle}/inmail-credits`, { credits: 10_001 })).status).toBe(400);
    expect((await admin(h, 'POST', '/v1/admin/members/nobody_here/inmail-credits', { credits: 1 })).status).toBe(404);
    const ok = await admin(h, 'POST', `/v1/admin/members/${a.handle}/inmail-credits`, { credits: 2, note: 'bought 2' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ balance: 2 });
    const me = await h.call('GET', '/v1/me', { token: a.token });
    expect(me.body.quotas).toMatchObject({ inmailCredits: 2, purchasedCredits: 2 });
    // a free member spends purchased credits
    expect((await send(h, a, c, 'paid for', { channel: 'inmail', subject: 'hi' })).status).toBe(201);
    expect((await h.call('GET', '/v1/me', { token: a.token })).body.quotas).toMatchObject({ inmailCredits: 1, purchasedCredits: 1 });
    // a paid tier spends its tier credits first
    await setTier(h, a, 'career');
    const d = await signUp(h);
    expect((await send(h, a, d, 'tier first', { channel: 'inmail', subject: 'hi' })).status).toBe(201);
    expect((await h.call('GET', '/v1/me', { token: a.token })).body.quotas).toMatchObject({ inmailCredits: 5, purchasedCredits: 1 });
    const history = await h.call('GET', '/v1/me/credits', { token: a.token });
    expect(history.body.items.find((e: { kind: string }) => e.kind === 'purchase')).toMatchObject({ credits: 2, note: 'bought 2' });
  });

  it('InMail only when asked for, and a free channel wins over it (no credit spent)', async () => {
    h.clock.set('2026-08-05T12:00:00Z');
    const a = await signUp(h);
    const friend = await signUp(h);
    const stranger = await signUp(h);
    await setTier(h, a, 'business');
    await connect(h, a, friend);
    const free = await send(h, a, friend, 'hi', { channel: 'inmail', subject: 'hi' });
    expect(free.status).toBe(201);
    expect(free.body.message.channel).toBe('direct');
    expect(await credits(h, a)).toBe(15);
    const denied = await send(h, a, stranger, 'hi');
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('not_in_reach');
    expect(denied.body.error.unlock).toContainEqual({ kind: 'inmail', credits: 1 });
    expect(await credits(h, a)).toBe(15);
    const r = await send(h, a, stranger, 'A job for you', { channel: 'inmail', subject: 'Opportunity' });
    expect(r.status).toBe(201);
    expect(r.body.message).toMatchObject({ channel: 'inmail', subject: 'Opportunity' });
    expect(r.body.conversation.state).toBe('open');
    expect((await folder(h, stranger, 'inbox')).map((c) => c.id)).toContain(r.body.conversation.id);
    expect(await credits(h, a)).toBe(14);
  });

  it('subject at most 200 and body at most 1,900 characters: 400 too_long, nothing spent', async () => {
    h.clock.set('2026-08-06T12:00:00Z');
    const a = await signUp(h);
    const b = await signUp(h);
    await setTier(h, a, 'career');
    const s = await send(h, a, b, 'body', { channel: 'inmail', subject: 's'.repeat(201) });
    expect(s.status).toBe(400);
    expect(s.body.error).toMatchObject({ code: 'too_long', details: { field: 'subject' } });
    const bd = await send(h, a, b, 'b'.repeat(1901), { channel: 'inmail', subject: 'ok' });
    expect(bd.status).toBe(400);
    expect(bd.body.error).toMatchObject({ code: 'too_long', details: { field: 'body' } });
    expect((await send(h, a, b, 'b'.repeat(1900), { channel: 'inmail', subject: 's'.repeat(200) })).status).toBe(201);
    expect(await credits(h, a)).toBe(4);
  });

  it('free members have no credits; a lapsed tier cannot spend; acceptInMail off refuses', async () => {
    h.clock.set('2026-08-07T12:00:00Z');
    const free = await signUp(h);
    const b = await signUp(h);
    const r = await send(h, free, b, 'hi', { channel: 'inmail', subject: 'x' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('no_inmail_credits');
    expect(r.body.error.unlock).toContainEqual({ kind: 'upgrade', tier: 'career' });
    const lapsed = await signUp(h);
    await setTier(h, lapsed, 'career', '2026-09-01T00:00:00Z');
    expect(await credits(h, lapsed)).toBe(5);
    h.clock.set('2026-09-02T00:00:00Z');
    const l = await send(h, lapsed, b, 'hi', { channel: 'inmail', subject: 'x' });
    expect(l.status).toBe(403);
    expect(l.body.error.code).toBe('no_inmail_credits');
    expect(await credits(h, lapsed)).toBe(5);
    const premium = await signUp(h);
    await setTier(h, premium, 'sales_navigator');
    await settings(h, b, { acceptInMail: false });
    const n = await send(h, premium, b, 'hi', { channel: 'inmail', subject: 'x' });
    expect(n.status).toBe(403);
    expect(n.body.error.code).toBe('inmail_not_accepted');
    expect(await count(h, "inmail_ledger where kind = 'spend' and member_id = " + Number(premium.member.id))).toBe(0);
  });

  it('a reply within 90 days gives the credit back, once; after 90 days it does not', async () => {
    h.clock.set('2026-10-05T12:00:00Z');
    const a = await signUp(h);
    const b = await signUp(h);
    const c = await signUp(h);
    await setTier(h, a, 'career', '2027-12-31T00:00:00Z');
    const rb = await send(h, a, b, 'hello b', { channel: 'inmail', subject: 'b' });
    const rc = await send(h, a, c, 'hello c', { channel: 'inmail', subject: 'c' });
    expect(await credits(h, a)).toBe(3);
    h.clock.advance(10 * DAY);
    expect((await reply(h, b, rb.body.conversation.id, 'thanks!')).status).toBe(201);
    expect(await credits(h, a)).toBe(4);
    expect((await reply(h, b, rb.body.conversation.id, 'and more')).status).toBe(201);
    expect(await credits(h, a)).toBe(4);
    // the sender writing again refunds nothing
    expect((await reply(h, a, rb.body.conversation.id, 'great')).status).toBe(201);
    expect(await credits(h, a)).toBe(4);
    h.clock.set('2027-01-04T12:00:01Z'); // 91 days after the InMail to c (+ grants of Nov, Dec, Jan, capped)
    const before = await credits(h, a);
    expect((await reply(h, c, rc.body.conversation.id, 'late answer')).status).toBe(201);
    expect(await credits(h, a)).toBe(before);
  });
});

describe(`messaging: concurrency and idempotency (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({
      policy: {
        messagesPerMinute: 1000,
        nonConnectionConversationsPerMonth: 1000,
        bulkRecipientsThreshold: 1000,
        inmailMonthlyCredits: { free: 0, career: 1, business: 15, sales_navigator: 50 },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('100 parallel InMail sends with one credit spend exactly one', async () => {
    const a = await signUp(h);
    await setTier(h, a, 'career');
    expect(await credits(h, a)).toBe(1);
    const handles: string[] = [];
    for (let i = 0; i < 100; i++) {
      const handle = `rcpt_${process.pid % 1000}_${i}`;
      // a bare member row, as an import writes it, with its handle's lookup row (src/store/lookups.ts)
      const [m] = await h.inst.store.db.insert(members).values({ handle, kind: 'person', name: handle }).returning({ id: members.id });
      await claimMemberKeys(h.inst.store.db, m!.id, handle, null);
      handles.push(handle);
    }
    const rs = await Promise.all(handles.map((to) => send(h, a, to, 'Parallel InMail', { channel: 'inmail', subject: 'race' })));
    const ok = rs.filter((r) => r.status === 201);
    expect(ok).toHaveLength(1);
    for (const r of rs.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('no_inmail_credits');
    }
    expect(await credits(h, a)).toBe(0);
    expect(await count(h, `inmail_ledger where kind = 'spend' and member_id = ${Number(a.member.id)}`)).toBe(1);
    expect(await count(h, `messages where sender_id = ${Number(a.member.id)}`)).toBe(1);
  });

  it('follow-up race: of parallel follow-ups on a pending request exactly one is stored', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await makeGroup(h, [a, b]);
    const first = await send(h, a, b, 'hello');
    expect(first.body.conversation.state).toBe('request');
    const cid = first.body.conversation.id;
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => reply(h, a, cid, `follow-up ${i}`)));
    expect(rs.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of rs.filter((x) => x.status !== 201)) expect(r.body.error.code).toBe('awaiting_response');
    expect(await count(h, `messages where conversation_id = ${Number(cid)}`)).toBe(2);
  });

  it('parallel first messages both ways between the same pair make one conversation', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const rs = await Promise.all([send(h, a, b, 'hi b'), send(h, b, a, 'hi a'), send(h, a, b, 'hi again'), send(h, b, a, 'hey')]);
    expect(rs.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(rs.map((r) => r.body.conversation.id)).size).toBe(1);
  });

  it('Idempotency-Key: a retry returns the same message and stores nothing new', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const headers = { 'idempotency-key': 'send-1' };
    const r1 = await send(h, a, b, 'exactly once', {}, headers);
    const r2 = await send(h, a, b, 'exactly once', {}, headers);
    expect(r1.status).toBe(201);
    expect(r2.status).toBe(201);
    expect(r2.body).toEqual(r1.body);
    expect(await count(h, `messages where sender_id = ${Number(a.member.id)}`)).toBe(1);
    const other = await send(h, a, b, 'something else', {}, headers);
    expect(other.status).toBe(409);
    // replies too
    const cid = r1.body.conversation.id;
    const k = { 'idempotency-key': 'reply-1' };
    const p1 = await reply(h, b, cid, 'answer', undefined, k);
    const p2 = await reply(h, b, cid, 'answer', undefined, k);
    expect(p2.body.message.id).toBe(p1.body.message.id);
    expect(await count(h, `messages where conversation_id = ${Number(cid)}`)).toBe(2);
  });

  it('Idempotency-Key race: parallel retries store one message and all answer the same', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const rs = await Promise.all(Array.from({ length: 10 }, () => send(h, a, b, 'raced', {}, { 'idempotency-key': 'race-1' })));
    const ok = rs.filter((r) => r.status === 201);
    expect(ok).toHaveLength(10);
    expect(new Set(ok.map((r) => r.body.message.id)).size).toBe(1);
    expect(await count(h, `messages where sender_id = ${Number(a.member.id)}`)).toBe(1);
  });
});
