/** Operator verbs: subscriptions and restriction. */
import { eq } from 'drizzle-orm';
import type { Tier } from '../policy/policy.js';
import { members, subscriptions } from '../store/schema.js';
import { AppError } from './errors.js';
import { lockMembers, memberByHandle, memberById, type MemberRecord } from './members.js';
import type { Uow } from './uow.js';

async function personByHandle(u: Uow, handle: string): Promise<MemberRecord> {
  const m = await memberByHandle(u.tx, handle);
  if (!m) throw new AppError(404, 'not_found', 'no such member');
  return m;
}

/** Sets a member's tier and its end date (a past `until` means lapsed at once). */
export async function setSubscription(u: Uow, handle: string, tier: Tier, until: Date | null): Promise<MemberRecord> {
  const m = await personByHandle(u, handle);
  if (m.kind !== 'person') throw new AppError(400, 'invalid_request', 'pages have no subscription', { details: { field: 'handle' } });
  await lockMembers(u.tx, [m.id]);
  await u.tx
    .insert(subscriptions)
    .values({ memberId: m.id, tier, until, startedAt: u.now })
    .onConflictDoUpdate({ target: subscriptions.memberId, set: { tier, until, startedAt: u.now } });
  await u.emit('member.subscription', [m.id], { memberId: m.id, tier, until: until?.toISOString() ?? null });
  return (await memberById(u.tx, m.id))!;
}

/** Restrict (may read, may not send) or lift it; lifting also clears a bulk flag awaiting review. */
export async function setRestricted(u: Uow, handle: string, restricted: boolean): Promise<MemberRecord> {
  const m = await personByHandle(u, handle);
  await lockMembers(u.tx, [m.id]);
  const set = restricted ? { restricted: true } : { restricted: false, bulkFlagged: false };
  await u.tx.update(members).set(set).where(eq(members.id, m.id));
  await u.emit('member.restricted', [m.id], { memberId: m.id, restricted });
  return (await memberById(u.tx, m.id))!;
}
