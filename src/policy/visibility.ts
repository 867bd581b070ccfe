/**
 * profileVisibility (DOMAIN.md 7), wherever a member appears: profile, search, suggestions,
 * invitations, mutual lists, group lists, conversations, introduction paths. `everyone` shows the
 * limited profile (name, headline, openTo, degree, mutual count) to every member; `network` only to
 * 1st-3rd degree; `connections` only to 1st degree. Outside it a viewer sees the name alone
 * (headline "", no openTo, mutual count null) and never gets the member as an introduction step.
 * Restriction is seen only by the member and operators (DOMAIN.md 1).
 */
import type { Degree, Settings } from './types.js';

/** Who looks: the member themself, an operator, or another member at a degree. */
export type Onlooker = { kind: 'self' } | { kind: 'operator' } | { kind: 'member'; degree: Degree };

/** The viewer sees the member's limited profile (headline, openTo, mutual count). */
export function seesLimitedProfile(visibility: Settings['profileVisibility'], who: Onlooker): boolean {
  if (who.kind !== 'member') return true;
  if (visibility === 'everyone') return true;
  if (visibility === 'network') return who.degree !== null;
  return who.degree === 1;
}

/** The member may be offered to the viewer as a step of an introduction path. */
export function mayIntroduceThrough(visibility: Settings['profileVisibility'], degree: Degree): boolean {
  return seesLimitedProfile(visibility, { kind: 'member', degree });
}

/** The restricted status shows only to the member and operators; others see `active`. */
export function seesRestriction(who: Onlooker): boolean {
  return who.kind !== 'member';
}
