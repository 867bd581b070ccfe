/**
 * InMail credits (DOMAIN.md 1 and 5): a ledger with two pools. Tier credits are granted when a paid
 * tier starts, when it is upgraded to a larger monthly amount, and on the 1st of each month UTC while
 * it lasts, each grant capped at `inmailRolloverMonths` months' worth of the current tier (a balance
 * already above the cap is kept). Purchased credits are never capped and never expire. Spends use
 * tier credits first; a lapsed tier spends only purchased credits; a refund returns to its pool.
 */
import type { Policy, Tier } from './policy.js';
import { effectiveTier, isPremium, type TierHolder } from './tier.js';
import { DAY_MS, startOfNextMonthUTC } from './time.js';
import { INMAIL_COST } from './types.js';

export type CreditPool = 'tier' | 'purchased';

/** The most tier credits a grant tops up to: `inmailRolloverMonths` months' worth of the tier. */
export function inmailBalanceCap(tier: Tier, policy: Policy): number {
  return policy.inmailMonthlyCredits[tier] * policy.inmailRolloverMonths;
}

/**
 * The tier pool after a grant at `now`: the tier's monthly credits added, up to the rollover cap. A
 * balance already above the cap (from a bigger tier) is kept, never cut; a free or lapsed member is
 * granted nothing.
 */
export function grantInmailCredits(member: TierHolder, tierBalance: number, now: Date, policy: Policy): number {
  const tier = effectiveTier(member, now);
  const granted = Math.min(tierBalance + policy.inmailMonthlyCredits[tier], inmailBalanceCap(tier, policy));
  return Math.max(tierBalance, granted);
}

/**
 * The grant a change of subscription makes at `now`: `start` when a paid tier starts (the member was
 * free or lapsed), `upgrade` when the new tier's monthly amount is larger, `null` for a renewal, a
 * downgrade, or a change that leaves the member free.
 */
export function tierChangeGrant(before: TierHolder, after: TierHolder, now: Date, policy: Policy): 'start' | 'upgrade' | null {
  const was = effectiveTier(before, now);
  const next = effectiveTier(after, now);
  if (next === 'free' || policy.inmailMonthlyCredits[next] <= 0) return null;
  if (was === 'free') return 'start';
  return policy.inmailMonthlyCredits[next] > policy.inmailMonthlyCredits[was] ? 'upgrade' : null;
}

/**
 * The monthly grants due between `since` (exclusive: the subscription has been as it is since then)
 * and `now` (inclusive): the 1st of each month UTC at which the tier was paid.
 */
export function monthlyGrantDates(member: TierHolder, since: Date, now: Date): Date[] {
  const out: Date[] = [];
  for (let m = startOfNextMonthUTC(since); m.getTime() <= now.getTime(); m = startOfNextMonthUTC(m)) {
    if (isPremium(member, m)) out.push(m);
    else break; // a lapsed tier stays lapsed until the subscription changes
  }
  return out;
}

/** The pool a spend draws from: tier credits first while the tier lasts, then purchased; `null` when none. */
export function spendPool(member: TierHolder, pools: { tier: number; purchased: number }, now: Date): CreditPool | null {
  if (isPremium(member, now) && pools.tier >= INMAIL_COST) return 'tier';
  if (pools.purchased >= INMAIL_COST) return 'purchased';
  return null;
}

/** Credits that come back for an InMail: its cost when the recipient replied within `inmailRefundDays`. */
export function inmailRefund(sentAt: Date, repliedAt: Date | null, policy: Policy): number {
  if (repliedAt === null) return 0;
  const elapsed = repliedAt.getTime() - sentAt.getTime();
  return elapsed >= 0 && elapsed <= policy.inmailRefundDays * DAY_MS ? INMAIL_COST : 0;
}
