/** The caller's quotas as GET /v1/me shows them. Counts are derived from rows and `now`. */
import type { Deps } from './context.js';
import { quotasOfViewer } from './facts.js';
import { effectiveTier } from '../policy/tier.js';
import type { MemberRecord } from './members.js';

export interface Quotas {
  inmailCredits: number;
  purchasedCredits: number;
  invitationsLeftThisWeek: number;
  /** null: no note limit (paid tiers) */
  notesLeftThisMonth: number | null;
}

export async function quotasOf(deps: Deps, m: MemberRecord, now: Date): Promise<Quotas> {
  const q = await quotasOfViewer(deps, deps.store.db, m, now);
  const tier = effectiveTier(m, now);
  return {
    inmailCredits: q.inmailBalance,
    purchasedCredits: q.inmailPurchased,
    invitationsLeftThisWeek: Math.max(0, deps.policy.invitationsPerWeek - q.invitationsLast7Days),
    notesLeftThisMonth: tier === 'free' ? Math.max(0, deps.policy.notesPerMonthFree - q.notesThisMonth) : null,
  };
}
