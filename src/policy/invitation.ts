/** Invitations (DOMAIN.md 2 and 3): who may invite whom, with which note, how often. */
import type { Facts, InvitationAttempt } from './facts.js';
import { exhausted, hasNote, INVITATION_WINDOW_MS, longerThan, waitCooldown, waitNextMonth, waitWindow } from './limits.js';
import { DEFAULT_POLICY, type Policy } from './policy.js';
import { ACTOR_TARGET_RULES, decideWith, firstDenial, isHidden, isSelf, SENDER_TARGET_RULES, type Ctx, type DenialRule } from './rules.js';
import { cheapestPaidTier, effectiveTier } from './tier.js';
import { DAY_MS, within } from './time.js';
import { allow, type Decision } from './types.js';

export interface InvitationCtx extends Ctx {
  attempt: InvitationAttempt;
  /** The member already invited the viewer: inviting back connects them at once (an acceptance). */
  accepting: boolean;
}

const atCap = (count: number, c: Ctx) => count >= c.policy.connectionCap;

/**
 * The invitation denials after sender, self and visibility, in order. Once the member's own
 * invitation is waiting (`accepting`), only the caps and the note's size still apply: inviting back
 * is accepting, which spends no quota and has no cooldown.
 */
export const INVITATION_RULES: readonly DenialRule<InvitationCtx>[] = [
  { reason: 'pages_cannot_invite', when: (c) => c.viewer.kind === 'page' || c.member.kind === 'page' },
  { reason: 'already_connected', when: (c) => c.rel.degree === 1 },
  { reason: 'invitation_pending', when: (c) => c.rel.invitation?.direction === 'sent' },
  { reason: 'connection_cap', when: (c) => atCap(c.viewer.connectionCount, c), unlock: () => [{ kind: 'remove_connection' }] },
  { reason: 'recipient_connection_cap', when: (c) => atCap(c.member.connectionCount, c) },
  { reason: 'note_too_long', when: (c) => longerThan(c.attempt.note, c.policy.noteMaxChars) },
  {
    reason: 'withdraw_cooldown',
    when: (c) => !c.accepting && within(c.rel.lastWithdrawnAt, c.policy.withdrawCooldownDays * DAY_MS, c.now),
    unlock: (c) => waitCooldown(c.rel.lastWithdrawnAt, c.policy.withdrawCooldownDays * DAY_MS, c.now),
  },
  {
    reason: 'email_required',
    when: (c) => !c.accepting && exhausted(c.quotas.idkReportsLast90Days, c.policy.idkReportsToRequireEmail) && c.attempt.emailMatches !== true,
  },
  {
    reason: 'weekly_invitation_limit',
    when: (c) => !c.accepting && exhausted(c.quotas.invitationsLast7Days, c.policy.invitationsPerWeek),
    unlock: (c) => waitWindow(c.quotas.oldestInvitationLast7DaysAt, INVITATION_WINDOW_MS),
  },
  {
    reason: 'note_limit',
    when: (c) => !c.accepting && hasNote(c.attempt.note) && c.viewerTier === 'free' && exhausted(c.quotas.notesThisMonth, c.policy.notesPerMonthFree),
    unlock: (c) => [{ kind: 'upgrade', tier: cheapestPaidTier() }, ...waitNextMonth(c.now)],
  },
];

/**
 * May the viewer invite the member (DOMAIN.md 3)? Order: sender not active, self, member
 * unavailable, then INVITATION_RULES. When the member has a pending invitation to the viewer the
 * answer `ok` means "connect at once" (the service accepts that invitation instead).
 * The profile's `actions.connect` is this decision with no note.
 */
export function decideInvitation(facts: Facts, attempt: InvitationAttempt, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  // Inviting back is accepting, which a restricted member may do (DOMAIN.md 1): only the actor rules then.
  const accepting = facts.relationship.invitation?.direction === 'received' && !isHidden(facts) && !isSelf(facts);
  const denied = firstDenial(accepting ? ACTOR_TARGET_RULES : SENDER_TARGET_RULES, { facts, now, policy });
  if (denied) return denied;
  // the member is visible here (TARGET_RULES passed); the context is built field by field (no spread)
  const member = facts.member!;
  const ctx: InvitationCtx = {
    facts,
    viewer: facts.viewer,
    member,
    rel: facts.relationship,
    quotas: facts.quotas,
    now,
    policy,
    viewerTier: effectiveTier(facts.viewer, now),
    memberTier: effectiveTier(member, now),
    connectable: undefined,
    attempt,
    accepting,
  };
  return firstDenial(INVITATION_RULES, ctx) ?? allow();
}

/** Accepting: the viewer's cap (its unlock is always `remove_connection`), then the inviter's. */
export const ACCEPT_RULES: readonly DenialRule<Ctx>[] = [
  { reason: 'connection_cap', when: (c) => atCap(c.viewer.connectionCount, c), unlock: () => [{ kind: 'remove_connection' }] },
  { reason: 'recipient_connection_cap', when: (c) => atCap(c.member.connectionCount, c) },
];

/**
 * May the viewer accept the member's invitation (DOMAIN.md 1 and 4.4)? A restricted member may
 * accept (restriction stops sending, not answering); a deactivated or closed one may not
 * (`sender_inactive`); then self, a member who does not exist for the viewer, and the caps.
 */
export function decideAcceptInvitation(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return decideWith(facts, now, policy, ACTOR_TARGET_RULES, (c) => firstDenial(ACCEPT_RULES, c) ?? allow());
}
