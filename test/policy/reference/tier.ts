/** Tiers as the rules see them (DOMAIN.md 1 and 5): lapsed tiers are free, reach, credits. */
import { TIERS, type Policy, type Tier } from '../../../src/policy/policy.js';
import type { Degree } from './types.js';

/** Just enough of a member to know its tier. */
export interface TierHolder {
  kind: 'person' | 'page';
  tier: Tier;
  tierUntil: Date | null;
}

/**
 * The tier every rule uses: the tier on record until its end date (exclusive), `free` from then
 * on (a lapsed premium reverts at once). Pages have no tier: always `free`.
 */
export function effectiveTier(member: TierHolder, now: Date): Tier {
  if (member.kind === 'page' || member.tier === 'free') return 'free';
  if (member.tierUntil !== null && now.getTime() >= member.tierUntil.getTime()) return 'free';
  return member.tier;
}

/** A member on a paid tier that has not lapsed. */
export function isPremium(member: TierHolder, now: Date): boolean {
  return effectiveTier(member, now) !== 'free';
}

/** Rank of a tier in TIERS order (free lowest, the "cheapest" first). */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** Whether a tier reaches a member at this degree (channel tier_reach). */
export function tierReaches(tier: Tier, degree: Degree, policy: Policy): boolean {
  return degree !== null && degree <= policy.tierReach[tier];
}

/** The cheapest tier (first in TIERS order) whose reach covers the degree; `null` when none does. */
export function cheapestTierReaching(degree: Degree, policy: Policy): Tier | null {
  return TIERS.find((t) => tierReaches(t, degree, policy)) ?? null;
}

/**
 * The cheapest tier a member on `current` may move to and be granted InMail credits at once: a start
 * (from free) or a change to a larger monthly amount; `null` when none does.
 */
export function cheapestTierWithCredits(current: Tier, policy: Policy): Tier | null {
  const m = policy.inmailMonthlyCredits;
  const grants = (t: Tier) => m[t] > 0 && (current === 'free' || m[t] > m[current]);
  return TIERS.find(grants) ?? null;
}

/** The cheapest paid tier (paid tiers have no note limit). */
export function cheapestPaidTier(): Tier {
  return TIERS.find((t) => t !== 'free')!;
}

/**
 * Credits the member can spend now (DOMAIN.md 5): the whole balance while a paid tier lasts; on a
 * free or lapsed tier only the purchased part.
 */
export function spendableCredits(member: TierHolder, balance: number, now: Date, purchased = 0): number {
  return Math.max(0, isPremium(member, now) ? balance : Math.min(balance, purchased));
}
