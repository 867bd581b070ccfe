/**
 * Invitations (DOMAIN.md 3): send, accept, ignore, report "I don't know this person", withdraw,
 * list; crossing invitations connect at once; expiry after invitationExpiryDays, computed from
 * `now`. Every verb locks the two member rows (in id order), so caps and the weekly limit hold
 * under concurrency, and invitation_open_pairs allows one open invitation per pair.
 */
import { closeInvitationPairs, openInvitationPair } from '../store/lookups.js';
import { and, desc, eq, inArray, lt, lte, or } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { decideAcceptInvitation, decideInvitation, invitationExpired, invitationExpiryCutoff, noteOf } from '../policy/index.js';
import type { Runner } from '../store/db.js';
import { connections, follows, invitations } from '../store/schema.js';
import type { Deps } from './context.js';
import { enforce, refusal } from './decisions.js';
import { AppError, notFound } from './errors.js';
import { connectionCounts, gatherFacts } from './facts.js';
import { lockAndRead, lockMembers, memberByHandle, membersByIds, stillOpen, type MemberRecord } from './members.js';
import { memberFor } from './projection.js';
import { dropInvitationNotifications, notify } from './notifications.js';
import type { Uow } from './uow.js';
import { countersBump } from './counters.js';
import { recipientUnavailable } from '../policy/types.js';

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Invitation as ApiInvitation } from '../contract/index.js';
import { visiblePage } from './paging.js';
import { existsFor } from './hidden.js';
export type { ApiInvitation };

type Row = typeof invitations.$inferSelect;

export function expiryCutoff(deps: Deps, now: Date): Date {
  return invitationExpiryCutoff(now, deps.policy);
}

/** The status as `viewerId` may see it: an ignored invitation is still pending to its sender; a lapsed one is expired. */
export function statusFor(deps: Deps, row: Row, viewerId: number, now: Date): ApiInvitation['status'] {
  let s = row.status;
  if ((s === 'pending' || s === 'ignored') && invitationExpired(row.createdAt, now, deps.policy)) return 'expired';
  if (s === 'ignored' && row.fromId === viewerId) s = 'pending';
  return s;
}

export function toApiInvitation(deps: Deps, row: Row, from: MemberRecord, to: MemberRecord, viewerId: number, now: Date): ApiInvitation {
  return {
    id: String(row.id),
    from: memberFor(deps, viewerId, from, now),
    to: memberFor(deps, viewerId, to, now),
    note: row.note,
    status: statusFor(deps, row, viewerId, now),
    createdAt: row.createdAt.toISOString(),
  };
}

async function connect(u: Uow, a: number, b: number): Promise<void> {
  const [x, y] = a < b ? [a, b] : [b, a];
  await u.tx.insert(connections).values({ a: x, b: y, createdAt: u.now }).onConflictDoNothing();
  await u.tx
    .insert(follows)
    .values([
      { follower: a, followee: b, createdAt: u.now },
      { follower: b, followee: a, createdAt: u.now },
    ])
    .onConflictDoNothing();
  await u.emit('connection.added', [a, b], { a, b });
  await u.emit('follow.added', [a], { follower: a, followee: b });
  await u.emit('follow.added', [b], { follower: b, followee: a });
}

/** Marks lapsed open invitations between the two as expired (frees the pair's unique slot). */
async function expireLapsed(u: Uow, a: number, b: number): Promise<void> {
  const expired = await u.tx
    .update(invitations)
    .set({ status: 'expired' })
    .where(
      and(
        // either sender (on Citus: the two senders' shards)
        inArray(invitations.fromId, [a, b]),
        sql`least(${invitations.fromId}, ${invitations.toId}) = least(${a}::int, ${b}::int)`,
        sql`greatest(${invitations.fromId}, ${invitations.toId}) = greatest(${a}::int, ${b}::int)`,
        inArray(invitations.status, ['pending', 'ignored']),
        // expired by the policy's rule (at or before the cutoff: at the very instant too, or the slot stayed taken and the insert failed)
        lte(invitations.createdAt, sql`${expiryCutoff(u.deps, u.now)}`),
      ),
    )
    .returning({ id: invitations.id, fromId: invitations.fromId, toId: invitations.toId });
  await closeInvitationPairs(u.tx, expired);
}

export async function sendInvitation(
  u: Uow,
  caller: MemberRecord,
  input: { to: string; note?: string | null; email?: string | null },
): Promise<{ status: 200 | 201; invitation: ApiInvitation }> {
  const { deps, tx, now } = u;
  const found = await memberByHandle(tx, input.to);
  // Unknown, deactivated and closed look alike; self gets the policy's own answer.
  const unavailable = async (viewer: MemberRecord, self: MemberRecord | null): Promise<never> => {
    const { facts } = await gatherFacts(deps, tx, viewer, self, now);
    enforce(decideInvitation(facts, { note: input.note ?? null }, now, deps.policy), now);
    throw refusal(recipientUnavailable(), now);
  };
  if (!found || found.status !== 'active' || found.id === caller.id) return unavailable(caller, found && found.id === caller.id ? found : null);
  // Both rows locked and read again: a closure of either committed meanwhile is seen here (an
  // invitation racing it was written for a closed member: found by a reviewer).
  const fresh = await lockAndRead(tx, [caller.id, found.id]);
  const viewer = stillOpen(fresh.get(caller.id));
  const member = fresh.get(found.id);
  if (!member || member.status !== 'active') return unavailable(viewer, null);
  await expireLapsed(u, viewer.id, member.id);
  const counts = await connectionCounts(tx, [viewer.id, member.id]);
  const { facts, invitation } = await gatherFacts(deps, tx, viewer, member, now, { connectionCounts: counts });
  const emailMatches = !!input.email && !!member.email && input.email.trim().toLowerCase() === member.email.trim().toLowerCase();
  const note = noteOf(input.note); // a note of only whitespace is no note (DOMAIN.md 3)
  enforce(decideInvitation(facts, { note, emailMatches }, now, deps.policy), now);

  if (invitation && invitation.fromId === member.id) {
    // Crossing invitations: the member already invited the viewer, so they connect at once.
    const [row] = await tx
      .update(invitations)
      .set({ status: 'accepted', respondedAt: now })
      .where(and(eq(invitations.id, invitation.id), eq(invitations.fromId, member.id)))
      .returning();
    await closeInvitationPairs(tx, [row]);
    await connect(u, viewer.id, member.id);
    await u.emit('invitation.accepted', [member.id, viewer.id], { invitationId: String(row.id), by: viewer.id });
    await notify(u, { recipient: member, kind: 'invitation.accepted', actor: viewer, invitationId: row.id });
    return { status: 200, invitation: toApiInvitation(deps, row, member, viewer, viewer.id, now) };
  }
  const [row] = await tx
    .insert(invitations)
    .values({ fromId: viewer.id, toId: member.id, note, email: input.email ?? null, status: 'pending', createdAt: now })
    .returning();
  await openInvitationPair(tx, viewer.id, member.id, row.id);
  u.later(countersBump(viewer.id, now, { invitation: { note: note !== null } }));
  const api = toApiInvitation(deps, row, viewer, member, viewer.id, now);
  // the event is for the invitee: both members as the invitee sees them
  await u.emit('invitation.received', [member.id], { invitation: toApiInvitation(deps, row, viewer, member, member.id, now) });
  await notify(u, { recipient: member, kind: 'invitation.received', actor: viewer, invitationId: row.id });
  return { status: 201, invitation: api };
}

/**
 * Who the viewer's invitation is between (404 when it is not theirs), read without a lock: respond
 * locks the members' rows, then the invitation's. Invitations sit with their sender (from_id: on
 * Citus the sender's shard, which respond's lock names): the recipient's is found by id (a
 * deliberate multi-shard read on Citus).
 */
async function invitationPair(u: Uow, id: number, role: 'to' | 'from', viewer: MemberRecord): Promise<{ fromId: number; toId: number }> {
  const [found] = await u.tx
    .select({ fromId: invitations.fromId, toId: invitations.toId })
    .from(invitations)
    .where(and(eq(invitations.id, id), eq(role === 'to' ? invitations.toId : invitations.fromId, viewer.id)));
  if (!found) throw notFound('no such invitation');
  return found;
}

async function respond(u: Uow, viewer: MemberRecord, id: number, action: 'accept' | 'ignore' | 'report' | 'withdraw'): Promise<ApiInvitation> {
  const { deps, tx, now } = u;
  // The members' rows first, then the invitation's: the order a block and a closure take theirs
  // (taking the invitation's first deadlocked with them: 11 to 21 times in 20 raced rounds).
  const row0 = await invitationPair(u, id, action === 'withdraw' ? 'from' : 'to', viewer);
  const otherId = row0.fromId === viewer.id ? row0.toId : row0.fromId;
  await lockMembers(tx, [viewer.id, otherId]);
  const byId = and(eq(invitations.id, id), eq(invitations.fromId, row0.fromId));
  const [row] = await tx.select().from(invitations).where(byId).for('no key update');
  const members = await membersByIds(tx, [row.fromId, row.toId]);
  const from = members.get(row.fromId)!;
  const to = members.get(row.toId)!;
  const other = members.get(otherId)!;
  if (!existsFor(deps, viewer.id, other)) throw notFound('no such invitation');
  const status = statusFor(deps, row, viewer.id, now);
  // The recipient no longer sees an invitation it ignored; only a pending one can be answered.
  const open = action === 'withdraw' ? status === 'pending' : row.status === 'pending' || (action === 'report' && row.status === 'ignored');
  if (status === 'expired' || !open) throw new AppError(409, 'conflict', `the invitation is ${status === 'pending' ? 'no longer open' : status}`);

  let next: Row;
  if (action === 'accept') {
    const counts = await connectionCounts(tx, [viewer.id, otherId]);
    const { facts } = await gatherFacts(deps, tx, viewer, other, now, { connectionCounts: counts });
    enforce(decideAcceptInvitation(facts, now, deps.policy), now);
    [next] = await tx.update(invitations).set({ status: 'accepted', respondedAt: now }).where(byId).returning();
    await closeInvitationPairs(tx, [next!]);
    await connect(u, viewer.id, otherId);
    await u.emit('invitation.accepted', [otherId, viewer.id], { invitationId: String(id), by: viewer.id });
    await notify(u, { recipient: other, kind: 'invitation.accepted', actor: viewer, invitationId: id });
  } else if (action === 'ignore' || action === 'report') {
    // A report counts against the sender once an invitation: reporting it again keeps the first.
    const firstReport = action === 'report' && row.reportedAt === null;
    if (firstReport) u.later(countersBump(row.fromId, now, { reported: true }));
    [next] = await tx
      .update(invitations)
      .set({ status: 'ignored', respondedAt: now, ...(firstReport ? { reportedAt: now } : {}) })
      .where(byId)
      .returning();
    await dropInvitationNotifications(u, row);
    // Internal (never on the stream: the sender is told nothing): the read models of both sides,
    // and the sender's counters (a report counts against the sender), are stale from here.
    await u.emit('invitation.ignored', [otherId, viewer.id], { invitationId: String(id) });
  } else {
    [next] = await tx.update(invitations).set({ status: 'withdrawn', respondedAt: now }).where(byId).returning();
    await closeInvitationPairs(tx, [next!]);
    await dropInvitationNotifications(u, row);
    await u.emit('invitation.withdrawn', [otherId, viewer.id], { invitationId: String(id) });
  }
  return toApiInvitation(deps, next!, from, to, viewer.id, now);
}

export const acceptInvitation = (u: Uow, v: MemberRecord, id: number) => respond(u, v, id, 'accept');
export const ignoreInvitation = (u: Uow, v: MemberRecord, id: number) => respond(u, v, id, 'ignore');
export const reportInvitation = (u: Uow, v: MemberRecord, id: number) => respond(u, v, id, 'report');
export const withdrawInvitation = (u: Uow, v: MemberRecord, id: number) => respond(u, v, id, 'withdraw');

/** Pending invitations received or sent, newest first, members hidden from the viewer left out. */
export async function listInvitations(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  direction: 'received' | 'sent',
  now: Date,
  page: { cursor?: number; limit: number },
): Promise<{ items: ApiInvitation[]; nextCursor: string | null }> {
  const cutoff = expiryCutoff(deps, now);
  return visiblePage(
    page,
    (after, n) =>
      db
        .select()
        .from(invitations)
        .where(
          and(
            direction === 'received'
              ? and(eq(invitations.toId, viewer.id), eq(invitations.status, 'pending'))
              : and(eq(invitations.fromId, viewer.id), or(eq(invitations.status, 'pending'), eq(invitations.status, 'ignored'))),
            sql`${invitations.createdAt} > ${cutoff}`,
            after !== undefined ? lt(invitations.id, after) : undefined,
          ),
        )
        .orderBy(desc(invitations.id))
        .limit(n),
    (r) => r.id,
    async (rows) => {
      const otherOf = (r: Row) => (direction === 'received' ? r.fromId : r.toId);
      const byId = await membersByIds(db, rows.map(otherOf));
      return rows.map((r) => {
        const other = byId.get(otherOf(r)) ?? null;
        if (!existsFor(deps, viewer.id, other)) return undefined;
        return direction === 'received' ? toApiInvitation(deps, r, other, viewer, viewer.id, now) : toApiInvitation(deps, r, viewer, other, viewer.id, now);
      });
    },
  );
}
