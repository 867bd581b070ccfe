/** Tiers as the rules see them (DOMAIN.md 1 and 5): lapsed tiers are free, reach, credits. */
import { TIERS, type Policy, type Tier } from './policy.js';
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
  if (degree === null) return null;
  const reach = policy.tierReach;
  for (let i = 0; i < TIERS.length; i++) if (degree <= reach[TIERS[i]]) return TIERS[i];
  return null;
}

/**
 * The cheapest tier whose move from `current` (the member's tier now) grants InMail credits at once
 * (DOMAIN.md 5): from free (or a lapsed tier) any tier with a monthly amount starts; from a paid tier
 * only a tier with a larger monthly amount, as tierChangeGrant grants (a renewal or a downgrade grants nothing: offering one
 * was an unlock that unlocked nothing, found by a member); `null` when none does.
 */
export function cheapestTierWithCredits(current: Tier, policy: Policy): Tier | null {
  const credits = policy.inmailMonthlyCredits;
  for (let i = 0; i < TIERS.length; i++) {
    const t = TIERS[i];
    if (credits[t] > 0 && (current === 'free' || credits[t] > credits[current])) return t;
  }
  return null;
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
