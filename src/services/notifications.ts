/**
 * Notifications (DOMAIN.md 9, API.md `Notification`): written in the transaction of the event that
 * causes them, beside its outbox row, and sent live as `notification.created`.
 *
 * Storage (src/store/schema.ts): one `notifications` row per group (the policy's
 * notificationGroupKey), one `notification_actors` row per member who caused events in it, and one
 * read mark per member. Every update of a group takes a new `seq` from a sequence: the list is
 * ordered by it (an update moves the group to the top) and a group is unread while its seq is above
 * the member's mark (an update unreads it).
 *
 * Hidden members are filtered when reading, by the rule the REST lists use (status active, no block
 * either way, from the tables): a member who becomes hidden drops out of the other side's groups
 * (actors, count, unread) at once, and a group left with no visible actor is not shown.
 * Listing reads the member's groups by (member_id, seq) and their actors by primary key; counting
 * unread reads only the groups above the mark. Nothing scans the history.
 *
 * Every statement on notifications and notification_actors names the recipient (member_id: on Citus
 * both sit on the recipient's shard), and who may be seen is read apart, from members and blocks by
 * the actors' ids (visibleTo): no statement joins the recipient's rows to other members' rows.
 */
import { eq, lt, type SQL } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import {
  aboutOtherThanActor,
  notificationGroupKey,
  notificationRetentionCutoff,
  notifies,
  REQUEST_NOTIFICATION_KINDS,
  shownAboutConversation,
  type NotificationKind,
} from '../policy/index.js';
import { rowsOf, type Runner, rowDateOf } from '../store/db.js';
import { liveConversationId } from '../store/lookups.js';
import { conversations, notificationMarks, notifications, pageAdmins } from '../store/schema.js';
import type { Deps } from './context.js';
import { notFound } from './errors.js';
import { ensureGrants, grantsDue } from './inmail.js';
import { lockMembers, memberById, membersByIds, type MemberRecord } from './members.js';
import { memberFor } from './projection.js';
import { transact, type Uow } from './uow.js';

/** How many actors a notification shows (API.md: up to 3, newest first). */
export const ACTORS_SHOWN = 3;

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Notification as ApiNotification } from '../contract/index.js';
import { visiblePage } from './paging.js';
import { existsFor } from './hidden.js';
export type { ApiNotification };

type GroupRow = typeof notifications.$inferSelect;

/** Kinds without an actor (the platform did it): shown whatever anyone's visibility. */
const ACTORLESS: ReadonlySet<string> = new Set<NotificationKind>(['credits.granted']);

const idList = (ids: Iterable<number>) => `{${[...ids].join(',')}}`;

/** Which of `ids` are active members (the statuses visibleTo reads). */
export function activeMembersSql(ids: number[]): SQL {
  return sql`select id from members where id = any(${idList(ids)}::bigint[]) and status = 'active'`;
}

/** The blocks in force between `me` and any of `ids`, either way. */
export function blocksBetweenSql(me: number, ids: number[]): SQL {
  const list = idList(ids);
  // each way by its own index (the key: blocker, blocked; blocks_blocked_idx)
  return sql`select blocker, blocked from blocks where blocker = ${me} and blocked = any(${list}::bigint[]) and unblocked_at is null
    union all
    select blocker, blocked from blocks where blocked = ${me} and blocker = any(${list}::bigint[]) and unblocked_at is null`;
}

/**
 * Which of `actors` exist for `me` (active, no block either way: as the REST lists decide), and
 * which of `pages` are active; from the tables, in two statements (members by id, blocks by the pair).
 */
async function visibleTo(db: Runner, me: number, actors: Iterable<number>, pages: Iterable<number> = []): Promise<{ actors: Set<number>; pages: Set<number> }> {
  const a = new Set(actors);
  const p = new Set(pages);
  const all = [...new Set([...a, ...p])];
  if (all.length === 0) return { actors: a, pages: p };
  const active = new Set(rowsOf(await db.execute(activeMembersSql(all))).map((r) => Number(r.id)));
  const blocked = new Set<number>();
  const others = [...a].filter((id) => active.has(id));
  if (others.length) {
    for (const r of rowsOf(await db.execute(blocksBetweenSql(me, others)))) blocked.add(Number(r.blocker) === me ? Number(r.blocked) : Number(r.blocker));
  }
  return { actors: new Set([...a].filter((id) => active.has(id) && !blocked.has(id))), pages: new Set([...p].filter((id) => active.has(id))) };
}

export interface NotifyInput {
  recipient: MemberRecord;
  kind: NotificationKind;
  /** who caused it (null: the platform, e.g. a grant) */
  actor: MemberRecord | null;
  conversationId?: number | null;
  invitationId?: number | null;
  page?: MemberRecord | null;
  credits?: number;
  /** a message request: the folder it landed in for the recipient (null: they ignored it) */
  requestFolder?: 'requests' | 'filtered' | 'inbox' | null;
}

/**
 * Writes (or updates) the recipient's notification for one event, in the event's transaction, and
 * its `notification.created` outbox event. Returns null when the policy says the event notifies
 * no one (the kind is off, the actor is hidden from the recipient, a filtered or ignored request).
 */
export async function notify(u: Uow, n: NotifyInput): Promise<ApiNotification | null> {
  const { recipient, actor, kind } = n;
  if (recipient.kind !== 'person' || recipient.status !== 'active') return null;
  const actorHidden = actor ? !existsFor(u.deps, recipient.id, actor) : null;
  const facts = {
    settings: recipient.settings,
    actorHidden,
    self: actor !== null && actor.id === recipient.id,
    ...(n.requestFolder !== undefined ? { requestFolder: n.requestFolder } : {}),
  };
  if (!notifies(kind, facts)) return null;
  const key = notificationGroupKey(kind, { conversationId: n.conversationId ?? null, pageId: n.page?.id ?? null }, u.now);
  const actorId = actor?.id ?? null;
  // A group past retention that housekeeping has not deleted yet is gone already for the member:
  // this event opens a new one, not the old group again with its old events (found by a reviewer).
  const expired = rowsOf(
    await u.tx.execute(sql`delete from notifications where member_id = ${recipient.id} and kind = ${kind} and group_key = ${key}
      and updated_at <= ${notificationRetentionCutoff(u.now, u.deps.policy)} returning id`),
  );
  await dropActors(
    u.tx,
    recipient.id,
    expired.map((r) => Number(r.id)),
  );
  const [g] = rowsOf(
    await u.tx.execute(sql`
      insert into notifications as nt (member_id, kind, group_key, conversation_id, invitation_id, page_id, count, credits, seq, created_at, updated_at)
      values (${recipient.id}, ${kind}, ${key}, ${n.conversationId ?? null}, ${n.invitationId ?? null}, ${n.page?.id ?? null},
              1, ${n.credits ?? 0}, nextval('notifications_seq'), ${u.now}, ${u.now})
      on conflict (member_id, kind, group_key) do update
        set count = nt.count + 1, credits = nt.credits + excluded.credits, seq = excluded.seq, updated_at = excluded.updated_at,
            conversation_id = coalesce(excluded.conversation_id, nt.conversation_id),
            invitation_id = coalesce(excluded.invitation_id, nt.invitation_id),
            page_id = coalesce(excluded.page_id, nt.page_id)
      returning nt.*`),
  );
  let actorCount = 0;
  if (actorId !== null) {
    const [a] = rowsOf(
      await u.tx.execute(sql`
        insert into notification_actors as na (member_id, notification_id, actor_id, count, seq, at)
        values (${recipient.id}, ${g.id}, ${actorId}, 1, ${g.seq}, ${u.now})
        on conflict (member_id, notification_id, actor_id) do update set count = na.count + 1, seq = excluded.seq, at = excluded.at
        returning na.count`),
    );
    actorCount = Number(a.count);
  }
  // the other actors of the group (none in a group this event opened) that the recipient may see
  let othersCount = 0;
  let others: number[] = [];
  if (Number(g.count) > 1) {
    const rows = rowsOf(await u.tx.execute(groupActorsSql(recipient.id, [Number(g.id)]))).filter((r) => Number(r.actor_id) !== actorId);
    const seen = (
      await visibleTo(
        u.tx,
        recipient.id,
        rows.map((r) => Number(r.actor_id)),
      )
    ).actors;
    const shown = rows.filter((r) => seen.has(Number(r.actor_id)));
    othersCount = shown.reduce((sum, r) => sum + Number(r.count), 0);
    others = shown.slice(0, ACTORS_SHOWN - 1).map((r) => Number(r.actor_id));
  }
  const row = groupFromRow(g);
  // The group as the recipient sees it now: this event's actor first, then the others they may see
  // (members hidden from them left out, as the list leaves them out).
  const people = new Map<number, MemberRecord>(actor ? [[actor.id, actor]] : []);
  if (others.length) for (const [id, m] of await membersByIds(u.tx, others)) people.set(id, m);
  if (n.page) people.set(n.page.id, n.page);
  const visible: Visible = ACTORLESS.has(kind)
    ? { count: row.count, at: u.now, seq: row.seq, top: [] }
    : { count: actorCount + othersCount, at: u.now, seq: row.seq, top: [...(actorId !== null ? [actorId] : []), ...others] };
  let view = shape(u.deps, recipient.id, row, visible, 0, people, people, u.now);
  if (!view) return null;
  view = { ...view, read: false };
  await u.emit('notification.created', [recipient.id], { notification: view });
  return view;
}

/** A message request to a page: its admins are notified (page.request, grouped by page). */
export async function notifyPageAdmins(
  u: Uow,
  page: MemberRecord,
  sender: MemberRecord,
  conversationId: number,
  requestFolder: NotifyInput['requestFolder'],
): Promise<void> {
  const admins = await u.tx.select({ id: pageAdmins.memberId }).from(pageAdmins).where(eq(pageAdmins.pageId, page.id));
  if (admins.length === 0) return;
  const people = await membersByIds(
    u.tx,
    admins.map((a) => a.id),
  );
  for (const a of admins) {
    const admin = people.get(a.id);
    if (admin) await notify(u, { recipient: admin, kind: 'page.request', actor: sender, conversationId, page, requestFolder });
  }
}

/**
 * Notifications about a request the member ignored or deleted are gone with it (nothing about an
 * ignored request): a message request, an InMail, a forwarded introduction (DOMAIN.md 11: C ignores
 * it like any request; found by a member).
 */
export async function dropRequestNotifications(u: Uow, member: Pick<MemberRecord, 'id' | 'kind'>, conversationId: number): Promise<void> {
  if (member.kind === 'page') {
    // A page's request deleted by one of its admins: its sender leaves each admin's page.request
    // group (grouped by page: the group may hold other senders' requests; found by a member and a reviewer).
    const [conv] = await u.tx
      .select({ starterId: conversations.starterId, recipientId: conversations.recipientId })
      .from(conversations)
      .where(eq(conversations.id, conversationId));
    const sender = conv ? (conv.starterId === member.id ? conv.recipientId : conv.starterId) : null;
    if (sender !== null) await dropFromPageRequests(u, member.id, sender);
    return;
  }
  const gone = rowsOf(
    await u.tx.execute(sql`delete from notifications where member_id = ${member.id} and conversation_id = ${conversationId}
      and kind in (${sql.join(
        REQUEST_NOTIFICATION_KINDS.map((k) => sql`${k}`),
        sql`, `,
      )}) returning id`),
  );
  await dropActors(
    u.tx,
    member.id,
    gone.map((g) => Number(g.id)),
  );
}

/**
 * An invitation the recipient ignored (or reported), or its sender withdrew: its sender leaves the
 * recipient's `invitation.received` groups written since it was sent (DOMAIN.md 9: nothing notifies
 * about an ignored request; a withdrawn invitation is no longer there to answer). Groups are by UTC
 * day: an earlier invitation of the pair, accepted before, keeps its own (found by a reviewer).
 */
export async function dropInvitationNotifications(u: Uow, inv: { toId: number; fromId: number; createdAt: Date }): Promise<void> {
  await dropActorFrom(u, inv.toId, inv.fromId, sql`kind = 'invitation.received' and updated_at >= ${inv.createdAt}`);
}

/** `sender` leaves each admin's page.request group of `pageId` (grouped by page: the group may hold other senders' requests). */
async function dropFromPageRequests(u: Uow, pageId: number, sender: number): Promise<void> {
  const admins = await u.tx.select({ id: pageAdmins.memberId }).from(pageAdmins).where(eq(pageAdmins.pageId, pageId));
  for (const admin of admins) await dropActorFrom(u, admin.id, sender, sql`kind = 'page.request' and page_id = ${pageId}`);
}

/**
 * A block: what each side was notified of by the other is gone for good (DOMAIN.md 6: unblocking
 * restores nothing). Their actor rows go (a page's: from its admins' page.request groups), and the groups left with no actor at all (not those of
 * kinds without one, which have none to lose); and each side's notifications about the
 * conversations the block ended (`ended`), whoever their actors.
 */
export async function dropNotificationsBetween(
  u: Uow,
  sideA: Pick<MemberRecord, 'id' | 'kind'>,
  sideB: Pick<MemberRecord, 'id' | 'kind'>,
  ended: number[] = [],
): Promise<void> {
  for (const [mine, theirs] of [
    [sideA, sideB],
    [sideB, sideA],
  ] as const) {
    const [me, other] = [mine.id, theirs.id];
    // a page's requests notify its admins (grouped by page): a member blocking the page, or the
    // page blocking them, takes that member's requests out of them (the replay already dropped them)
    if (mine.kind === 'page') await dropFromPageRequests(u, me, other);
    if (ended.length) {
      const gone = rowsOf(
        await u.tx.execute(sql`delete from notifications where member_id = ${me} and conversation_id = any(${idList(ended)}::bigint[]) returning id`),
      );
      await dropActors(
        u.tx,
        me,
        gone.map((g) => Number(g.id)),
      );
    }
    await dropActorFrom(u, me, other);
  }
}

/**
 * Takes `actor`'s events out of `me`'s groups (all, or those `groups` selects): a group left with no
 * actor goes, and one that keeps other actors goes back where their last event put it, as if the
 * removed ones had never been (the list is newest first by that update; found by the model test: a
 * group moved up by a blocked member's event sat above newer ones, dated by its older visible event).
 */
async function dropActorFrom(u: Uow, me: number, actor: number, groups?: SQL): Promise<void> {
  // `groups`: which of `me`'s notification rows (a condition on them; all when absent), in the same
  // statement (the two tables share their distribution column: one shard on Citus)
  const only = groups ? sql` and notification_id in (select id from notifications where member_id = ${me} and ${groups})` : sql``;
  const hit = rowsOf(
    await u.tx.execute(sql`delete from notification_actors where member_id = ${me} and actor_id = ${actor}${only} returning notification_id`),
  ).map((r) => Number(r.notification_id));
  if (hit.length === 0) return;
  await u.tx.execute(sql`delete from notifications n where n.member_id = ${me} and n.id = any(${idList(hit)}::bigint[])
    and not exists (select 1 from notification_actors na where na.member_id = ${me} and na.notification_id = n.id)`);
  await u.tx.execute(sql`update notifications n set seq = x.seq, updated_at = x.at
    from (select na.notification_id, max(na.seq) as seq, max(na.at) as at from notification_actors na
          where na.member_id = ${me} and na.notification_id = any(${idList(hit)}::bigint[]) group by na.notification_id) x
    where n.member_id = ${me} and n.id = x.notification_id and n.seq > x.seq`);
}

/**
 * The actors of deleted groups. On one PostgreSQL their key to the group cascades; on Citus that key
 * (not on the distribution column) is not kept, so the actors are deleted here on every storage.
 */
async function dropActors(db: Runner, memberId: number | null, groupIds: number[]): Promise<void> {
  if (groupIds.length === 0) return;
  await db.execute(
    sql`delete from notification_actors where ${memberId !== null ? sql`member_id = ${memberId} and ` : sql``}notification_id = any(${idList(groupIds)}::bigint[])`,
  );
}

function groupFromRow(r: Record<string, unknown>): GroupRow {
  return {
    id: Number(r.id),
    memberId: Number(r.member_id),
    kind: String(r.kind),
    groupKey: String(r.group_key),
    conversationId: r.conversation_id === null || r.conversation_id === undefined ? null : Number(r.conversation_id),
    invitationId: r.invitation_id === null || r.invitation_id === undefined ? null : Number(r.invitation_id),
    pageId: r.page_id === null || r.page_id === undefined ? null : Number(r.page_id),
    count: Number(r.count),
    credits: Number(r.credits),
    seq: Number(r.seq),
    createdAt: rowDateOf(r.created_at),
    updatedAt: rowDateOf(r.updated_at),
  };
}

/** What the visible actors of a group add up to. */
interface Visible {
  count: number;
  at: Date;
  seq: number;
  /** actor ids, newest first */
  top: number[];
}

function shape(
  deps: Deps,
  viewerId: number,
  g: GroupRow,
  v: Visible,
  mark: number,
  people: Map<number, MemberRecord>,
  pages: Map<number, MemberRecord>,
  now: Date,
): ApiNotification | null {
  const kind = g.kind as NotificationKind;
  const actors = v.top
    .map((id) => people.get(id))
    .filter((m): m is MemberRecord => !!m)
    .map((m) => memberFor(deps, viewerId, m, now));
  const subject: NonNullable<ApiNotification['subject']> = {};
  if (g.conversationId !== null) subject.conversationId = String(g.conversationId);
  if (g.invitationId !== null) subject.invitationId = String(g.invitationId);
  const page = g.pageId !== null ? pages.get(g.pageId) : undefined;
  if (g.pageId !== null) {
    // a page that closed (or is otherwise gone) takes its requests' notifications with it
    if (!page || page.status !== 'active') return null;
    subject.page = memberFor(deps, viewerId, page, now);
  }
  return {
    id: String(g.id),
    kind,
    actors,
    count: v.count,
    ...(Object.keys(subject).length ? { subject } : {}),
    ...(kind === 'credits.granted' ? { credits: g.credits } : {}),
    createdAt: v.at.toISOString(),
    // read by its newest visible event: an event by a member hidden since neither keeps it unread
    // nor counts (README "Notifications": such a group keeps its place in the list)
    read: v.seq <= mark,
  };
}

/**
 * The read queries, as SQL (test/http/notifications.test.ts EXPLAINs them on a large history: they
 * read the member's rows through indexes only).
 */
/** A page's requests concern the member only while they run the page (an admin removed loses them). */
function stillAdminSql(memberId: number): SQL {
  return sql`(n.page_id is null or exists (select 1 from page_admins pa where pa.page_id = n.page_id and pa.member_id = ${memberId}))`;
}

/** One page of a member's groups, newest update first (notifications_list_idx: member_id, seq). */
export function groupsPageSql(memberId: number, cutoff: Date, beforeSeq: number | undefined, limit: number): SQL {
  return sql`select * from notifications n
    where n.member_id = ${memberId} and n.updated_at > ${cutoff} ${beforeSeq !== undefined ? sql`and n.seq < ${beforeSeq}` : sql``}
      and ${stillAdminSql(memberId)}
    order by n.seq desc limit ${limit}`;
}

/**
 * The actors of some of the member's groups, newest first (primary key of notification_actors:
 * member_id, notification_id, actor_id); `aboveSeq`: only those updated after it.
 */
export function groupActorsSql(memberId: number, groupIds: number[], aboveSeq?: number): SQL {
  return sql`select na.notification_id, na.actor_id, na.count, na.seq, na.at from notification_actors na
     where na.member_id = ${memberId} and na.notification_id = any(${idList(groupIds)}::bigint[])
       ${aboveSeq !== undefined ? sql`and na.seq > ${aboveSeq}` : sql``}
     order by na.seq desc`;
}

/**
 * The member each group is about, where its actor is someone else (aboutOtherThanActor: a forwarded
 * introduction's asker), by conversation; a conversation a block ended has none.
 */
async function introductionAskers(db: Runner, viewerId: number, groups: { kind: string; conversationId: number | null }[]): Promise<Map<number, number>> {
  const ids = groups.filter((g) => aboutOtherThanActor(g.kind) && g.conversationId !== null).map((g) => g.conversationId!);
  if (ids.length === 0) return new Map();
  const live = rowsOf(await db.execute(liveConversationsSql(ids)));
  return new Map(live.map((c) => [Number(c.id), Number(c.starter_id) === viewerId ? Number(c.recipient_id) : Number(c.starter_id)]));
}

/** Whether a group is shown as far as the member it is about goes (the policy's shownAboutConversation; ignored requests' notifications are deleted). */
function introductionShown(g: { kind: string; conversationId: number | null }, askers: Map<number, number>, seen: Set<number>): boolean {
  if (!aboutOtherThanActor(g.kind) || g.conversationId === null) return true;
  const asker = askers.get(g.conversationId);
  return shownAboutConversation(asker === undefined ? null : { live: true, otherSideVisible: seen.has(asker), ignoredByReader: false });
}

/**
 * A grouped invitation.received (invitation.accepted) is about the invitation of its newest visible
 * actor (the group's row names the newest of all, who may since be hidden from the reader: found by
 * a member probe): by group, that actor's newest invitation to the reader (the reader's to that
 * actor, accepted) by the group's last update (a later one belongs to a later group: found by a reviewer).
 */
async function newestInvitations(db: Runner, viewerId: number, groups: GroupRow[], visible: Map<number, Visible>): Promise<Map<number, number>> {
  const about = groups.flatMap((g) => {
    const actor = g.kind === 'invitation.received' || g.kind === 'invitation.accepted' ? visible.get(g.id)?.top[0] : undefined;
    return actor === undefined ? [] : [{ g, actor, received: g.kind === 'invitation.received' }];
  });
  if (about.length === 0) return new Map();
  const actors = (received: boolean) => idList([...new Set(about.filter((x) => x.received === received).map((x) => x.actor))]);
  // two statements (no set operation across Citus groups), newest first
  const rows = {
    received: about.some((x) => x.received)
      ? rowsOf(
          await db.execute(sql`select from_id as actor, id, created_at as at from invitations
            where to_id = ${viewerId} and from_id = any(${actors(true)}::bigint[]) order by id desc`),
        )
      : [],
    accepted: about.some((x) => !x.received)
      ? rowsOf(
          await db.execute(sql`select to_id as actor, id, responded_at as at from invitations
            where from_id = ${viewerId} and to_id = any(${actors(false)}::bigint[]) and status = 'accepted' order by id desc`),
        )
      : [],
  };
  const out = new Map<number, number>();
  for (const { g, actor, received } of about) {
    const r = (received ? rows.received : rows.accepted).find((x) => Number(x.actor) === actor && x.at !== null && rowDateOf(x.at) <= g.updatedAt);
    if (r) out.set(g.id, Number(r.id));
  }
  return out;
}

/** The groups as `viewerId` sees them, hidden actors left out; a group with no visible actor is dropped. */
async function shapeGroups(deps: Deps, db: Runner, viewerId: number, groups: GroupRow[], mark: number, now: Date): Promise<ApiNotification[]> {
  if (groups.length === 0) return [];
  const withActors = groups.filter((g) => !ACTORLESS.has(g.kind));
  const visible = new Map<number, Visible>();
  const hiddenIntro = new Set<number>();
  if (withActors.length) {
    // what the visible actors of each group add up to: count, last update, the newest ACTORS_SHOWN
    const rows = rowsOf(
      await db.execute(
        groupActorsSql(
          viewerId,
          withActors.map((g) => g.id),
        ),
      ),
    );
    const askers = await introductionAskers(db, viewerId, withActors);
    const seen = (await visibleTo(db, viewerId, new Set([...rows.map((r) => Number(r.actor_id)), ...askers.values()]))).actors;
    for (const g of withActors) if (!introductionShown(g, askers, seen)) hiddenIntro.add(g.id);
    for (const r of rows) {
      if (!seen.has(Number(r.actor_id)) || hiddenIntro.has(Number(r.notification_id))) continue;
      const id = Number(r.notification_id);
      const at = rowDateOf(r.at);
      const v = visible.get(id);
      // rows come newest first: the first is the group's last update
      if (!v) visible.set(id, { count: Number(r.count), seq: Number(r.seq), at, top: [Number(r.actor_id)] });
      else {
        v.count += Number(r.count);
        if (at > v.at) v.at = at;
        if (v.top.length < ACTORS_SHOWN) v.top.push(Number(r.actor_id));
      }
    }
  }
  const ids = new Set<number>();
  for (const v of visible.values()) for (const id of v.top) ids.add(id);
  for (const g of groups) if (g.pageId !== null) ids.add(g.pageId);
  const people = await membersByIds(db, [...ids]);
  const invitationOf = await newestInvitations(db, viewerId, groups, visible);
  const out: ApiNotification[] = [];
  for (const g of groups) {
    const v = ACTORLESS.has(g.kind) ? { count: g.count, seq: g.seq, at: g.updatedAt, top: [] } : visible.get(g.id);
    if (!v) continue;
    const inv = invitationOf.get(g.id);
    // a page's group is about the conversation of its newest visible sender (the row names the newest of all)
    const conv = g.kind === 'page.request' && g.pageId !== null && v.top[0] !== undefined ? await liveConversationId(db, g.pageId, v.top[0]) : undefined;
    const about = { ...g, ...(inv !== undefined ? { invitationId: inv } : {}), ...(conv !== undefined ? { conversationId: conv } : {}) };
    const n = shape(deps, viewerId, about, v, mark, people, people, now);
    if (n) out.push(n);
  }
  return out;
}

async function readMark(db: Runner, memberId: number): Promise<number> {
  const [m] = await db.select({ s: notificationMarks.readSeq }).from(notificationMarks).where(eq(notificationMarks.memberId, memberId));
  return m ? Number(m.s) : 0;
}

/** GET /v1/notifications: newest first (by last update), keyset on the group's seq. */
export async function listNotifications(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  page: { cursor?: number; limit: number },
  now: Date,
): Promise<{ items: ApiNotification[]; nextCursor: string | null }> {
  const cutoff = notificationRetentionCutoff(now, deps.policy);
  const mark = await readMark(db, viewer.id);
  // groups left with no visible actor are left out (visiblePage reads on until the page is full)
  return visiblePage(
    page,
    async (after, n) => rowsOf(await db.execute(groupsPageSql(viewer.id, cutoff, after, n))).map(groupFromRow),
    (r) => r.seq,
    async (rows) => {
      const byId = new Map((await shapeGroups(deps, db, viewer.id, rows, mark, now)).map((n) => [n.id, n]));
      return rows.map((r) => byId.get(String(r.id)));
    },
  );
}

/**
 * POST /v1/notifications/read {upTo}: everything up to that notification (as the list orders them)
 * is read. A notification that is not the caller's is 404, and nothing changes. The mark only moves
 * forward.
 */
export async function markNotificationsRead(u: Uow, viewer: MemberRecord, upTo: number): Promise<void> {
  const [g] = rowsOf(
    await u.tx.execute(sql`select * from notifications n where n.id = ${upTo} and n.member_id = ${viewer.id} and ${stillAdminSql(viewer.id)}`),
  ).map(groupFromRow);
  // One the list does not show (all its actors hidden from the caller, past retention) is no such
  // notification either: a 204 there and a 404 for one a block deleted told a block from a
  // deactivation (found by a member).
  const shown = g && g.updatedAt > notificationRetentionCutoff(u.now, u.deps.policy) && (await shapeGroups(u.deps, u.tx, viewer.id, [g], 0, u.now)).length > 0;
  if (!g || !shown) throw notFound('no such notification');
  await u.tx
    .insert(notificationMarks)
    .values({ memberId: viewer.id, readSeq: g.seq })
    .onConflictDoUpdate({ target: notificationMarks.memberId, set: { readSeq: sql`greatest(${notificationMarks.readSeq}, excluded.read_seq)` } });
}

export interface UnreadCounts {
  notifications: number;
  inbox: number;
  requests: number;
  filtered: number;
}

/**
 * GET /v1/me `unread`: notifications above the read mark (visible ones), and the conversations of
 * each folder with unread messages (conversation_members.unread, the read model; the partial index
 * conversation_members_unread_idx holds only those sides), members hidden from the caller left out
 * as the folders leave them out. The member's groups above the mark with their actors, the member's
 * unread sides with their conversations, then who of them is visible (each statement on the member's
 * own rows, the conversations by id, or members and blocks by id).
 */
export async function unreadCounts(deps: Deps, db: Runner, memberId: number, now: Date): Promise<UnreadCounts> {
  const groups = rowsOf(await db.execute(unreadGroupsSql(memberId, notificationRetentionCutoff(now, deps.policy))));
  const withActors = groups.filter((g) => g.kind !== 'credits.granted');
  const actors = withActors.length
    ? rowsOf(
        await db.execute(
          groupActorsSql(
            memberId,
            withActors.map((g) => Number(g.id)),
            Number(groups[0].mark),
          ),
        ),
      )
    : [];
  const sides = rowsOf(await db.execute(unreadSidesSql(memberId)));
  const intros = withActors
    .filter((g) => aboutOtherThanActor(String(g.kind)))
    .map((g) => ({ kind: String(g.kind), conversationId: g.conversation_id == null ? null : Number(g.conversation_id) }));
  const convIds = [
    ...new Set([...sides.map((r) => Number(r.conversation_id)), ...intros.filter((g) => g.conversationId !== null).map((g) => g.conversationId!)]),
  ];
  const live = convIds.length ? rowsOf(await db.execute(liveConversationsSql(convIds))) : [];
  const other = new Map(live.map((c) => [Number(c.id), Number(c.starter_id) === memberId ? Number(c.recipient_id) : Number(c.starter_id)]));
  const seen = await visibleTo(
    db,
    memberId,
    [...actors.map((a) => Number(a.actor_id)), ...other.values()],
    groups.filter((g) => g.page_id !== null && g.page_id !== undefined).map((g) => Number(g.page_id)),
  );
  const shown = new Set(actors.filter((a) => seen.actors.has(Number(a.actor_id))).map((a) => Number(a.notification_id)));
  const notifications = groups.filter(
    (g) =>
      (g.kind === 'credits.granted' || shown.has(Number(g.id))) &&
      (g.page_id === null || g.page_id === undefined || seen.pages.has(Number(g.page_id))) &&
      introductionShown({ kind: String(g.kind), conversationId: g.conversation_id == null ? null : Number(g.conversation_id) }, other, seen.actors),
  ).length;
  const folders = { inbox: 0, requests: 0, filtered: 0 } as Record<string, number>;
  for (const side of sides) {
    const o = other.get(Number(side.conversation_id));
    if (o !== undefined && seen.actors.has(o)) folders[String(side.folder)] = (folders[String(side.folder)] ?? 0) + 1;
  }
  return { notifications, inbox: folders.inbox, requests: folders.requests, filtered: folders.filtered };
}

/** The member's groups above the read mark, within retention, of pages they still run (notifications_list_idx); `mark` on every row. */
export function unreadGroupsSql(memberId: number, cutoff: Date): SQL {
  return sql`
    with mark as (select coalesce((select read_seq from notification_marks where member_id = ${memberId}), 0) as s)
    select n.id, n.kind, n.page_id, n.conversation_id, mark.s as mark from notifications n, mark
     where n.member_id = ${memberId} and n.seq > mark.s and n.updated_at > ${cutoff} and ${stillAdminSql(memberId)}`;
}

/** The member's sides with unread messages (conversation_members_unread_idx). */
export function unreadSidesSql(memberId: number): SQL {
  return sql`select cm.conversation_id, cm.folder from conversation_members cm
     where cm.member_id = ${memberId} and cm.unread > 0 and not cm.hidden and not cm.ignored`;
}

/** Which of these conversations have not ended, with their two sides (by primary key). */
export function liveConversationsSql(ids: number[]): SQL {
  return sql`select c.id, c.starter_id, c.recipient_id from conversations c where c.id = any(${idList(ids)}::bigint[]) and c.ended_at is null`;
}

/** Housekeeping: groups not updated within notificationRetentionDays are deleted (their actors with them). */
export async function purgeNotifications(deps: Deps, now: Date): Promise<number> {
  const cutoff = notificationRetentionCutoff(now, deps.policy);
  return deps.store.transaction(async (tx) => {
    const gone = await tx.delete(notifications).where(lt(notifications.updatedAt, cutoff)).returning({ id: notifications.id });
    // every member's old groups: a deliberate multi-shard housekeeping write on Citus
    for (let i = 0; i < gone.length; i += 5000)
      await dropActors(
        tx,
        null,
        gone.slice(i, i + 5000).map((g) => g.id),
      );
    return gone.length;
  });
}

/** InMail credits granted to a member (a tier's grant, a monthly grant, a purchase): credits.granted, grouped by UTC day. */
export async function notifyGrant(u: Uow, member: MemberRecord, credits: number): Promise<void> {
  if (credits > 0) await notify(u, { recipient: member, kind: 'credits.granted', actor: null, credits });
}

/**
 * Monthly grants are written lazily (src/services/inmail.ts); a read that shows the member their
 * notifications (GET /v1/me, GET /v1/notifications) writes the ones due first, under the member's
 * lock, with their notifications. One read when nothing is due.
 */
export async function writeDueGrants(deps: Deps, member: MemberRecord): Promise<void> {
  if (!(await grantsDue(deps.store.db, member, deps.clock.now(), deps.policy))) return;
  await transact(deps, async (u) => {
    await lockMembers(u.tx, [member.id]);
    const fresh = (await memberById(u.tx, member.id)) ?? member;
    await ensureGrants(u.tx, fresh, u.now, deps.policy, (g) => notifyGrant(u, fresh, g.amount));
  });
}
