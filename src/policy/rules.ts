/**
 * The machinery every decision shares: the context, ordered denial tables and the first stages
 * (who is acting, on whom) that all decisions run in the same order.
 */
import type { Facts, MemberFacts, QuotaFacts, RelationshipFacts } from './facts.js';
import type { Policy, Tier } from './policy.js';
import { effectiveTier } from './tier.js';
import { deny, recipientUnavailable, type Decision, type Reason, type Unlock } from './types.js';

/** A decision's inputs once the member is known to exist for the viewer. */
export interface Ctx {
  facts: Facts;
  viewer: MemberFacts;
  member: MemberFacts;
  rel: RelationshipFacts;
  quotas: QuotaFacts;
  now: Date;
  policy: Policy;
  /** Effective tiers (a lapsed tier is free), computed once per decision. */
  viewerTier: Tier;
  memberTier: Tier;
  /**
   * Whether an invitation without a note would be allowed now (the `connect` unlock): computed at
   * most once per decision, on the first denial that offers it, or handed in by a caller that has
   * the connect decision already (a profile).
   */
  connectable: boolean | undefined;
}

/** The first stages run before the member is known to be visible (`member` may be null). */
export interface Base {
  facts: Facts;
  now: Date;
  policy: Policy;
}

/** One row of an ordered denial table: the first row whose `when` holds decides. */
export interface DenialRule<C> {
  reason: Reason;
  when: (c: C) => boolean;
  unlock?: (c: C) => Unlock[];
}

/** Runs an ordered table; `null` when no row denies. Unlocks are built only for the row that denies. */
export function firstDenial<C>(rules: readonly DenialRule<C>[], c: C): Decision | null {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!rule.when(c)) continue;
    return rule.reason === 'recipient_unavailable' ? recipientUnavailable() : deny(rule.reason, rule.unlock === undefined ? [] : rule.unlock(c));
  }
  return null;
}

export function isInactive(m: Pick<MemberFacts, 'status'>): boolean {
  return m.status === 'deactivated' || m.status === 'closed';
}

/**
 * Whether a member exists for a viewer (DOMAIN.md 4.2, 6): not deactivated, not closed, and no block
 * between the two either way. The one rule every verb, listing, notification and stream frame asks
 * before it shows or acts on a member (`isHidden` is the same rule over a decision's facts); the
 * caller says whether a block stands between them (the graph index or the rows it read).
 */
export function memberExists(m: Pick<MemberFacts, 'status'>, blockedEitherWay: boolean): boolean {
  return !isInactive(m) && !blockedEitherWay;
}

/** The viewer and the member are the same member. */
export function isSelf(f: Facts): boolean {
  return f.member !== null && f.member.id === f.viewer.id;
}

/**
 * The member does not exist for the viewer (DOMAIN.md 4.2 and 5): unknown, blocked either way,
 * deactivated or closed. All these answer alike: `recipient_unavailable`, no unlock.
 */
export function isHidden(f: Facts): boolean {
  return f.member === null || !memberExists(f.member, f.relationship.blockedByViewer || f.relationship.blockedByMember);
}

/** Sender not active (DOMAIN.md 5, first denial): restricted, then deactivated or closed. */
export const SENDER_RULES: readonly DenialRule<Base>[] = [
  { reason: 'sender_restricted', when: (b) => b.facts.viewer.status === 'restricted' },
  { reason: 'sender_inactive', when: (b) => isInactive(b.facts.viewer) },
];

/** Only deactivated or closed actors are stopped (blocking and ignoring stay open to restricted members). */
export const ACTOR_RULES: readonly DenialRule<Base>[] = [{ reason: 'sender_inactive', when: (b) => isInactive(b.facts.viewer) }];

/** Acting on oneself, then on a member who does not exist for the viewer. */
export const TARGET_RULES: readonly DenialRule<Base>[] = [
  { reason: 'self', when: (b) => isSelf(b.facts) },
  { reason: 'recipient_unavailable', when: (b) => isHidden(b.facts) },
];

/** The first stages of sending (messages, invitations, introductions), as one table built once. */
export const SENDER_TARGET_RULES: readonly DenialRule<Base>[] = [...SENDER_RULES, ...TARGET_RULES];
/** The first stages of the actions a restricted member may take (follow, block, accept), built once. */
export const ACTOR_TARGET_RULES: readonly DenialRule<Base>[] = [...ACTOR_RULES, ...TARGET_RULES];

/**
 * Runs the first stages (`pre`, on the possibly-unknown member) and then, with the member known,
 * `decide`. Every decision function is built this way.
 */
export function decideWith(facts: Facts, now: Date, policy: Policy, pre: readonly DenialRule<Base>[], decide: (c: Ctx) => Decision): Decision {
  const denied = firstDenial(pre, { facts, now, policy });
  if (denied) return denied;
  return decide(context(facts, now, policy));
}

/** The context of a decision on a visible member. */
export function context(facts: Facts, now: Date, policy: Policy): Ctx {
  /* v8 ignore next -- callers check visibility first */
  if (facts.member === null) throw new Error('policy: context needs a member');
  return {
    facts,
    viewer: facts.viewer,
    member: facts.member,
    rel: facts.relationship,
    quotas: facts.quotas,
    now,
    policy,
    viewerTier: effectiveTier(facts.viewer, now),
    memberTier: effectiveTier(facts.member, now),
    connectable: undefined,
  };
}
