/**
 * Conversations as a member (or a page, through one of its admins) sees them: API.md
 * `Conversation` and `Message`, the inbox and requests folders, message pages, and the verbs on a
 * conversation (accept, ignore, read, report, hide).
 *
 * One conversation per unordered pair of members; each side has its own row in
 * conversation_members (folder, unread count, read mark, hidden, ignored). Everything that changes
 * a pair runs under the pair's transaction-scoped advisory lock (see lockPair), so sends, follow-ups
 * and request verbs on the same pair are serialized without locking either member for long.
 */
import { and, desc, eq, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { decideIgnoreRequest, REPORT_WINDOW_MS, reportCounts, shouldRestrict, showReadReceipts } from '../policy/index.js';
import { rowsOf, selectRows, type Runner } from '../store/db.js';
import { attachments, conversationMembers, conversations, events, introductions, members, messageAttachments, messages, reports } from '../store/schema.js';
import { isPageAdmin } from './pages.js';
import { toApiAttachment, type ApiAttachment } from './attachments.js';
import type { Deps } from './context.js';
import { memberFor } from './projection.js';
import { dropRequestNotifications } from './notifications.js';
import { badRequest, conflict, notFound } from './errors.js';
import { enforce } from './decisions.js';
import { toMemberFacts } from './facts.js';
import { lockMembers, memberByHandle, memberById, membersByIds, toApiMember, type ApiMember, type MemberRecord } from './members.js';
import type { Uow } from './uow.js';

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Message as ApiMessage, Conversation as ApiConversation } from '../contract/index.js';
export type { ApiMessage, ApiConversation };

export type ConvRow = typeof conversations.$inferSelect;
export type MemberSide = typeof conversationMembers.$inferSelect;
type MessageRow = typeof messages.$inferSelect;

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

/** A message with its sender as the reader may see them (the projection). */
export function toApiMessage(m: MessageRow, sender: ApiMember, atts: ApiAttachment[]): ApiMessage {
  return {
    id: String(m.id),
    conversationId: String(m.conversationId),
    sender,
    body: m.body,
    subject: m.subject ?? null,
    channel: m.channel,
    createdAt: m.createdAt.toISOString(),
    attachments: atts,
  };
}

/** Messages by rows as `readerId` sees them, with their senders and attachments (two more queries for any number). */
export async function shapeMessages(
  deps: Deps,
  db: Runner,
  readerId: number,
  rows: MessageRow[],
  now: Date,
  known?: Map<number, MemberRecord>,
): Promise<ApiMessage[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  // Two reads, each by its distribution column on Citus: the links by message, the files by uploader (the sender).
  const links = await db.select().from(messageAttachments).where(inArray(messageAttachments.messageId, ids));
  const senderOf = new Map(rows.map((r) => [r.id, r.senderId]));
  const files = links.length
    ? await db
        .select({ id: attachments.id, name: attachments.name, type: attachments.type, size: attachments.size })
        .from(attachments)
        .where(
          and(
            inArray(attachments.uploaderId, [...new Set(links.map((l) => senderOf.get(l.messageId)!))]),
            inArray(
              attachments.id,
              links.map((l) => l.attachmentId),
            ),
          ),
        )
        .orderBy(attachments.createdAt, attachments.id)
    : [];
  const atts = new Map<number, ApiAttachment[]>();
  for (const f of files) {
    for (const l of links) {
      if (l.attachmentId !== f.id) continue;
      const list = atts.get(l.messageId) ?? [];
      list.push(toApiAttachment(f));
      atts.set(l.messageId, list);
    }
  }
  const introRows = rows.filter((r) => r.introductionId !== null);
  const intros = introRows.length
    ? await db
        .select()
        .from(introductions)
        .where(
          and(
            inArray(introductions.askerId, [...new Set(introRows.map((r) => r.senderId))]),
            inArray(
              introductions.id,
              introRows.map((r) => r.introductionId!),
            ),
          ),
        )
    : [];
  const need = [...new Set([...rows.map((r) => r.senderId), ...intros.map((i) => i.viaId)])].filter((id) => !known?.has(id));
  const loaded = await membersByIds(db, need);
  const senders = new Map<number, MemberRecord>([...(known ?? new Map()), ...loaded]);
  const introById = new Map(intros.map((i) => [i.id, i]));
  return rows.map((r) => {
    const msg = toApiMessage(r, memberFor(deps, readerId, senders.get(r.senderId)!, now), atts.get(r.id) ?? []);
    const intro = r.introductionId !== null ? introById.get(r.introductionId) : undefined;
    const via = intro ? senders.get(intro.viaId) : undefined;
    // the introducer is named only to a reader for whom they still exist (DOMAIN.md 6: blocks hide
    // introductions as everything else; deactivated and closed members are hidden)
    if (intro && via && via.status === 'active' && (via.id === readerId || !deps.graph.isBlockedEitherWay(readerId, via.id))) {
      msg.introducedBy = memberFor(deps, readerId, via, now);
      msg.introduction = { note: intro.note, forwardNote: intro.forwardNote };
    }
    return msg;
  });
}

/** The conversations as `viewerId` sees them, in the given order. */
export async function conversationViews(deps: Deps, db: Runner, viewerId: number, convs: ConvRow[], now: Date): Promise<ApiConversation[]> {
  if (convs.length === 0) return [];
  const ids = convs.map((c) => c.id);
  const participants = [...new Set(convs.flatMap((c) => [c.starterId, c.recipientId]))];
  // by member and by conversation: on Citus each read reaches only the shards of these members / conversations
  const sides = await db
    .select()
    .from(conversationMembers)
    .where(and(inArray(conversationMembers.memberId, participants), inArray(conversationMembers.conversationId, ids)));
  const side = new Map(sides.map((s) => [`${s.conversationId}:${s.memberId}`, s]));
  const people = await membersByIds(db, participants);
  const withLast = convs.filter((c) => c.lastMessageId !== null);
  const lastRows = withLast.length
    ? await db
        .select()
        .from(messages)
        .where(
          and(
            inArray(
              messages.conversationId,
              withLast.map((c) => c.id),
            ),
            inArray(
              messages.id,
              withLast.map((c) => c.lastMessageId!),
            ),
          ),
        )
    : [];
  const shaped = await shapeMessages(deps, db, viewerId, lastRows, now, people);
  const lastById = new Map(shaped.map((m) => [Number(m.id), m]));
  return convs.map((c) => {
    const otherId = otherOf(c, viewerId);
    const mine = side.get(`${c.id}:${viewerId}`);
    const theirs = side.get(`${c.id}:${otherId}`);
    const me = people.get(viewerId);
    const other = people.get(otherId);
    const receipts = me !== undefined && other !== undefined && showReadReceipts(me.settings, other.settings);
    return {
      id: String(c.id),
      participants: [people.get(c.starterId)!, people.get(c.recipientId)!].map((m) => memberFor(deps, viewerId, m, now)),
      state: c.state,
      accepted: c.accepted,
      folder: mine?.folder ?? 'inbox',
      unread: mine?.unread ?? 0,
      lastMessage: c.lastMessageId !== null ? (lastById.get(c.lastMessageId) ?? null) : null,
      readUpTo: receipts && theirs?.lastReadMessageId ? String(theirs.lastReadMessageId) : null,
    };
  });
}

export async function conversationView(deps: Deps, db: Runner, viewerId: number, conv: ConvRow, now: Date): Promise<ApiConversation> {
  return (await conversationViews(deps, db, viewerId, [conv], now))[0];
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
  opts: { forUpdate?: boolean } = {},
): Promise<{ conv: ConvRow; mine: MemberSide; theirs: MemberSide | null }> {
  const [peek] = await db.select().from(conversations).where(eq(conversations.id, id)).limit(1);
  // A thread a block ended is gone for both, for good (DOMAIN.md 6).
  if (!peek || peek.endedAt !== null || (peek.starterId !== memberId && peek.recipientId !== memberId)) throw notFound('no such conversation');
  let conv = peek;
  if (opts.forUpdate) {
    await lockPair(db, peek.starterId, peek.recipientId);
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
  const res = { rows: await selectRows<{ b: unknown }>(db, sql`select (${blockedEitherWay(memberId, otherId)} or ${otherGone(otherId)}) as b`) };
  if (res.rows[0]?.b === true) throw notFound('no such conversation');
  return { conv, mine, theirs: sides.find((s) => s.memberId === otherId) ?? null };
}

/** Of `others`, those gone for `memberId`: blocked either way, deactivated or closed (each read by its distribution column on Citus). */
async function goneFor(db: Runner, memberId: number, others: number[]): Promise<Set<number>> {
  if (others.length === 0) return new Set();
  const list = sql`${`{${others.join(',')}}`}::bigint[]`;
  const res = {
    rows: await selectRows<{ id: unknown }>(
      db,
      sql`
    select blocked as id from blocks where blocker = ${memberId} and blocked = any(${list}) and unblocked_at is null
    union select blocker from blocks where blocker = any(${list}) and blocked = ${memberId} and unblocked_at is null
    union select id from members where id = any(${list}) and status <> 'active'`,
    ),
  };
  return new Set(res.rows.map((r) => Number(r.id)));
}

/** Cursor of a conversation list: the last item's activity instant and last message id. */
function encodeListCursor(at: Date, lastMessageId: number): string {
  return `${at.getTime()}.${lastMessageId}`;
}

function decodeListCursor(raw: string): { at: Date; lastMessageId: number } {
  const m = /^([0-9]{1,15})\.([0-9]{1,15})$/.exec(raw);
  // an instant past year 9999 cannot be compared with a timestamptz (a 400, not the storage error)
  if (!m || Number(m[1]) > 253_402_300_799_999) throw badRequest('cursor: malformed', { field: 'cursor' });
  return { at: new Date(Number(m[1])), lastMessageId: Number(m[2]) };
}

/** A folder of `memberId`, newest activity first (keyset on last activity, then last message id). */
export async function listConversations(
  deps: Deps,
  db: Runner,
  memberId: number,
  folder: 'inbox' | 'requests' | 'filtered',
  cursor: string | undefined,
  limit: number,
  now: Date,
): Promise<{ items: ApiConversation[]; nextCursor: string | null }> {
  // The member's sides (one shard on Citus) in list order, then their conversations by id and the
  // other members that are gone for the viewer (blocked either way, deactivated or closed); a batch
  // that loses rows to those is followed by the next until the page is full.
  let from = cursor ? decodeListCursor(cursor) : null;
  const rows: { conv: ConvRow; side: MemberSide }[] = [];
  const batch = limit + 1;
  for (;;) {
    const sides = await db
      .select()
      .from(conversationMembers)
      .where(
        and(
          eq(conversationMembers.memberId, memberId),
          eq(conversationMembers.folder, folder),
          eq(conversationMembers.hidden, false),
          eq(conversationMembers.ignored, false),
          from
            ? sql`(${conversationMembers.lastActivityAt}, coalesce(${conversationMembers.lastMessageId}, 0)) < (${from.at.toISOString()}::timestamptz, ${from.lastMessageId}::bigint)`
            : undefined,
        ),
      )
      .orderBy(desc(conversationMembers.lastActivityAt), sql`coalesce(${conversationMembers.lastMessageId}, 0) desc`)
      .limit(batch);
    if (sides.length === 0) break;
    const convs = await db
      .select()
      .from(conversations)
      .where(
        and(
          inArray(
            conversations.id,
            sides.map((s) => s.conversationId),
          ),
          isNull(conversations.endedAt),
        ),
      );
    const byId = new Map(convs.map((c) => [c.id, c]));
    const gone = await goneFor(db, memberId, [...new Set(convs.map((c) => otherOf(c, memberId)))]);
    for (const s of sides) {
      const c = byId.get(s.conversationId);
      if (!c || gone.has(otherOf(c, memberId))) continue;
      rows.push({ conv: c, side: s });
      if (rows.length === limit + 1) break;
    }
    if (rows.length === limit + 1 || sides.length < batch) break;
    const end = sides[sides.length - 1];
    from = { at: end.lastActivityAt, lastMessageId: end.lastMessageId ?? 0 };
  }
  const page = rows.slice(0, limit);
  const items = await conversationViews(
    deps,
    db,
    memberId,
    page.map((r) => r.conv),
    now,
  );
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeListCursor(last.side.lastActivityAt, last.side.lastMessageId ?? 0) : null;
  return { items, nextCursor };
}

/** Messages of a conversation, newest first; the cursor is the last id seen (stable while new ones arrive). */
export async function listMessages(
  deps: Deps,
  db: Runner,
  conversationId: number,
  memberId: number,
  cursor: string | undefined,
  limit: number,
  now: Date,
): Promise<{ items: ApiMessage[]; nextCursor: string | null }> {
  await conversationFor(db, conversationId, memberId);
  const before = cursor !== undefined ? parseId(cursor, 'cursor') : null;
  const rows = await db
    .select()
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), before !== null ? lt(messages.id, before) : undefined))
    .orderBy(desc(messages.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const items = await shapeMessages(deps, db, memberId, page, now);
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > limit && last ? String(last.id) : null };
}

/** A pending request `memberId` received (not one they sent), or 409. */
function requireReceivedRequest(conv: ConvRow, memberId: number) {
  if (conv.state !== 'request' || conv.recipientId !== memberId) throw conflict('this conversation is not a message request you received', { field: 'id' });
}

/** Accept a request: the conversation opens (no connection, no full profile) and moves to the inbox. */
export async function acceptRequest(u: Uow, actor: Actor, id: number): Promise<ApiConversation> {
  const me = actor.member.id;
  const { conv } = await conversationFor(u.tx, id, me, { forUpdate: true });
  requireReceivedRequest(conv, me);
  await u.tx.update(conversations).set({ state: 'open', accepted: true }).where(eq(conversations.id, id));
  await u.tx
    .update(conversationMembers)
    .set({ folder: 'inbox' })
    .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
  const view = await conversationView(u.deps, u.tx, me, { ...conv, state: 'open', accepted: true }, u.now);
  return view;
}

/**
 * Ignore a request: it is gone for the recipient; the sender is told nothing and still sees it
 * pending. A page's requests cannot be ignored (pages_cannot_ignore).
 */
export async function ignoreRequest(u: Uow, actor: Actor, id: number): Promise<ApiConversation> {
  const me = actor.member.id;
  const { conv } = await conversationFor(u.tx, id, me, { forUpdate: true });
  requireReceivedRequest(conv, me);
  const d = decideIgnoreRequest(toMemberFacts(u.deps, actor.member));
  enforce(d, u.now);
  await u.tx
    .update(conversationMembers)
    .set({ ignored: true, hidden: true, unread: 0 })
    .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
  await dropRequestNotifications(u, me, id);
  // Internal: the sockets stop relaying typing into it at once (src/realtime/stream.ts).
  await u.emit('conversation.ignored', [me], { conversationId: String(id), memberId: me });
  const view = await conversationView(u.deps, u.tx, me, conv, u.now);
  return { ...view, unread: 0 };
}

/** Marks everything read; the other side learns it only when both have read receipts on. */
export async function markRead(u: Uow, actor: Actor, id: number): Promise<ApiConversation> {
  const me = actor.member.id;
  const { conv, theirs } = await conversationFor(u.tx, id, me, { forUpdate: true });
  await u.tx
    .update(conversationMembers)
    .set({ unread: 0, lastReadMessageId: conv.lastMessageId })
    .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
  const otherId = otherOf(conv, me);
  const other = await memberById(u.tx, otherId);
  if (other && showReadReceipts(actor.member.settings, other.settings) && theirs && !theirs.ignored && conv.lastMessageId !== null) {
    await u.emit('read', [otherId], {
      conversationId: String(id),
      memberId: String(me),
      lastReadMessageId: String(conv.lastMessageId),
    });
  }
  return conversationView(u.deps, u.tx, me, conv, u.now);
}

/** Hide a conversation (it comes back with the next message); deleting a received request also drops it for good. */
export async function hideConversation(u: Uow, actor: Actor, id: number): Promise<void> {
  const me = actor.member.id;
  const { conv } = await conversationFor(u.tx, id, me, { forUpdate: true });
  const dropRequest = conv.state === 'request' && conv.recipientId === me;
  await u.tx
    .update(conversationMembers)
    .set(dropRequest ? { hidden: true, ignored: true, unread: 0 } : { hidden: true, unread: 0 })
    .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
  if (dropRequest) await dropRequestNotifications(u, me, id);
  if (dropRequest) await u.emit('conversation.ignored', [me], { conversationId: String(id), memberId: me });
}

/** The instant an operator last cleared the member (unrestrict), from the outbox; null if never. */
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
  const { conv } = await conversationFor(u.tx, id, me, { forUpdate: true });
  const reported = otherOf(conv, me);
  const [wrote] = rowsOf(
    await u.tx.execute(sql`select exists (select 1 from ${messages} m where m.conversation_id = ${id} and m.sender_id = ${reported}
                                            and m.created_at <= ${u.now}) as wrote`),
  );
  const counts = reportCounts({ reason, reportedWroteToReporter: wrote?.wrote === true, reporterSince: actor.author.createdAt }, u.now, u.deps.policy);
  await u.tx.insert(reports).values({ reporterId: me, reportedId: reported, conversationId: id, reason, counts, createdAt: u.now });
  if (conv.state === 'request' && conv.recipientId === me && actor.member.kind !== 'page') {
    await u.tx
      .update(conversationMembers)
      .set({ ignored: true, hidden: true, unread: 0 })
      .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
    await dropRequestNotifications(u, me, id);
  }
  if (counts) {
    await lockMembers(u.tx, [reported]);
    const since = new Date(u.now.getTime() - REPORT_WINDOW_MS);
    const [row] = rowsOf(
      await u.tx.execute(sql`
      select count(distinct r.reporter_id)::int as n, bool_or(m.restricted) as restricted
        from ${reports} r join ${members} m on m.id = r.reported_id
       where r.reported_id = ${reported} and r.counts and r.created_at > ${since}
         and r.created_at > coalesce(${lastClearedSql(reported)}, '-infinity'::timestamptz)
    `),
    );
    if (shouldRestrict(Number(row?.n ?? 0), u.deps.policy) && row?.restricted !== true) {
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
