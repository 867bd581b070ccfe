/**
 * Conversations and messages as a member (or a page, through one of its admins) sees them: API.md `Conversation` and `Message`, the inbox, requests and filtered folders, and message pages.
 *
 * One conversation per unordered pair of members; each side has its own row in
 * conversation_members (folder, unread count, read mark, hidden, ignored). Everything that changes
 * a pair runs under the pair's transaction-scoped advisory lock (see lockPair), so sends, follow-ups
 * and request verbs on the same pair are serialized without locking either member for long.
 */

import { and, desc, eq, inArray, isNull, lt } from 'drizzle-orm';
import { sql } from '../../store/sql.js';
import { readIsTold } from '../../policy/index.js';
import { type Runner } from '../../store/db.js';
import { attachments, conversationMembers, conversations, introductions, messageAttachments, messages } from '../../store/schema.js';
import { toApiAttachment, type ApiAttachment } from '../attachments.js';
import type { Deps } from '../context.js';
import { memberFor } from '../projection.js';
import { badRequest } from '../errors.js';
import { cachedMembersByIds, membersByIds, type ApiMember, type MemberRecord } from '../members.js';
import { outsideSpans } from '../../store/spans.js';
import { conversationFor, goneFor, otherOf, parseId, type ConvRow, type MemberSide, type MessageRow } from './pair.js';
import type { Message as ApiMessage, Conversation as ApiConversation } from '../../contract/index.js';
import { existsFor } from '../hidden.js';

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
  load: LoadMembers = (ids) => membersByIds(db, ids),
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
  const loaded = await load(need);
  const senders = new Map<number, MemberRecord>([...(known ?? new Map()), ...loaded]);
  const introById = new Map(intros.map((i) => [i.id, i]));
  return rows.map((r) => {
    const msg = toApiMessage(r, memberFor(deps, readerId, senders.get(r.senderId)!, now), atts.get(r.id) ?? []);
    const intro = r.introductionId !== null ? introById.get(r.introductionId) : undefined;
    const via = intro ? senders.get(intro.viaId) : undefined;
    // the introducer is named only to a reader for whom they still exist (DOMAIN.md 6: blocks hide
    // introductions as everything else; deactivated and closed members are hidden)
    if (intro && existsFor(deps, readerId, via)) {
      msg.introducedBy = memberFor(deps, readerId, via, now);
      msg.introduction = { note: intro.note, forwardNote: intro.forwardNote };
    }
    return msg;
  });
}

/**
 * How a read loads member records: from the rows (the default; what a write's answer, inside its
 * transaction, must see) or, on the list routes, through the read model (`readModelMembers`).
 */
type LoadMembers = (ids: number[]) => Promise<Map<number, MemberRecord>>;
const readModelMembers =
  (deps: Deps): LoadMembers =>
  (ids) =>
    cachedMembersByIds(deps, ids);

/** The conversations as `viewerId` sees them, in the given order. */
export async function conversationViews(
  deps: Deps,
  db: Runner,
  viewerId: number,
  convs: ConvRow[],
  now: Date,
  load: LoadMembers = (ids) => membersByIds(db, ids),
): Promise<ApiConversation[]> {
  if (convs.length === 0) return [];
  const ids = convs.map((c) => c.id);
  const participants = [...new Set(convs.flatMap((c) => [c.starterId, c.recipientId]))];
  // by member and by conversation: on Citus each read reaches only the shards of these members / conversations
  const sides = await db
    .select()
    .from(conversationMembers)
    .where(and(inArray(conversationMembers.memberId, participants), inArray(conversationMembers.conversationId, ids)));
  const side = new Map(sides.map((s) => [`${s.conversationId}:${s.memberId}`, s]));
  const people = await load(participants);
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
  const shaped = await shapeMessages(deps, db, viewerId, lastRows, now, people, load);
  const lastById = new Map(shaped.map((m) => [Number(m.id), m]));
  return convs.map((c) =>
    viewOf(deps, viewerId, c, (id) => side.get(`${c.id}:${id}`), people, c.lastMessageId !== null ? (lastById.get(c.lastMessageId) ?? null) : null, now),
  );
}

/** A conversation as `viewerId` sees it, from its row, its sides, its two members and its last message as shaped for the viewer. */
export function viewOf(
  deps: Deps,
  viewerId: number,
  c: ConvRow,
  sideOf: (memberId: number) => Pick<MemberSide, 'folder' | 'unread' | 'lastReadMessageId'> | undefined,
  people: Map<number, MemberRecord>,
  lastMessage: ApiMessage | null,
  now: Date,
): ApiConversation {
  const otherId = otherOf(c, viewerId);
  const mine = sideOf(viewerId);
  const theirs = sideOf(otherId);
  const me = people.get(viewerId);
  const other = people.get(otherId);
  // what the other side read, as their receipts tell it (readIsTold: they are the reader)
  const receipts = me !== undefined && other !== undefined && readIsTold(other.settings, me.settings, c, otherId);
  return {
    id: String(c.id),
    participants: [people.get(c.starterId)!, people.get(c.recipientId)!].map((m) => memberFor(deps, viewerId, m, now)),
    state: c.state,
    accepted: c.accepted,
    folder: mine?.folder ?? 'inbox',
    unread: mine?.unread ?? 0,
    lastMessage,
    readUpTo: receipts && theirs?.lastReadMessageId ? String(theirs.lastReadMessageId) : null,
  };
}

export async function conversationView(deps: Deps, db: Runner, viewerId: number, conv: ConvRow, now: Date): Promise<ApiConversation> {
  return (await conversationViews(deps, db, viewerId, [conv], now))[0];
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
    readModelMembers(deps),
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
  const { mine } = await conversationFor(db, conversationId, memberId);
  const before = cursor !== undefined ? parseId(cursor, 'cursor') : null;
  const rows = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversationId),
        before !== null ? lt(messages.id, before) : undefined,
        // what this side had ignored stays gone for it (conversation_members.deleted_spans)
        outsideSpans(messages.id, mine.deletedSpans),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const items = await shapeMessages(deps, db, memberId, page, now, undefined, readModelMembers(deps));
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > limit && last ? String(last.id) : null };
}

/** A pending request `memberId` received (not one they sent), or 409. */
