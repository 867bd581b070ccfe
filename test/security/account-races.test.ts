/**
 * Races around sign-in, passwords, reports, blocks and page admins (found by a reviewer on
 * PostgreSQL): each repeated on fresh members and checked afterwards (test/security/races.ts). On
 * PGlite the requests interleave on one connection and these pass trivially.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, makeGroup, makePage, type User } from '../helpers/messaging.js';
import { invariantViolations } from './invariants.js';
import { any as anyRow, pause, ROUNDS, rounds as runRounds } from './races.js';

let h: Harness;
const tally = new Map<string, string>();
let seq = 0;
const OLD = 'correct horse battery';
/** a client address of its own for each sign-in (the sign-in limits count by address) */
const fromAddress = () => ({ 'x-forwarded-for': `10.9.${Math.floor(++seq / 250)}.${seq % 250}` });
const any = (q: ReturnType<typeof sql>) => anyRow(h, q);
const rounds = (name: string, rule: string, round: (i: number) => Promise<{ statuses: number[]; broke: boolean }>) => runRounds(h, tally, name, rule, round);
const signIn = (u: User, password = OLD) => h.call('POST', '/v1/sessions', { headers: fromAddress(), body: { login: u.handle, password } });

beforeAll(async () => {
  h = await harness({ trustProxy: true });
}, 120_000);

afterAll(async () => {
  console.log(`account races (${storageKind}): ${[...tally].map(([k, v]) => `${k}: ${v}`).join(' | ')}`);
  await h?.close();
});

describe('sign-in and passwords (API.md: a password change ends every other session; a closed member cannot sign in)', () => {
  it('a sign-in with the old password racing a password change leaves no live session', () =>
    rounds('sign_in_vs_password', 'no session of the old password after the change', async (i) => {
      const a = await signUp(h);
      const [changed, signedIn] = await Promise.all([
        h.call('POST', '/v1/me/password', { token: a.token, body: { current: OLD, new: 'brand new password 123' } }),
        pause([0, 20, 40, 60, 80][i % 5]!).then(() => signIn(a)),
      ]);
      const live = signedIn.status === 200 && (await h.call('GET', '/v1/me', { token: signedIn.body.token })).status === 200;
      return { statuses: [changed.status, signedIn.status], broke: live };
    }));

  it('two password changes at once, both from the same current password: one is refused', () =>
    rounds('password_vs_password', 'the second change is checked against the password the first set', async (i) => {
      const a = await signUp(h);
      const other = await signIn(a);
      expect(other.status, other.text).toBe(200);
      const answers = await Promise.all([
        h.call('POST', '/v1/me/password', { token: a.token, body: { current: OLD, new: 'first new password 1' } }),
        pause(i % 3).then(() => h.call('POST', '/v1/me/password', { token: other.body.token, body: { current: OLD, new: 'second new password 2' } })),
      ]);
      return { statuses: answers.map((r) => r.status), broke: answers.every((r) => r.status === 204) };
    }));

  it('a sign-in racing the closure of the account stores no session for a closed member', () =>
    rounds('sign_in_vs_close', 'no session of a closed member', async (i) => {
      const a = await signUp(h);
      const [closed, signedIn] = await Promise.all([pause([0, 10, 20, 30][i % 4]!).then(() => h.call('POST', '/v1/me/close', { token: a.token })), signIn(a)]);
      return { statuses: [closed.status, signedIn.status], broke: await any(sql`select 1 from sessions where member_id = ${Number(a.member.id)}`) };
    }));
});

describe('reports, blocks and pages', () => {
  /** A's message to B, and B's account old enough for B's report to count (reportMinAccountAgeDays). */
  async function reportable(connected: boolean): Promise<{ a: User; b: User; conv: string }[]> {
    const out: { a: User; b: User; conv: string }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const [a, b] = [await signUp(h), await signUp(h)];
      // connected, or sharing a group (the group channel: a request between strangers)
      if (connected) await connect(h, a, b);
      else await makeGroup(h, [a, b]);
      const m = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: `hi ${i}` } });
      expect(m.status, m.text).toBe(201);
      out.push({ a, b, conv: m.body.conversation.id });
    }
    h.clock.advance(8 * 86_400_000);
    return out;
  }

  it('B reports A while A blocks B, or removes their connection: one lock order (no deadlock)', async () => {
    for (const connected of [false, true]) {
      const pairs = await reportable(connected);
      await rounds(connected ? 'report_vs_removal' : 'report_vs_block', 'no deadlock', async (i) => {
        const { a, b, conv } = pairs[i]!;
        const answers = await Promise.all([
          h.call('POST', `/v1/conversations/${conv}/report`, { token: b.token, body: { reason: 'spam' } }),
          pause(i % 3).then(() =>
            connected
              ? h.call('DELETE', `/v1/connections/${b.handle}`, { token: a.token })
              : h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } }),
          ),
        ]);
        return { statuses: answers.map((r) => r.status), broke: false };
      });
    }
  });

  it('the same block twice at once (a double click) answers as a block does, twice', () =>
    rounds('double_block', 'a repeated block is idempotent (201)', async (i) => {
      const [a, b] = [await signUp(h), await signUp(h)];
      const block = () => h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } });
      const answers = await Promise.all([block(), pause(i % 3).then(block)]);
      return { statuses: answers.map((r) => r.status), broke: answers.some((r) => r.status !== 201) };
    }));

  it('an admin removed while writing as the page: the write is refused, or it committed before the removal', () =>
    rounds('admin_removed_vs_page_write', 'no write as the page after the removal', async (i) => {
      const [x, y, p] = [await signUp(h), await signUp(h), await signUp(h)];
      const page = await makePage(h, `racepage_${process.pid % 1000}_${++seq}`, [x, y]);
      const m = await h.call('POST', '/v1/messages', { token: p.token, body: { to: page.handle, body: 'hello page' } });
      const conv = m.body.conversation.id;
      expect((await h.call('POST', `/v1/conversations/${conv}/accept?as=${page.handle}`, { token: x.token })).status).toBe(200);
      const [removed, wrote] = await Promise.all([
        h.call('DELETE', `/v1/pages/${page.handle}/admins/${x.handle}`, { token: y.token }),
        pause([0, 2, 4, 6, 8][i % 5]!).then(() =>
          h.call('POST', `/v1/conversations/${conv}/messages?as=${page.handle}`, { token: x.token, body: { body: 'as page' } }),
        ),
      ]);
      // which committed first: the outbox ids are drawn inside each transaction, at its end
      const after = await any(sql`select 1 from events r join events w on w.id > r.id
          where r.type = 'page.admin_removed' and (r.payload->>'adminId')::int = ${Number(x.member.id)}
            and w.type = 'message.created' and w.payload->>'conversationId' = ${String(conv)} and w.payload->'message'->>'body' = 'as page'`);
      return { statuses: [removed.status, wrote.status], broke: after };
    }));

  it('every data invariant holds after the races', async () => {
    expect(await invariantViolations(h)).toEqual([]);
  });
});
