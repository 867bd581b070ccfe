/**
 * The pair helpers of conversations: who acts (a member or a page through its admin), the pair lock, the pair filter, and the conversation a member may see.
 *
 * One conversation per unordered pair of members; each side has its own row in
 * conversation_members (folder, unread count, read mark, hidden, ignored). Everything that changes
 * a pair runs under the pair's transaction-scoped advisory lock (see lockPair), so sends, follow-ups
 * and request verbs on the same pair are serialized without locking either member for long.
 */

import { and, eq, inArray, type SQL } from 'drizzle-orm';
import { sql } from '../../store/sql.js';
import { selectRows, type Runner } from '../../store/db.js';
import { conversationMembers, conversations, messages } from '../../store/schema.js';
import { isPageAdmin } from '../pages.js';
import { badRequest, notFound } from '../errors.js';
import { lockMembers, memberByHandle, type MemberRecord } from '../members.js';
import type { Message as ApiMessage, Conversation as ApiConversation } from '../../contract/index.js';
export type { ApiMessage, ApiConversation };

export type ConvRow = typeof conversations.$inferSelect;
export type MemberSide = typeof conversationMembers.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;

/** Who acts: `member` is the participant (a person, or a page), `author` the signed-in person. */
export interface Actor {
  member: MemberRecord;
  author: MemberRecord;
}

/**
 * The actor of a conversation route: the caller, or with `?as=<page handle>` the page when the
 * caller is one of its admins. Anyone else gets 404 (nothing about the page's inbox leaks).
 */
export async function actorFor(db: Runner, caller: MemberRecord, asHandle: string | undefined): Promise<Actor> {
  if (asHandle === undefined || asHandle === '') return { member: caller, author: caller };
  const page = await memberByHandle(db, asHandle);
  if (!page || page.kind !== 'page') throw notFound('no such page');
  if (!(await isPageAdmin(db, page.id, caller.id))) throw notFound('no such page');
  return { member: page, author: caller };
}

/** Serializes everything that changes the pair (a, b) until the end of the transaction. */
export async function lockPair(db: Runner, a: number, b: number): Promise<void> {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  await db.execute(sql`select pg_advisory_xact_lock(${lo}::int, ${hi}::int)`);
}

export function pairWhere(a: number, b: number) {
  return sql`least(${conversations.starterId}, ${conversations.recipientId}) = least(${a}::int, ${b}::int)
    and greatest(${conversations.starterId}, ${conversations.recipientId}) = greatest(${a}::int, ${b}::int)`;
}

export const otherOf = (c: ConvRow, me: number) => (c.starterId === me ? c.recipientId : c.starterId);

/** Parses a numeric id from a path or cursor; 400 naming the field otherwise. */
export function parseId(raw: string | undefined, field: string): number {
  if (raw === undefined || !/^[0-9]{1,15}$/.test(raw)) throw badRequest(`${field}: not an id`, { field });
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw badRequest(`${field}: not an id`, { field });
  return n;
}

const blockedEitherWay = (a: number, b: number | SQL) => sql`exists (
  select 1 from blocks bl where bl.unblocked_at is null
    and ((bl.blocker = ${a}::int and bl.blocked = ${b}::int) or (bl.blocker = ${b}::int and bl.blocked = ${a}::int)))`;

/** The other side no longer exists for anyone: deactivated or closed (the same "not found" as a block). */
const otherGone = (other: number | SQL) => sql`exists (select 1 from members gm where gm.id = ${other}::int and gm.status <> 'active')`;

/**
 * The conversation `memberId` takes part in and may see (not a request they ignored or deleted,
 * no block between the two); 404 otherwise. With `forUpdate`, the pair is locked first.
 */
export async function conversationFor(
  db: Runner,
  id: number,
  memberId: number,
  /**
   * forUpdate: the pair's lock, then the conversation's row. lockPeople: with both members' rows
   * between them, the order a block and a removal take theirs (a report, which locks the reported
   * member's row, took it after the conversation's and deadlocked with them: found by a reviewer).
   */
  opts: { forUpdate?: boolean; lockPeople?: boolean } = {},
): Promise<{ conv: ConvRow; mine: MemberSide; theirs: MemberSide | null }> {
  const [peek] = await db.select().from(conversations).where(eq(conversations.id, id)).limit(1);
  // A thread a block ended is gone for both, for good (DOMAIN.md 6).
  if (!peek || peek.endedAt !== null || (peek.starterId !== memberId && peek.recipientId !== memberId)) throw notFound('no such conversation');
  let conv = peek;
  if (opts.forUpdate) {
    await lockPair(db, peek.starterId, peek.recipientId);
    if (opts.lockPeople) await lockMembers(db, [peek.starterId, peek.recipientId]);
    [conv] = await db.select().from(conversations).where(eq(conversations.id, id)).for('no key update');
    if (!conv || conv.endedAt !== null || (conv.starterId !== memberId && conv.recipientId !== memberId)) throw notFound('no such conversation');
  }
  const otherId = otherOf(conv, memberId);
  const sides = await db
    .select()
    .from(conversationMembers)
    .where(and(inArray(conversationMembers.memberId, [conv.starterId, conv.recipientId]), eq(conversationMembers.conversationId, id)));
  const mine = sides.find((s) => s.memberId === memberId);
  if (!mine || mine.ignored) throw notFound('no such conversation');
  const res = await selectRows<{ b: unknown }>(db, sql`select (${blockedEitherWay(memberId, otherId)} or ${otherGone(otherId)}) as b`);
  if (res[0]?.b === true) throw notFound('no such conversation');
  return { conv, mine, theirs: sides.find((s) => s.memberId === otherId) ?? null };
}

/** Of `others`, those gone for `memberId`: blocked either way, deactivated or closed (each read by its distribution column on Citus). */
export async function goneFor(db: Runner, memberId: number, others: number[]): Promise<Set<number>> {
  if (others.length === 0) return new Set();
  const list = sql`${`{${others.join(',')}}`}::bigint[]`;
  const res = await selectRows<{ id: unknown }>(
    db,
    sql`
    select blocked as id from blocks where blocker = ${memberId} and blocked = any(${list}) and unblocked_at is null
    union select blocker from blocks where blocker = any(${list}) and blocked = ${memberId} and unblocked_at is null
    union select id from members where id = any(${list}) and status <> 'active'`,
  );
  return new Set(res.map((r) => Number(r.id)));
}
