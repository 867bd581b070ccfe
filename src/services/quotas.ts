/** The caller's quotas as GET /v1/me shows them. Counts are derived from rows and `now`. */
import type { Deps } from './context.js';
import { currentTier, type MemberRecord } from './members.js';

export interface Quotas {
  inmailCredits: number;
  invitationsLeftThisWeek: number;
  /** null: no note limit (paid tiers) */
  notesLeftThisMonth: number | null;
}

export async function quotasOf(deps: Deps, m: MemberRecord, now: Date): Promise<Quotas> {
  const tier = currentTier(m, now);
  return {
    inmailCredits: 0,
    invitationsLeftThisWeek: deps.policy.invitationsPerWeek,
    notesLeftThisMonth: tier === 'free' ? deps.policy.notesPerMonthFree : null,
  };
}
