/** Operator verbs: subscriptions and restriction. */
import { eq } from 'drizzle-orm';
import { tierChangeGrant, type Tier, type TierHolder } from '../policy/index.js';
import { ensureGrants, grantOnChange, purchaseCredits } from './inmail.js';
import { notifyGrant } from './notifications.js';
import { members, subscriptions } from '../store/schema.js';
import { AppError } from './errors.js';
import { lockMembers, memberByHandle, memberById, type MemberRecord } from './members.js';
import type { Uow } from './uow.js';

async function personByHandle(u: Uow, handle: string): Promise<MemberRecord> {
  const m = await memberByHandle(u.tx, handle);
  if (!m) throw new AppError(404, 'not_found', 'no such member');
  return m;
}

/**
 * Sets a member's tier and its end date (a past `until` means lapsed at once). The grants due under
 * the old subscription are written first; then the policy says what the change grants (`start` or
 * `upgrade`; nothing for a renewal or a downgrade). No credit is ever taken back (DOMAIN.md 1, 5).
 */
export async function setSubscription(u: Uow, handle: string, tier: Tier, until: Date | null): Promise<MemberRecord> {
  const found = await personByHandle(u, handle);
  if (found.kind !== 'person') throw new AppError(400, 'invalid_request', 'pages have no subscription', { details: { field: 'handle' } });
  await lockMembers(u.tx, [found.id]);
  const m = (await memberById(u.tx, found.id))!;
  const pools = await ensureGrants(u.tx, m, u.now, u.deps.policy, (g) => notifyGrant(u, m, g.amount));
  const after: TierHolder = { kind: 'person', tier, tierUntil: until };
  const grant = tierChangeGrant(m, after, u.now, u.deps.policy);
  const [old] = await u.tx.select().from(subscriptions).where(eq(subscriptions.memberId, m.id));
  const startedAt = grant === 'start' || !old ? u.now : old.startedAt;
  await u.tx
    .insert(subscriptions)
    .values({ memberId: m.id, tier, until, startedAt, changedAt: u.now })
    .onConflictDoUpdate({ target: subscriptions.memberId, set: { tier, until, startedAt, changedAt: u.now } });
  if (grant) await notifyGrant(u, m, await grantOnChange(u.tx, m.id, after, grant, pools.tier, u.now, u.deps.policy));
  await u.emit('member.subscription', [m.id], { memberId: m.id, tier, until: until?.toISOString() ?? null });
  return (await memberById(u.tx, m.id))!;
}

/** Purchased InMail credits for a person (any tier): a ledger entry of the purchased pool. */
export async function addPurchasedCredits(u: Uow, handle: string, credits: number, note: string | null): Promise<{ balance: number }> {
  const found = await personByHandle(u, handle);
  if (found.kind !== 'person') throw new AppError(400, 'invalid_request', 'pages have no InMail credits', { details: { field: 'handle' } });
  await lockMembers(u.tx, [found.id]);
  const m = (await memberById(u.tx, found.id))!;
  const pools = await ensureGrants(u.tx, m, u.now, u.deps.policy, (g) => notifyGrant(u, m, g.amount));
  await purchaseCredits(u.tx, m.id, credits, note, u.now);
  await notifyGrant(u, m, credits);
  return { balance: pools.tier + pools.purchased + credits };
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
