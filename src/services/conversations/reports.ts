/**
 * Reports on a conversation: the report verb (the policy decides whether it counts toward restriction) and the moderators' list.
 *
 * One conversation per unordered pair of members; each side has its own row in
 * conversation_members (folder, unread count, read mark, hidden, ignored). Everything that changes
 * a pair runs under the pair's transaction-scoped advisory lock (see lockPair), so sends, follow-ups
 * and request verbs on the same pair are serialized without locking either member for long.
 */

import { and, desc, eq, lt } from 'drizzle-orm';
import { sql } from '../../store/sql.js';
import { distinctReporters, REPORT_WINDOW_MS, reportCounts, shouldRestrict } from '../../policy/index.js';
import { rowsOf, type Runner } from '../../store/db.js';
import { conversationMembers, events, members, messages, reports } from '../../store/schema.js';
import { dropRequestNotifications } from '../notifications.js';
import { lockMembers, memberByHandle, membersByIds, toApiMember } from '../members.js';
import type { Uow } from '../uow.js';
import { conversationFor, otherOf, parseId, type Actor } from './pair.js';
import { conversationView } from './reads.js';
import type { Conversation as ApiConversation } from '../../contract/index.js';

export function lastClearedSql(memberId: number) {
  return sql`(select max(e.created_at) from ${events} e
     where e.type = 'member.restricted' and e.member_ids @> array[${memberId}::bigint]
       and (e.payload->>'restricted') = 'false')`;
}

export type ReportReason = 'spam' | 'harassment' | 'other';

/**
 * Report the other side. Every report reaches the moderators; the policy decides whether it counts
 * toward restriction (reportCounts: spam or harassment, the reported member wrote to the reporter in
 * this conversation before, the reporter's account old enough), and distinct counting reporters in
 * the window (since an operator last cleared the member) restrict them (shouldRestrict).
 * Reporting a request you received also removes it (as ignoring does) unless you are a page.
 */
export async function reportConversation(u: Uow, actor: Actor, id: number, reason: ReportReason): Promise<ApiConversation> {
  const me = actor.member.id;
  const { conv } = await conversationFor(u.tx, id, me, { forUpdate: true, lockPeople: true });
  const reported = otherOf(conv, me);
  const [wrote] = rowsOf(
    await u.tx.execute(sql`select exists (select 1 from ${messages} m where m.conversation_id = ${id} and m.sender_id = ${reported}
                                            and m.created_at <= ${u.now}) as wrote`),
  );
  const counts = reportCounts({ reason, reportedWroteToReporter: wrote?.wrote === true, reporterSince: actor.author.createdAt }, u.now, u.deps.policy);
  const authorId = actor.author.id !== me ? actor.author.id : null; // a page's report: the person who made it
  await u.tx.insert(reports).values({ reporterId: me, authorId, reportedId: reported, conversationId: id, reason, counts, createdAt: u.now });
  if (conv.state === 'request' && conv.recipientId === me && actor.member.kind !== 'page') {
    await u.tx
      .update(conversationMembers)
      .set({ ignored: true, hidden: true, unread: 0 })
      .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
    await dropRequestNotifications(u, actor.member, id);
    await u.emit('conversation.ignored', [me], { conversationId: String(id), memberId: me });
  }
  if (counts) {
    await lockMembers(u.tx, [reported]);
    const since = new Date(u.now.getTime() - REPORT_WINDOW_MS);
    // every reporter's reports of the member (reports sit with their reporter: a deliberate
    // multi-shard read on Citus), each reporter with the person who made a page's report (the
    // policy counts distinct members: distinctReporters), then the member's own row
    const rows = rowsOf(
      await u.tx.execute(sql`
      select distinct r.reporter_id, r.author_id
        from ${reports} r
       where r.reported_id = ${reported} and r.counts and r.created_at > ${since}
         and r.created_at > coalesce(${lastClearedSql(reported)}, '-infinity'::timestamptz)
    `),
    );
    const made = rows.map((r) => ({ reporter: Number(r.reporter_id), author: r.author_id === null ? null : Number(r.author_id) }));
    const [m] = await u.tx.select({ restricted: members.restricted }).from(members).where(eq(members.id, reported));
    if (shouldRestrict(distinctReporters(made), u.deps.policy) && m?.restricted !== true) {
      await u.tx.update(members).set({ restricted: true }).where(eq(members.id, reported));
      await u.emit('member.restricted', [reported], { memberId: reported, restricted: true, by: 'reports' });
    }
  }
  return conversationView(u.deps, u.tx, me, conv, u.now);
}

/** The operator's list of reports, newest first (keyset on id). */
export async function listReports(db: Runner, cursor: string | undefined, limit: number, now: Date, reportedHandle?: string) {
  const before = cursor !== undefined ? parseId(cursor, 'cursor') : null;
  let reportedId: number | undefined;
  if (reportedHandle) {
    const m = await memberByHandle(db, reportedHandle);
    if (!m) return { items: [], nextCursor: null };
    reportedId = m.id;
  }
  const rows = await db
    .select()
    .from(reports)
    .where(and(before !== null ? lt(reports.id, before) : undefined, reportedId !== undefined ? eq(reports.reportedId, reportedId) : undefined))
    .orderBy(desc(reports.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const people = await membersByIds(db, [...new Set(page.flatMap((r) => [r.reporterId, r.reportedId]))]);
  const items = page.map((r) => ({
    id: String(r.id),
    reporter: toApiMember(people.get(r.reporterId)!, now),
    reported: toApiMember(people.get(r.reportedId)!, now),
    conversationId: r.conversationId === null ? null : String(r.conversationId),
    reason: r.reason,
    createdAt: r.createdAt.toISOString(),
  }));
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > limit && last ? String(last.id) : null };
}
