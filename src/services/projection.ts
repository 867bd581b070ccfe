/**
 * The one projection of a member as someone may see them (DOMAIN.md 1 and 7): every route and event
 * that returns a member goes through here. The policy decides (src/policy/visibility.ts); this
 * module only gathers the degree from the graph index and shapes API.md's Member.
 */
import { effectiveTier, seesLimitedProfile, seesRestriction, type Degree, type Onlooker } from '../policy/index.js';
import type { Deps } from './context.js';
import { apiStatus, type ApiMember, type MemberRecord } from './members.js';

export type { Onlooker };
export const SELF: Onlooker = { kind: 'self' };
export const OPERATOR: Onlooker = { kind: 'operator' };

/** How `viewerId` looks at `memberId` (the degree from the graph index unless given). */
export function onlooker(deps: Deps, viewerId: number, memberId: number, degree?: Degree): Onlooker {
  if (viewerId === memberId) return SELF;
  return { kind: 'member', degree: degree !== undefined ? degree : deps.graph.degree(viewerId, memberId) };
}

/** API.md Member as `who` may see `m`. */
export function memberAs(m: MemberRecord, who: Onlooker, now: Date): ApiMember {
  const status = apiStatus(m);
  return {
    id: String(m.id),
    handle: m.handle,
    kind: m.kind,
    name: m.name,
    headline: seesLimitedProfile(m.settings.profileVisibility, who) ? m.headline : '',
    tier: effectiveTier(m, now),
    status: status === 'restricted' && !seesRestriction(who) ? 'active' : status,
  };
}

/** API.md Member as `viewerId` sees `m`. */
export function memberFor(deps: Deps, viewerId: number, m: MemberRecord, now: Date, degree?: Degree): ApiMember {
  return memberAs(m, onlooker(deps, viewerId, m.id, degree), now);
}

/** Settings.openTo as `who` may see it: within the member's profileVisibility, or not at all (DOMAIN.md 7). */
export function openToAs(m: MemberRecord, who: Onlooker): { jobs: boolean; mentoring: boolean } | undefined {
  if (!seesLimitedProfile(m.settings.profileVisibility, who)) return undefined;
  return { jobs: m.settings.openTo.jobs, mentoring: m.settings.openTo.mentoring };
}

/** A blocks list shows handle and name only (DOMAIN.md 7). */
export function blockedEntry(m: MemberRecord): { handle: string; name: string } {
  return { handle: m.handle, name: m.name };
}
