/**
 * GET /v1/me/export and `liaison export --member <handle>`: everything a member owns or took part in,
 * as one JSON document, streamed in small pieces (messages in keyset batches), so memory stays flat
 * whatever the size of the history. Members hidden from the exporting member (blocked either way,
 * deactivated, closed) appear as "a former member": their handle and name are not exported.
 */
import { and, asc, eq, gt, inArray, or } from 'drizzle-orm';
import type { Runner } from '../store/db.js';
import { blocks, connections, conversationMembers, conversations, follows, inmailLedger, introductions, invitations, messages } from '../store/schema.js';
import type { Deps } from './context.js';
import { outsideSpans } from '../store/spans.js';
import { membersByIds, type MemberRecord } from './members.js';
import { memberFor, SELF, memberAs } from './projection.js';
import { existsFor } from './hidden.js';
import { statusFor } from './invitations.js';
import { exportedAskStatus } from './introductions.js';
import { listNotifications } from './notifications.js';

const BATCH = 500;
/** Notification groups in an export at most (newest first). */
const NOTIFICATIONS = 10_000;
export const FORMER_MEMBER = { handle: null, name: 'a former member' } as const;

type Who = ReturnType<typeof memberAs> | typeof FORMER_MEMBER;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The document, piece by piece (each piece a string of JSON). */
export async function* exportDocument(
  deps: Deps,
  db: Runner,
  me: MemberRecord,
  now: Date,
  /** filled as the document is written: how many conversations and messages it holds (the CLI's summary line) */
  tally: { conversations: number; messages: number } = { conversations: 0, messages: 0 },
): AsyncGenerator<string> {
  const people = new Map<number, MemberRecord | null>();
  const who = async (ids: number[]): Promise<Map<number, Who>> => {
    const need = [...new Set(ids)].filter((id) => !people.has(id));
    if (need.length) {
      const found = await membersByIds(db, need);
      for (const id of need) people.set(id, found.get(id) ?? null);
    }
    const out = new Map<number, Who>();
    for (const id of new Set(ids)) {
      const m = people.get(id);
      if (id === me.id) out.set(id, memberAs(me, SELF, now));
      else if (!existsFor(deps, me.id, m)) out.set(id, FORMER_MEMBER);
      else out.set(id, memberFor(deps, me.id, m, now));
    }
    return out;
  };
  /** A JSON array written element by element from batches. */
  async function* array<T>(name: string, batches: () => AsyncGenerator<T[]>, first = false): AsyncGenerator<string> {
    yield `${first ? '' : ','}${JSON.stringify(name)}:[`;
    let n = 0;
    for await (const batch of batches()) for (const item of batch) yield (n++ ? ',' : '') + JSON.stringify(item);
    yield ']';
  }
  /**
   * The members of a graph list (connections, following, followers) since when, as the lists show
   * them: members hidden from the member left out (listed as "a former member", a deactivated
   * connection differed from a closed one, whose rows are gone: found by a member probe).
   */
  const listed = async <R extends { createdAt: Date }>(rows: R[], otherOf: (r: R) => number) => {
    const w = await who(rows.map(otherOf));
    return rows.flatMap((r) => {
      const member = w.get(otherOf(r));
      return member === undefined || member === FORMER_MEMBER ? [] : [{ member, since: r.createdAt.toISOString() }];
    });
  };
  const once = <T>(items: () => Promise<T[]>) =>
    async function* () {
      yield await items();
    };

  yield `{"exportedAt":${JSON.stringify(now.toISOString())},"format":"liaison-export/1",`;
  yield `"profile":${JSON.stringify({ ...memberAs(me, SELF, now), about: me.about, email: me.email, createdAt: me.createdAt.toISOString() })},`;
  yield `"settings":${JSON.stringify(me.settings)}`;

  yield* array(
    'connections',
    once(async () => {
      const rows = await db
        .select()
        .from(connections)
        .where(or(eq(connections.a, me.id), eq(connections.b, me.id)));
      return listed(rows, (r) => (r.a === me.id ? r.b : r.a));
    }),
  );
  yield* array(
    'following',
    once(async () => {
      const rows = await db.select().from(follows).where(eq(follows.follower, me.id));
      return listed(rows, (r) => r.followee);
    }),
  );
  yield* array(
    'followers',
    once(async () => {
      const rows = await db.select().from(follows).where(eq(follows.followee, me.id));
      return listed(rows, (r) => r.follower);
    }),
  );
  yield* array(
    'blocks',
    once(async () => {
      const rows = await db.select().from(blocks).where(eq(blocks.blocker, me.id));
      const found = await membersByIds(
        db,
        rows.map((r) => r.blocked),
      );
      // the blocks list shows handle and name only (DOMAIN.md 7)
      return rows.map((r) => ({
        member: found.get(r.blocked) ? { handle: found.get(r.blocked)!.handle, name: found.get(r.blocked)!.name } : FORMER_MEMBER,
        blockedAt: r.createdAt.toISOString(),
        unblockedAt: iso(r.unblockedAt),
      }));
    }),
  );
  yield* array(
    'invitations',
    once(async () => {
      const rows = await db
        .select()
        .from(invitations)
        .where(or(eq(invitations.fromId, me.id), eq(invitations.toId, me.id)))
        .orderBy(asc(invitations.id));
      const w = await who(rows.flatMap((r) => [r.fromId, r.toId]));
      return rows.map((r) => ({
        id: String(r.id),
        from: w.get(r.fromId),
        to: w.get(r.toId),
        // as the API says it: lapsed after 180 days, an ignored one pending to its sender
        status: statusFor(deps, r, me.id, now),
        note: r.note,
        createdAt: r.createdAt.toISOString(),
      }));
    }),
  );
  yield* array(
    'introductions',
    once(async () => {
      const rows = await db
        .select()
        .from(introductions)
        .where(or(eq(introductions.askerId, me.id), eq(introductions.viaId, me.id)))
        .orderBy(asc(introductions.id));
      const w = await who(rows.flatMap((r) => [r.askerId, r.viaId, r.targetId]));
      return rows.map((r) => ({
        id: String(r.id),
        from: w.get(r.askerId),
        via: w.get(r.viaId),
        to: w.get(r.targetId),
        note: r.note,
        forwardNote: r.forwardNote,
        status: exportedAskStatus(deps, r, me.id, now),
        createdAt: r.createdAt.toISOString(),
      }));
    }),
  );

  // Conversations, each with its messages streamed in batches.
  yield ',"conversations":[';
  let nConv = 0;
  let afterConv = 0;
  for (;;) {
    // the member's sides, then their conversations by id (two groups on Citus: no join across them)
    const sides = await db
      .select({
        id: conversationMembers.conversationId,
        folder: conversationMembers.folder,
        deletedSpans: conversationMembers.deletedSpans,
        ignored: conversationMembers.ignored,
      })
      .from(conversationMembers)
      .where(and(eq(conversationMembers.memberId, me.id), gt(conversationMembers.conversationId, afterConv)))
      .orderBy(asc(conversationMembers.conversationId))
      .limit(BATCH);
    if (sides.length === 0) break;
    const byId = new Map(
      (
        await db
          .select()
          .from(conversations)
          .where(
            inArray(
              conversations.id,
              sides.map((s) => s.id),
            ),
          )
      ).map((c) => [c.id, c]),
    );
    const convs = sides.flatMap((s) => {
      const conv = byId.get(s.id);
      // a thread a block ended is gone for both (DOMAIN.md 6: unblocking restores nothing); a request
      // the member ignores is gone for them (DOMAIN.md 5), the whole thread as the lists show it
      return conv && conv.endedAt === null && !s.ignored ? [{ conv, folder: s.folder, deletedSpans: s.deletedSpans }] : [];
    });
    const w = await who(convs.flatMap((c) => [c.conv.starterId, c.conv.recipientId]));
    for (const { conv, folder, deletedSpans } of convs) {
      // Only a block ends a thread (and resets its acceptance): with a hidden participant the thread
      // reads alike whether they blocked, deactivated or closed, so the export never tells a block.
      const other = w.get(conv.starterId === me.id ? conv.recipientId : conv.starterId);
      const head = {
        id: String(conv.id),
        participants: [w.get(conv.starterId), w.get(conv.recipientId)],
        folder,
        accepted: other === FORMER_MEMBER ? false : conv.accepted,
        createdAt: conv.createdAt.toISOString(),
      };
      yield (nConv++ ? ',' : '') + JSON.stringify(head).slice(0, -1) + ',"messages":[';
      tally.conversations++;
      let nMsg = 0;
      let afterMsg = 0;
      for (;;) {
        const msgs = await db
          .select()
          .from(messages)
          .where(
            // what the member had ignored stays gone for them (conversation_members.deleted_spans)
            and(eq(messages.conversationId, conv.id), gt(messages.id, afterMsg), outsideSpans(messages.id, deletedSpans)),
          )
          .orderBy(asc(messages.id))
          .limit(BATCH);
        if (msgs.length === 0) break;
        const senders = await who(msgs.map((m) => m.senderId));
        let piece = '';
        tally.messages += msgs.length;
        for (const m of msgs) {
          afterMsg = m.id;
          piece +=
            (nMsg++ ? ',' : '') +
            JSON.stringify({
              id: String(m.id),
              sender: senders.get(m.senderId),
              body: m.body,
              subject: m.subject,
              channel: m.channel,
              createdAt: m.createdAt.toISOString(),
            });
        }
        yield piece; // one piece a batch: memory holds at most one batch
        if (msgs.length < BATCH) break;
      }
      yield ']}';
    }
    afterConv = sides[sides.length - 1].id;
    if (sides.length < BATCH) break;
  }
  yield ']';

  yield* array('inmailLedger', async function* () {
    let after = 0;
    for (;;) {
      const rows = await db
        .select()
        .from(inmailLedger)
        .where(and(eq(inmailLedger.memberId, me.id), gt(inmailLedger.id, after)))
        .orderBy(asc(inmailLedger.id))
        .limit(BATCH);
      if (rows.length === 0) return;
      after = rows[rows.length - 1].id;
      yield rows.map((r) => ({ id: String(r.id), kind: r.kind, pool: r.pool, credits: r.amount, note: r.note, createdAt: r.createdAt.toISOString() }));
      if (rows.length < BATCH) return;
    }
  });
  // the notifications as the list shows them (GET /v1/notifications: kept notificationRetentionDays,
  // those of members hidden from the member left out), newest first, at most NOTIFICATIONS
  yield* array('notifications', async function* () {
    let cursor: number | undefined;
    for (let n = 0; n < NOTIFICATIONS;) {
      const page = await listNotifications(deps, db, me, { cursor, limit: Math.min(BATCH, NOTIFICATIONS - n) }, now);
      yield page.items;
      n += page.items.length;
      if (page.nextCursor === null) return;
      cursor = Number(page.nextCursor);
    }
  });
  yield '}';
}
