/**
 * Groups (DOMAIN.md 2): join (at once, or a request an admin approves), leave, and the admins' verbs.
 * The policy decides (src/policy/groups.ts); this module counts and writes. Only approved members
 * are in group_members, which the graph index follows (the group channel counts them alone).
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { groupPermission, joinOutcome, mayRemoveFromGroup, type GroupPlace, type JoinPolicy } from '../policy/index.js';
import type { Runner } from '../store/db.js';
import { groupMembers, groupRequests, groups } from '../store/schema.js';
import type { Deps } from './context.js';
import { AppError, conflict, notFound } from './errors.js';
import { lockSelf, memberByHandle, type ApiMember, type MemberRecord } from './members.js';
import { memberFor } from './projection.js';
import type { Uow } from './uow.js';
import { memberIdPage } from './paging.js';

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Group as ApiGroup } from '../contract/index.js';
import { existsFor } from './hidden.js';
export type { ApiGroup };

function personOnly(viewer: MemberRecord): void {
  if (viewer.kind !== 'person') throw new AppError(403, 'forbidden', 'pages do not join groups');
}

async function groupRow(db: Runner, id: number, lock?: 'share') {
  const q = db.select().from(groups).where(eq(groups.id, id));
  const [g] = lock ? await q.for(lock) : await q;
  if (!g) throw notFound('no such group');
  return g;
}

async function placeOf(db: Runner, groupId: number, memberId: number): Promise<GroupPlace> {
  const [row] = await db
    .select({
      member: sql<boolean>`exists (select 1 from group_members gm where gm.group_id = ${groupId} and gm.member_id = ${memberId})`,
      admin: sql<boolean>`exists (select 1 from group_members gm where gm.group_id = ${groupId} and gm.member_id = ${memberId} and gm.admin)`,
      admins: sql<number>`(select count(*)::int from group_members gm where gm.group_id = ${groupId} and gm.admin)`,
    })
    .from(sql`(select 1) one`);
  return { member: row?.member === true, admin: row?.admin === true, admins: Number(row?.admins ?? 0) };
}

const REFUSALS = {
  not_member: () => notFound('no such group'),
  not_admin: () => new AppError(403, 'forbidden', "only the group's admins may do this"),
  last_admin: () => conflict('the last admin cannot leave: add another admin first'),
} as const;

/** The place of the caller, or the refusal the policy names. */
async function require(db: Runner, groupId: number, memberId: number, action: 'manage' | 'list_members' | 'leave'): Promise<GroupPlace> {
  await groupRow(db, groupId);
  const place = await placeOf(db, groupId, memberId);
  const answer = groupPermission(place, action);
  if (answer !== 'ok') throw REFUSALS[answer]();
  return place;
}

/**
 * `fromRequest`: the member's request must still be there (it is taken in the same statement as it
 * is read, under its row lock): a request withdrawn, or dropped by a closure, while an admin
 * approved it is not approved after all (both answered 204, and the member was in: found by a
 * reviewer). The request's row lock is what orders an approval and a closure (which deletes the
 * member's requests before their places): not the member's row, which a join takes before the
 * group's while an approval holds the group's (a lock cycle a reviewer found).
 */
async function addMember(u: Uow, groupId: number, memberId: number, admin = false, fromRequest = false): Promise<boolean> {
  const taken = await u.tx
    .delete(groupRequests)
    .where(and(eq(groupRequests.groupId, groupId), eq(groupRequests.memberId, memberId)))
    .returning({ memberId: groupRequests.memberId });
  if (fromRequest && taken.length === 0) return false;
  const added = await u.tx.insert(groupMembers).values({ groupId, memberId, admin, joinedAt: u.now }).onConflictDoNothing().returning();
  if (added.length) await u.emit('group.joined', [memberId], { groupId, memberId });
  return added.length > 0;
}

export async function createGroup(u: Uow, caller: MemberRecord, name: string, joinPolicy: JoinPolicy = 'open'): Promise<ApiGroup> {
  personOnly(caller);
  const viewer = await lockSelf(u.tx, caller);
  const [g] = await u.tx.insert(groups).values({ name, joinPolicy, createdBy: viewer.id, createdAt: u.now }).returning();
  await addMember(u, g.id, viewer.id, true);
  return { id: String(g.id), name: g.name, joinPolicy: g.joinPolicy };
}

/** Join: a member at once (open), or a request for the admins (approval). */
export async function joinGroup(u: Uow, caller: MemberRecord, groupId: number): Promise<'member' | 'pending'> {
  personOnly(caller);
  // The caller's row, then the group's (shared), the order a closure takes them: a closure of the
  // caller, of the group's last admin, or a switch to open committed meanwhile is seen here (each
  // raced a join and left a closed member in a group, a group without an admin, or a request
  // pending in an open group: found by a reviewer).
  const viewer = await lockSelf(u.tx, caller);
  const g = await groupRow(u.tx, groupId, 'share');
  if ((await placeOf(u.tx, groupId, viewer.id)).member) return 'member';
  const outcome = joinOutcome(g.joinPolicy);
  if (outcome === 'member') await addMember(u, groupId, viewer.id);
  else await u.tx.insert(groupRequests).values({ groupId, memberId: viewer.id, createdAt: u.now }).onConflictDoNothing();
  return outcome;
}

/** Leave (or withdraw a pending request); the last admin cannot leave. */
export async function leaveGroup(u: Uow, viewer: MemberRecord, groupId: number): Promise<void> {
  await groupRow(u.tx, groupId);
  const withdrawn = await u.tx
    .delete(groupRequests)
    .where(and(eq(groupRequests.groupId, groupId), eq(groupRequests.memberId, viewer.id)))
    .returning();
  if (withdrawn.length) return;
  await lockGroup(u, groupId);
  await require(u.tx, groupId, viewer.id, 'leave');
  await u.tx.delete(groupMembers).where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.memberId, viewer.id)));
  await u.emit('group.left', [viewer.id], { groupId, memberId: viewer.id });
}

/** Serializes the admin verbs of a group (two last admins leaving at once cannot both go). */
async function lockGroup(u: Uow, groupId: number): Promise<void> {
  await u.tx.select({ id: groups.id }).from(groups).where(eq(groups.id, groupId)).for('update');
}

/** Admins: the join policy; switching to open approves what is pending. */
export async function setJoinPolicy(u: Uow, viewer: MemberRecord, groupId: number, joinPolicy: JoinPolicy): Promise<ApiGroup> {
  await lockGroup(u, groupId);
  await require(u.tx, groupId, viewer.id, 'manage');
  const [g] = await u.tx.update(groups).set({ joinPolicy }).where(eq(groups.id, groupId)).returning();
  if (joinOutcome(joinPolicy) === 'member') {
    const pending = await u.tx.select().from(groupRequests).where(eq(groupRequests.groupId, groupId));
    for (const p of pending) await addMember(u, groupId, p.memberId, false, true);
  }
  return { id: String(g.id), name: g.name, joinPolicy: g.joinPolicy };
}

/** A person by handle, visible to the admin (the same "not found" for hidden ones). */
async function personFor(u: Uow, viewer: MemberRecord, handle: string, missing = 'no such member'): Promise<MemberRecord> {
  const m = await memberByHandle(u.tx, handle);
  if (!existsFor(u.deps, viewer.id, m)) throw notFound(missing);
  return m;
}

/**
 * The member an admin removes: found among the group's own people
 * whatever blocks stand between them (a member who blocked every admin can still be removed: R3-4).
 * An admin learns nothing a member list would not show them: the answer is the same 404 when the
 * handle is unknown or not in this group.
 */
async function groupPersonFor(u: Uow, handle: string): Promise<MemberRecord> {
  const m = await memberByHandle(u.tx, handle);
  if (!m || m.status === 'closed') throw notFound('no such member of this group');
  return m;
}

/** What a request an admin cannot act on answers, whoever the handle names or hides (found by a member: the messages differed). */
const NO_REQUEST = 'no such request';

/** Admins: approve or decline a request to join. */
export async function answerRequest(u: Uow, viewer: MemberRecord, groupId: number, handle: string, approve: boolean): Promise<void> {
  await lockGroup(u, groupId);
  await require(u.tx, groupId, viewer.id, 'manage');
  // Only someone the admin can see: a request of a member hidden from them (blocked either way,
  // deactivated) answers as no request does, the admin learns nothing of them (found by a reviewer:
  // declining one answered 204), and it stays out of their list (GET .../requests) as before.
  const m = await personFor(u, viewer, handle, NO_REQUEST);
  const [req] = await u.tx
    .select()
    .from(groupRequests)
    .where(and(eq(groupRequests.groupId, groupId), eq(groupRequests.memberId, m.id)));
  if (!req) throw notFound(NO_REQUEST);
  if (approve) {
    if (!(await addMember(u, groupId, m.id, false, true))) throw notFound(NO_REQUEST);
  } else await u.tx.delete(groupRequests).where(and(eq(groupRequests.groupId, groupId), eq(groupRequests.memberId, m.id)));
}

/** Admins: remove a member (never the last admin). */
export async function removeMember(u: Uow, viewer: MemberRecord, groupId: number, handle: string): Promise<void> {
  await lockGroup(u, groupId);
  await require(u.tx, groupId, viewer.id, 'manage');
  const m = await groupPersonFor(u, handle);
  const target = await placeOf(u.tx, groupId, m.id);
  if (!target.member) throw notFound('no such member of this group');
  if (!mayRemoveFromGroup(target)) throw REFUSALS.last_admin();
  await u.tx.delete(groupMembers).where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.memberId, m.id)));
  await u.emit('group.left', [m.id], { groupId, memberId: m.id });
}

/** Admins: make a member an admin. */
export async function addGroupAdmin(u: Uow, viewer: MemberRecord, groupId: number, handle: string): Promise<void> {
  await lockGroup(u, groupId);
  await require(u.tx, groupId, viewer.id, 'manage');
  const m = await personFor(u, viewer, handle);
  const done = await u.tx
    .update(groupMembers)
    .set({ admin: true })
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.memberId, m.id)))
    .returning();
  if (done.length === 0) throw notFound('no such member of this group');
}

/** Members (or pending requests, for admins), as the viewer may see them (profileVisibility). */
export async function listGroupPeople(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  groupId: number,
  which: 'members' | 'requests',
  now: Date,
  page: { cursor?: number; limit: number },
): Promise<{ items: ApiMember[]; nextCursor: string | null }> {
  await require(db, groupId, viewer.id, which === 'members' ? 'list_members' : 'manage');
  const table = which === 'members' ? groupMembers : groupRequests;
  return memberIdPage(
    deps,
    db,
    viewer.id,
    page,
    (after, n) =>
      db
        .select({ id: table.memberId })
        .from(table)
        .where(and(eq(table.groupId, groupId), after !== undefined ? gt(table.memberId, after) : undefined))
        .orderBy(asc(table.memberId))
        .limit(n),
    (m) => memberFor(deps, viewer.id, m, now),
  );
}
