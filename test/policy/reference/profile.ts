/** The profile's primary button and its four action decisions (DOMAIN.md 4). */
import type { Facts } from '../../../src/policy/facts.js';
import { decideFollow } from './follow.js';
import { decideInvitation } from './invitation.js';
import { decideMessage } from './message.js';
import { DEFAULT_POLICY, type Policy } from '../../../src/policy/policy.js';
import { isHidden, isSelf } from './rules.js';
import type { MemberFacts } from '../../../src/policy/facts.js';
import type { PrimaryAction, ProfileActions } from './types.js';

export interface PrimaryCtx {
  facts: Facts;
  member: MemberFacts;
  policy: Policy;
}

/** One row of DOMAIN.md 4: the first row whose `when` holds gives the button. */
export interface PrimaryRule {
  action: PrimaryAction;
  when: (c: PrimaryCtx) => boolean;
}

const atCap = (m: MemberFacts, p: Policy) => m.connectionCount >= p.connectionCap;

/** DOMAIN.md 4, steps 3 to 8 (steps 1 and 2, oneself and a hidden member, give `none`). */
export const PRIMARY_RULES: readonly PrimaryRule[] = [
  { action: 'message', when: (c) => c.facts.relationship.degree === 1 },
  { action: 'pending', when: (c) => c.facts.relationship.invitation?.direction === 'sent' },
  // Accept only when neither is at the cap (DOMAIN.md 4.4); otherwise the rules below apply.
  {
    action: 'accept',
    when: (c) => c.facts.relationship.invitation?.direction === 'received' && !atCap(c.facts.viewer, c.policy) && !atCap(c.member, c.policy),
  },
  { action: 'follow', when: (c) => c.member.kind === 'page' },
  { action: 'message', when: (c) => c.member.settings.primaryAction === 'message' },
  { action: 'follow', when: (c) => c.member.settings.primaryAction === 'follow' },
  { action: 'message', when: (c) => atCap(c.member, c.policy) },
  { action: 'follow', when: (c) => atCap(c.facts.viewer, c.policy) },
  { action: 'connect', when: () => true },
];

/**
 * The primary button of the member's profile as the viewer sees it (DOMAIN.md 4): `none` for
 * oneself and for a member who does not exist for the viewer (the service answers 404 then).
 * It does not depend on `now`: the tier plays no part in the button, only in the decisions.
 */
export function primaryAction(facts: Facts, policy: Policy = DEFAULT_POLICY): PrimaryAction {
  const member = facts.member;
  if (member === null || isSelf(facts) || isHidden(facts)) return 'none';
  return PRIMARY_RULES.find((r) => r.when({ facts, member, policy }))!.action;
}

/**
 * The four action decisions of a Profile: `connect` (an invitation without a note), `message`
 * (the free-channel decision; when no free channel applies its unlock lists the ways),
 * `inmail` (the message decision with InMail asked: cost 1 credit when only InMail reaches;
 * the free channel when one applies) and `follow`.
 */
export function profileActions(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): ProfileActions {
  return {
    connect: decideInvitation(facts, {}, now, policy),
    message: decideMessage(facts, {}, now, policy),
    inmail: decideMessage(facts, { channel: 'inmail' }, now, policy),
    follow: decideFollow(facts, now, policy),
  };
}

/** The primary button and the four actions together. */
export function decideProfile(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): { primaryAction: PrimaryAction; actions: ProfileActions } {
  return { primaryAction: primaryAction(facts, policy), actions: profileActions(facts, now, policy) };
}
