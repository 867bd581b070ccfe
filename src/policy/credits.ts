/** InMail credits (DOMAIN.md 5): monthly grants with a rollover cap, refunds on a reply in time. */
import type { Policy, Tier } from './policy.js';
import { effectiveTier, type TierHolder } from './tier.js';
import { DAY_MS } from './time.js';
import { INMAIL_COST } from './types.js';

/** The most credits a tier may hold: `inmailRolloverMonths` months' worth. */
export function inmailBalanceCap(tier: Tier, policy: Policy): number {
  return policy.inmailMonthlyCredits[tier] * policy.inmailRolloverMonths;
}

/**
 * The balance after a grant (when the tier starts, then on the 1st of each month UTC): the
 * tier's monthly credits added, up to the rollover cap. A balance already above the cap (from a
 * bigger tier) is kept, never cut; a free or lapsed member is granted nothing.
 */
export function grantInmailCredits(member: TierHolder, balance: number, now: Date, policy: Policy): number {
  const tier = effectiveTier(member, now);
  const granted = Math.min(balance + policy.inmailMonthlyCredits[tier], inmailBalanceCap(tier, policy));
  return Math.max(balance, granted);
}

/** Credits that come back for an InMail: its cost when the recipient replied within `inmailRefundDays`. */
export function inmailRefund(sentAt: Date, repliedAt: Date | null, policy: Policy): number {
  if (repliedAt === null) return 0;
  const elapsed = repliedAt.getTime() - sentAt.getTime();
  return elapsed >= 0 && elapsed <= policy.inmailRefundDays * DAY_MS ? INMAIL_COST : 0;
}
