/** Builders for fact snapshots: a plain default world, overridden per row. */
import {
  DEFAULT_SETTINGS,
  quotaFacts,
  relationshipFacts,
  type Facts,
  type MemberFacts,
  type QuotaFacts,
  type RelationshipFacts,
  type Settings,
} from '../../src/policy/index.js';

/** A Monday in the middle of a month: 2025-03-12 12:00 UTC. */
export const NOW = new Date('2025-03-12T12:00:00.000Z');
export const NEXT_MONTH = '2025-04-01T00:00:00.000Z';
export const LATER = new Date('2026-01-01T00:00:00.000Z');
export const EARLIER = new Date('2024-01-01T00:00:00.000Z');

export const ago = (ms: number) => new Date(NOW.getTime() - ms);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

type MemberOver = Partial<Omit<MemberFacts, 'settings'>> & { settings?: Partial<Settings> };

export function person(over: MemberOver = {}): MemberFacts {
  const { settings, ...rest } = over;
  return {
    id: 'm1',
    handle: 'mia',
    kind: 'person',
    tier: 'free',
    tierUntil: null,
    status: 'active',
    settings: { ...DEFAULT_SETTINGS, ...settings },
    connectionCount: 10,
    ...rest,
  };
}

export function viewer(over: MemberOver = {}): MemberFacts {
  return person({ id: 'v1', handle: 'val', ...over });
}

export function page(over: MemberOver = {}): MemberFacts {
  return person({ id: 'p1', handle: 'acme', kind: 'page', connectionCount: 0, ...over });
}

/** A premium tier that runs well past NOW. */
export const paid = (tier: MemberFacts['tier']): MemberOver => ({ tier, tierUntil: LATER });
/** A premium tier that ended before NOW. */
export const lapsed = (tier: MemberFacts['tier']): MemberOver => ({ tier, tierUntil: EARLIER });

export interface FactsOver {
  viewer?: MemberOver;
  member?: MemberOver | null;
  memberIsPage?: boolean;
  rel?: Partial<RelationshipFacts>;
  quotas?: Partial<QuotaFacts>;
}

/** The default world: two active free persons, out of network, nothing between them. */
export function facts(over: FactsOver = {}): Facts {
  const member = over.member === null ? null : over.memberIsPage ? page(over.member ?? {}) : person(over.member ?? {});
  return {
    viewer: viewer(over.viewer ?? {}),
    member,
    relationship: relationshipFacts(over.rel ?? {}),
    quotas: quotaFacts(over.quotas ?? {}),
  };
}

/** The facts of viewer looking at themself. */
export function selfFacts(over: FactsOver = {}): Facts {
  const f = facts(over);
  return { ...f, member: { ...f.viewer } };
}

export const HIDDEN = { allowed: false, reason: 'recipient_unavailable', unlock: [] };
