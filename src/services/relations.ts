/**
 * Connections, follows and blocks (DOMAIN.md 2 and 6). A block removes the connection, the follows,
 * the open invitations and the message requests both ways; the blocked member is not told.
 */
import { closeInvitationPairs, endConversationPair } from '../store/lookups.js';
import { and, asc, eq, gt, inArray, isNull, or, type AnyColumn, type SQL } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { decideBlock } from '../policy/block.js';
import { decideFollow } from '../policy/follow.js';
import { blocks, connections, conversations, follows, groupMembers, groupRequests, groups, introductions, invitations, pageAdmins } from '../store/schema.js';
import { rowsOf, type Runner } from '../store/db.js';
import type { Deps } from './context.js';
import { enforce, refusal } from './decisions.js';
import { notFound } from './errors.js';
import { gatherFacts } from './facts.js';
import { cachedMemberByHandle, lockAndRead, lockMembers, memberByHandle, membersByIds, stillOpen, type MemberRecord } from './members.js';
import type { Uow } from './uow.js';
import { memberIdPage } from './paging.js';
import { existsFor } from './hidden.js';
import { dropNotificationsBetween } from './notifications.js';
import { recipientUnavailable } from '../policy/types.js';

/**
 * The member if it exists for the viewer; otherwise the "not found" every hidden state shares.
 * Without `db` (read paths) the lookup may come from the instance's read cache.
 */
export async function visibleMember(deps: Deps, db: Runner | null, viewer: MemberRecord, handle: string): Promise<MemberRecord> {
  const m = db ? await memberByHandle(db, handle) : await cachedMemberByHandle(deps, handle);
  if (!existsFor(deps, viewer.id, m)) throw notFound('no such member');
  return m;
}

export async function removeConnection(u: Uow, viewer: MemberRecord, handle: string): Promise<void> {
  const m = await visibleMember(u.deps, u.tx, viewer, handle);
  await lockMembers(u.tx, [viewer.id, m.id]);
  const [a, b] = viewer.id < m.id ? [viewer.id, m.id] : [m.id, viewer.id];
  const gone = await u.tx
    .delete(connections)
    .where(and(eq(connections.a, a), eq(connections.b, b)))
    .returning();
  if (gone.length === 0) throw notFound('you are not connected');
  await lapseAsksThrough(u, a, b);
  await dropFollows(u, viewer.id, m.id);
  // Removing the connection ends the acceptance of their conversation (DOMAIN.md 5.1).
  await u.tx
    .update(conversations)
    .set({ accepted: false })
    .where(and(pairSql(conversations.starterId, conversations.recipientId, a, b), isNull(conversations.endedAt)));
  await u.emit('connection.removed', [viewer.id, m.id], { a, b });
}

/**
 * An ask goes through B while A and B, and B and C, are connections (decideIntroductionForward);
 * once either connection is removed it can never be forwarded, so it lapses at once as an expired
 * ask does (the asker reads "not forwarded", the introducer no longer sees it): it held the asker's
 * one open ask about C for up to 14 days (found by a reviewer). The asker's read model learns it.
 */
async function lapseAsksThrough(u: Uow, x: number, y: number): Promise<void> {
  const through = (via: number, other: number) => and(eq(introductions.viaId, via), or(eq(introductions.askerId, other), eq(introductions.targetId, other)));
  await lapseAsks(u, or(through(x, y), through(y, x))!);
}

/**
 * A closed member's connections all go at once: every open ask they take part in runs through one
 * of them, so all of those lapse, in one statement rather than one a connection.
 */
async function lapseAsksOf(u: Uow, id: number): Promise<void> {
  await lapseAsks(u, or(eq(introductions.viaId, id), eq(introductions.askerId, id), eq(introductions.targetId, id))!);
}

async function lapseAsks(u: Uow, which: SQL): Promise<void> {
  const lapsed = await u.tx
    .update(introductions)
    .set({ status: 'expired' })
    .where(and(eq(introductions.status, 'asked'), which))
    .returning({ askerId: introductions.askerId, viaId: introductions.viaId });
  for (const r of lapsed) await u.emit('introduction.closed', [r.askerId, r.viaId], { askerId: r.askerId, viaId: r.viaId });
}

/** The unordered pair (x, y) is (a, b) with a < b. */
function pairSql(x: SQL | AnyColumn, y: SQL | AnyColumn, a: number, b: number): SQL {
  return sql`least(${x}, ${y}) = ${a}::int and greatest(${x}, ${y}) = ${b}::int`;
}

async function dropFollows(u: Uow, x: number, y: number): Promise<void> {
  const rows = await u.tx
    .delete(follows)
    .where(or(and(eq(follows.follower, x), eq(follows.followee, y)), and(eq(follows.follower, y), eq(follows.followee, x))))
    .returning();
  for (const r of rows) await u.emit('follow.removed', [r.follower], { follower: r.follower, followee: r.followee });
}

export async function follow(u: Uow, caller: MemberRecord, handle: string): Promise<MemberRecord> {
  const found = await memberByHandle(u.tx, handle);
  let [viewer, m] = [caller, found];
  // The pair's rows first, as a block and a closure take them, and both members read again under
  // them: the facts below then read a block that committed meanwhile (a follow racing the block was
  // written after it and outlived it; found by a member), and a closure of either (a follow racing
  // it was written for a closed member: found by a reviewer). The followee's row is shared: a
  // popular page's followers do not wait for each other.
  if (found && found.id !== caller.id && existsFor(u.deps, caller.id, found)) {
    const fresh = await lockAndRead(u.tx, [caller.id, found.id], { shared: found.id });
    [viewer, m] = [stillOpen(fresh.get(caller.id)), fresh.get(found.id) ?? null];
  }
  const visible = existsFor(u.deps, viewer.id, m) ? m : null;
  const { facts } = await gatherFacts(u.deps, u.tx, viewer, m && m.id === viewer.id ? m : visible, u.now);
  enforce(decideFollow(facts, u.now, u.deps.policy), u.now);
  if (!visible) throw refusal(recipientUnavailable(), u.now);
  const added = await u.tx.insert(follows).values({ follower: viewer.id, followee: visible.id, createdAt: u.now }).onConflictDoNothing().returning();
  if (added.length) await u.emit('follow.added', [viewer.id], { follower: viewer.id, followee: visible.id });
  return visible;
}

/**
 * GET /v1/follows: whom the viewer follows (`following`) or who follows them (`followers`), by member
 * id; members hidden from the viewer (a block either way, deactivated, closed) are left out.
 */
export async function followsOf(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  direction: 'following' | 'followers',
  page: { cursor?: number; limit: number },
): Promise<{ members: MemberRecord[]; nextCursor: string | null }> {
  const mine = direction === 'following' ? follows.follower : follows.followee;
  const other = direction === 'following' ? follows.followee : follows.follower;
  const { items, nextCursor } = await memberIdPage(
    deps,
    db,
    viewer.id,
    page,
    (after, n) =>
      db
        .select({ id: other })
        .from(follows)
        .where(and(eq(mine, viewer.id), after !== undefined ? gt(other, after) : undefined))
        .orderBy(asc(other))
        .limit(n),
    (m) => m,
  );
  return { members: items, nextCursor };
}

export async function unfollow(u: Uow, viewer: MemberRecord, handle: string): Promise<void> {
  const m = await visibleMember(u.deps, u.tx, viewer, handle);
  const gone = await u.tx
    .delete(follows)
    .where(and(eq(follows.follower, viewer.id), eq(follows.followee, m.id)))
    .returning();
  if (gone.length === 0) throw notFound('you do not follow this member');
  await u.emit('follow.removed', [viewer.id], { follower: viewer.id, followee: m.id });
}

export async function block(u: Uow, viewer: MemberRecord, handle: string): Promise<MemberRecord> {
  const { deps, tx, now } = u;
  const m = await memberByHandle(tx, handle);
  // Already blocked by the viewer: nothing to do (idempotent).
  if (m && deps.graph.hasBlocked(viewer.id, m.id)) return m;
  if (!m || m.status !== 'active' || (m.id !== viewer.id && deps.graph.hasBlocked(m.id, viewer.id))) throw notFound('no such member');
  await lockMembers(tx, [viewer.id, m.id]);
  const { facts } = await gatherFacts(deps, tx, viewer, m, now);
  // a block that committed meanwhile (the same request twice at once) is the same block: idempotent
  // as above, not the unknown member's 404 (found by a reviewer)
  if (facts.relationship.blockedByViewer) return m;
  enforce(decideBlock(facts, now, deps.policy), now);
  await tx
    .insert(blocks)
    .values({ blocker: viewer.id, blocked: m.id, createdAt: now, unblockedAt: null })
    .onConflictDoUpdate({ target: [blocks.blocker, blocks.blocked], set: { createdAt: now, unblockedAt: null } });
  const [a, b] = viewer.id < m.id ? [viewer.id, m.id] : [m.id, viewer.id];
  const conn = await tx
    .delete(connections)
    .where(and(eq(connections.a, a), eq(connections.b, b)))
    .returning();
  if (conn.length) {
    await u.emit('connection.removed', [viewer.id], { a, b });
    await lapseAsksThrough(u, a, b);
  }
  await dropFollows(u, viewer.id, m.id);
  // Open invitations end both ways: the blocker's own as withdrawn (they took it back: inviting again
  // after an unblock waits out the withdrawal cooldown, as a withdrawal would; a block and an unblock
  // were a way around it, found by a reviewer), the other side's as expired.
  const expired = await tx
    .update(invitations)
    .set({ status: sql`case when ${invitations.fromId} = ${viewer.id} then 'withdrawn' else 'expired' end`, respondedAt: now })
    .where(
      and(
        sql`least(${invitations.fromId}, ${invitations.toId}) = ${a}::int`,
        sql`greatest(${invitations.fromId}, ${invitations.toId}) = ${b}::int`,
        inArray(invitations.status, ['pending', 'ignored']),
      ),
    )
    .returning({ id: invitations.id, fromId: invitations.fromId, toId: invitations.toId });
  await closeInvitationPairs(tx, expired);
  // Their conversation ends for both, for good: unblocking restores nothing (DOMAIN.md 6); a new
  // message after an unblock starts a new thread and needs a channel like a first one.
  const ended = await tx
    .update(conversations)
    .set({ endedAt: now, accepted: false })
    .where(and(pairSql(conversations.starterId, conversations.recipientId, a, b), isNull(conversations.endedAt)))
    .returning({ id: conversations.id });
  await endConversationPair(tx, a, b);
  // What each was notified of by the other goes too, for good (an unblock brought it back: found by a
  // member), and what either was notified of about the conversation that ended (a forwarded
  // introduction names its introducer, not the other side: found by the model test).
  await dropNotificationsBetween(
    u,
    viewer,
    m,
    ended.map((c) => c.id),
  );
  // Only the blocker's own sockets hear of it; the graph of every instance applies it.
  await u.emit('block.added', [viewer.id], { blocker: viewer.id, blocked: m.id });
  return m;
}

export async function unblock(u: Uow, viewer: MemberRecord, handle: string): Promise<void> {
  const m = await memberByHandle(u.tx, handle);
  if (!m) throw notFound('you have not blocked this member');
  const rows = await u.tx
    .update(blocks)
    .set({ unblockedAt: u.now })
    .where(and(eq(blocks.blocker, viewer.id), eq(blocks.blocked, m.id), isNull(blocks.unblockedAt)))
    .returning();
  if (rows.length === 0) throw notFound('you have not blocked this member');
  await u.emit('block.removed', [viewer.id], { blocker: viewer.id, blocked: m.id });
}

export async function blockedBy(db: Runner, viewer: MemberRecord, page: { cursor?: number; limit: number }) {
  const rows = await db
    .select({ id: blocks.blocked })
    .from(blocks)
    .where(and(eq(blocks.blocker, viewer.id), isNull(blocks.unblockedAt), page.cursor ? sql`${blocks.blocked} > ${page.cursor}` : undefined))
    .orderBy(blocks.blocked)
    .limit(page.limit + 1);
  const more = rows.length > page.limit;
  const ids = rows.slice(0, page.limit).map((r) => r.id);
  const byId = await membersByIds(db, ids);
  return { members: ids.map((id) => byId.get(id)!).filter(Boolean), nextCursor: more ? String(ids[ids.length - 1]) : null };
}

/** The viewer's connections (visible ones), ascending id, keyset-paginated. */
export async function connectionsOf(deps: Deps, db: Runner, viewer: MemberRecord, page: { cursor?: number; limit: number }) {
  const all = deps.graph.connectionsOf(viewer.id);
  let start = 0;
  if (page.cursor !== undefined) {
    // first id greater than the cursor (ids ascending)
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid] <= page.cursor) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const ids = all.slice(start, start + page.limit);
  const byId = await membersByIds(db, ids);
  const members = ids.map((id) => byId.get(id)).filter((m): m is MemberRecord => !!m);
  const more = start + page.limit < all.length;
  return { members, nextCursor: more && ids.length ? String(ids[ids.length - 1]) : null };
}

/**
 * Closing removes the member's connections, follows, pending invitations, group memberships and page
 * adminships at once (DOMAIN.md 1), so a closed member never holds a place under anyone's cap.
 * Every instance's graph index learns it from the events.
 */
export async function detachClosedMember(u: Uow, id: number): Promise<void> {
  const { tx, now } = u;
  const conns = await tx
    .delete(connections)
    .where(or(eq(connections.a, id), eq(connections.b, id)))
    .returning();
  for (const c of conns) await u.emit('connection.removed', [c.a, c.b], { a: c.a, b: c.b });
  await lapseAsksOf(u, id);
  const fl = await tx
    .delete(follows)
    .where(or(eq(follows.follower, id), eq(follows.followee, id)))
    .returning();
  for (const r of fl) await u.emit('follow.removed', [r.follower], { follower: r.follower, followee: r.followee });
  const expired = await tx
    .update(invitations)
    .set({ status: 'expired', respondedAt: now })
    .where(and(or(eq(invitations.fromId, id), eq(invitations.toId, id)), inArray(invitations.status, ['pending', 'ignored'])))
    .returning({ id: invitations.id, fromId: invitations.fromId, toId: invitations.toId });
  await closeInvitationPairs(tx, expired);
  // Internal: both sides' read models drop the invitation.
  for (const i of expired) await u.emit('invitation.expired', [i.fromId, i.toId], { invitationId: String(i.id) });
  await tx.delete(groupRequests).where(eq(groupRequests.memberId, id));
  // The member's groups locked, in id order, as the admin verbs, a leave and a join take them: two
  // admins closing at once, or one closing while the other leaves, each saw the other still there
  // and the group was left without an admin (found by a reviewer).
  const mine = rowsOf(
    await tx.execute(sql`select g.id from ${groups} g where g.id in (select group_id from ${groupMembers} where member_id = ${id}) order by g.id for update`),
  ).map((r) => Number(r.id));
  // A group whose last admin closes keeps an admin: its longest-standing member (DOMAIN.md 2: the
  // last admin cannot leave; closing is not leaving a group without anyone to run it).
  await tx.execute(sql`
    update group_members gm set admin = true
      from (select distinct on (o.group_id) o.group_id, o.member_id
              from group_members mine
              join group_members o on o.group_id = mine.group_id and o.member_id <> mine.member_id
             where mine.member_id = ${id} and mine.admin
               and not exists (select 1 from group_members a where a.group_id = mine.group_id and a.admin and a.member_id <> mine.member_id)
             order by o.group_id, o.joined_at, o.member_id) heir
     where gm.group_id = heir.group_id and gm.member_id = heir.member_id`);
  const left = await tx.delete(groupMembers).where(eq(groupMembers.memberId, id)).returning();
  for (const g of left) await u.emit('group.left', [id], { groupId: g.groupId, memberId: id });
  // A group its last member leaves by closing is gone, with the requests no one is left to answer
  // (it took joins, and the first to join held a group without an admin: found by a reviewer).
  if (mine.length) {
    const empty = rowsOf(
      await tx.execute(sql`select g.id from ${groups} g where g.id in ${mine} and not exists (select 1 from ${groupMembers} gm where gm.group_id = g.id)`),
    ).map((r) => Number(r.id));
    if (empty.length) {
      await tx.delete(groupRequests).where(inArray(groupRequests.groupId, empty));
      await tx.delete(groups).where(inArray(groups.id, empty));
    }
  }
  await tx.delete(pageAdmins).where(eq(pageAdmins.memberId, id));
}
