/**
 * What the stream reads from storage, kept apart from the socket registry: the pages a member
 * administers, pages of missed events for a replay, what a replay may still show, and the
 * conversation sides and members typing needs (short-lived caches the hub invalidates from events).
 */
import { and, arrayOverlaps, asc, eq, gt, inArray, isNull, ne, or } from 'drizzle-orm';
import type { BusEvent } from '../services/context.js';
import { memberById, type MemberRecord } from '../services/members.js';
import type { Db } from '../store/db.js';
import { sql } from '../store/sql.js';
import { inSpans } from '../store/spans.js';
import { conversationMembers, conversations, events, invitations, members, notifications, pageAdmins } from '../store/schema.js';
import { STREAM_EVENT_TYPES } from '../contract/stream.js';
import { invitationStillTold, shownAboutConversation } from '../policy/index.js';
import { at, concerned, num, rowToEvent } from './frames.js';

const DURABLE_EXTERNAL = STREAM_EVENT_TYPES.filter((t) => t !== 'typing');

interface CacheEntry<T> {
  at: number;
  value: T;
}

export type ConvSides = { starterId: number; recipientId: number; state: string; ignoredBy: Set<number> } | null;

/** The conversation an event is about: its own, or a notification's subject (a request the viewer may have ignored since). */
function conversationOf(ev: BusEvent): number | undefined {
  return num(at(ev.payload, 'conversationId')) ?? num(at(ev.payload, 'notification', 'subject', 'conversationId'));
}

/**
 * The invitation an event is about, with its sender (the table's distribution column): an
 * `invitation.received`, or the notification of one (its subject names the invitation of the event
 * that wrote it, its newest actor that invitation's sender).
 */
function invitationOf(ev: BusEvent): { id: number; from: number } | undefined {
  const [id, from] =
    ev.type === 'invitation.received'
      ? [num(at(ev.payload, 'invitation', 'id')), num(at(ev.payload, 'invitation', 'from', 'id'))]
      : at(ev.payload, 'notification', 'kind') === 'invitation.received'
        ? [num(at(ev.payload, 'notification', 'subject', 'invitationId')), num(at(ev.payload, 'notification', 'actors', '0', 'id'))]
        : [undefined, undefined];
  return id !== undefined && from !== undefined ? { id, from } : undefined;
}

/** The notification a `notification.created` frame shows (its row's id). */
function notificationOf(ev: BusEvent): number | undefined {
  return ev.type === 'notification.created' ? num(at(ev.payload, 'notification', 'id')) : undefined;
}

/** The page a notification is about (a request to a page its admins are told of). */
function pageOf(ev: BusEvent): number | undefined {
  return num(at(ev.payload, 'notification', 'subject', 'page', 'id'));
}

export class StreamReads {
  private readonly convCache = new Map<number, CacheEntry<ConvSides>>();
  private readonly memberCache = new Map<number, CacheEntry<MemberRecord | null>>();

  constructor(
    private readonly db: Db,
    private readonly options: { convCacheTtlMs: number; memberCacheTtlMs: number },
    /** notifications last updated at or before this instant are past retention (the lists no longer show them) */
    private readonly retentionCutoff: () => Date = () => new Date(0),
  ) {}

  async adminPages(memberId: number): Promise<number[]> {
    const rows = await this.db
      .select({ id: pageAdmins.pageId })
      .from(pageAdmins)
      .innerJoin(members, eq(members.id, pageAdmins.pageId))
      .where(and(eq(pageAdmins.memberId, memberId), ne(members.status, 'closed')));
    return rows.map((r) => r.id);
  }

  /** Up to `limit` durable client-visible events after `from` naming any of `subIds`, oldest first. */
  async eventsAfter(from: number, subIds: Set<number>, limit: number): Promise<BusEvent[]> {
    const rows = await this.db
      .select()
      .from(events)
      .where(and(gt(events.id, from), arrayOverlaps(events.memberIds, [...subIds]), inArray(events.type, DURABLE_EXTERNAL)))
      .orderBy(asc(events.id))
      .limit(limit);
    return rows.map(rowToEvent);
  }

  /**
   * What a replay may still show, judged now (issue 15): events delivered at the time may be about a
   * member who has since deactivated or closed, or in a request the viewer has since ignored; the
   * REST lists no longer show those, so neither does the replay: nor a notification about such a
   * request, nor one about a page the member no longer administers (found by a member replaying
   * with ?since=0), nor anything about a conversation a block has ended since (DOMAIN.md 6: gone
   * for both) or whose other side is hidden now (a forwarded introduction's notification names its
   * introducer, not the asker), nor an invitation the recipient ignored or its sender withdrew since.
   * (Blocks between the viewer and an event's members: `visible`.) Up to four queries a page of events.
   */
  async replayFilter(subIds: Set<number>, evs: BusEvent[]): Promise<(subId: number, ev: BusEvent) => boolean> {
    if (evs.length === 0) return () => true;
    const db = this.db;
    const ids = new Set<number>();
    const convIds = new Set<number>();
    const invitationIds = new Set<number>();
    const inviters = new Set<number>();
    const notificationIds = new Set<number>();
    for (const ev of evs) {
      for (const id of concerned(ev)) ids.add(id);
      const note = notificationOf(ev);
      if (note !== undefined) notificationIds.add(note);
      const conv = conversationOf(ev);
      if (conv !== undefined) convIds.add(conv);
      const inv = invitationOf(ev);
      if (inv !== undefined) {
        invitationIds.add(inv.id);
        inviters.add(inv.from);
      }
    }
    // Invitations no longer told of (ignored, reported, withdrawn, expired since: the policy's
    // invitationStillTold): neither the list of invitations nor the notifications show them any more.
    const answered = new Set(
      invitationIds.size
        ? (
            await db
              .select({ id: invitations.id, status: invitations.status })
              .from(invitations)
              .where(and(inArray(invitations.fromId, [...inviters]), inArray(invitations.id, [...invitationIds])))
          )
            .filter((r) => !invitationStillTold(r.status))
            .map((r) => r.id)
        : [],
    );
    // The conversations' sides (their members count as concerned: a forwarded introduction's
    // notification names its introducer, and is about the asker's request), and which have ended.
    const convRows = convIds.size
      ? await db
          .select({ id: conversations.id, starterId: conversations.starterId, recipientId: conversations.recipientId, endedAt: conversations.endedAt })
          .from(conversations)
          .where(inArray(conversations.id, [...convIds]))
      : [];
    const sides = new Map(convRows.map((c) => [c.id, [c.starterId, c.recipientId]]));
    for (const c of convRows) ids.add(c.starterId).add(c.recipientId);
    const ended = new Set(convRows.filter((c) => c.endedAt !== null).map((c) => c.id));
    const gone = new Set(
      ids.size
        ? (
            await db
              .select({ id: members.id })
              .from(members)
              .where(and(inArray(members.id, [...ids]), ne(members.status, 'active')))
          ).map((r) => r.id)
        : [],
    );
    // The readers' sides that ignored their conversation, or with messages gone for them (a thread
    // they had ignored came back to them: the request stays gone, as the lists show it).
    const readerSides = convIds.size
      ? await db
          .select({
            conv: conversationMembers.conversationId,
            member: conversationMembers.memberId,
            ignored: conversationMembers.ignored,
            spans: conversationMembers.deletedSpans,
          })
          .from(conversationMembers)
          .where(
            and(
              inArray(conversationMembers.conversationId, [...convIds]),
              inArray(conversationMembers.memberId, [...subIds]),
              or(eq(conversationMembers.ignored, true), sql`${conversationMembers.deletedSpans} <> '{}'`),
            ),
          )
      : [];
    const ignored = new Set(readerSides.filter((r) => r.ignored).map((r) => `${r.conv}:${r.member}`));
    const deleted = new Map(readerSides.filter((r) => r.spans.length).map((r) => [`${r.conv}:${r.member}`, r.spans]));
    // Notifications the lists no longer hold (a request ignored or deleted, an actor taken out of its
    // group, past retention): their frames are not replayed.
    const kept = new Set(
      notificationIds.size
        ? (
            await db
              .select({ id: notifications.id })
              .from(notifications)
              .where(
                and(
                  inArray(notifications.memberId, [...subIds]),
                  inArray(notifications.id, [...notificationIds]),
                  gt(notifications.updatedAt, this.retentionCutoff()),
                ),
              )
          ).map((r) => r.id)
        : [],
    );
    return (subId, ev) => {
      for (const id of concerned(ev)) if (id !== subId && gone.has(id)) return false;
      const note = notificationOf(ev);
      if (note !== undefined && !kept.has(note)) return false;
      const inv = invitationOf(ev);
      if (inv !== undefined && answered.has(inv.id)) return false;
      // a notification about a page's conversation, for an admin: only while they still run the page
      // (subIds: the member and the pages they administer now)
      const page = pageOf(ev);
      if (page !== undefined && !subIds.has(page)) return false;
      const conv = conversationOf(ev);
      if (conv === undefined) return true;
      const side = sides.get(conv);
      // a conversation the tables do not hold (conversations are never deleted): nothing to judge it by
      if (side === undefined) return true;
      // the reader is the page when the event is a page's notification for one of its admins
      const reader = page ?? subId;
      const spans = deleted.get(`${conv}:${reader}`);
      const message = num(at(ev.payload, 'message', 'id')) ?? num(at(ev.payload, 'messageId')) ?? num(at(ev.payload, 'lastReadMessageId'));
      if (spans !== undefined && message !== undefined && inSpans(message, spans)) return false;
      return shownAboutConversation({
        live: !ended.has(conv),
        otherSideVisible: !side.some((id) => id !== reader && gone.has(id)),
        ignoredByReader: ignored.has(`${conv}:${reader}`),
      });
    };
  }

  async conversation(id: number): Promise<ConvSides> {
    const hit = this.convCache.get(id);
    const now = Date.now();
    if (hit && now - hit.at < this.options.convCacheTtlMs) return hit.value;
    const db = this.db;
    const [row] = await db
      .select({ starterId: conversations.starterId, recipientId: conversations.recipientId, state: conversations.state })
      .from(conversations)
      .where(and(eq(conversations.id, id), isNull(conversations.endedAt)))
      .limit(1);
    let value: ConvSides = null;
    if (row) {
      const sides = await db
        .select({ memberId: conversationMembers.memberId, ignored: conversationMembers.ignored })
        .from(conversationMembers)
        .where(eq(conversationMembers.conversationId, id));
      value = { ...row, ignoredBy: new Set(sides.filter((s) => s.ignored).map((s) => s.memberId)) };
    }
    this.cachePut(this.convCache, id, value, now, this.options.convCacheTtlMs);
    return value;
  }

  async member(id: number): Promise<MemberRecord | null> {
    const hit = this.memberCache.get(id);
    const now = Date.now();
    if (hit && now - hit.at < this.options.memberCacheTtlMs) return hit.value;
    const m = await memberById(this.db, id);
    this.cachePut(this.memberCache, id, m, now, this.options.memberCacheTtlMs);
    return m;
  }

  private cachePut<T>(cache: Map<number, CacheEntry<T>>, id: number, value: T, now: number, ttl: number): void {
    if (cache.size >= 10_000) {
      for (const [k, v] of cache) if (now - v.at >= ttl) cache.delete(k);
      if (cache.size >= 10_000) cache.clear();
    }
    cache.set(id, { at: now, value });
  }

  forgetMember(id: number): void {
    this.memberCache.delete(id);
  }

  forgetConversation(id: number): void {
    this.convCache.delete(id);
  }
}
