/** Blocking (DOMAIN.md 6) and ignoring requests (DOMAIN.md 5, pages). */
import type { Facts, MemberFacts } from './facts.js';
import { waitCooldown } from './limits.js';
import { DEFAULT_POLICY, type Policy } from './policy.js';
import { ACTOR_TARGET_RULES, decideWith, firstDenial, isInactive, type Ctx, type DenialRule } from './rules.js';
import { HOUR_MS, within } from './time.js';
import { allow, type Decision } from './types.js';

const reblockMs = (c: Ctx) => c.policy.reblockCooldownHours * HOUR_MS;

/** A request the member sent to the viewer and the viewer has not accepted. */
const pendingRequestFromMember = (c: Ctx) => c.rel.conversation?.state === 'request' && c.rel.conversation.startedBy === 'member';

export const BLOCK_RULES: readonly DenialRule<Ctx>[] = [
  { reason: 'pages_cannot_ignore', when: (c) => c.viewer.kind === 'page' && pendingRequestFromMember(c) },
  {
    reason: 'reblock_cooldown',
    when: (c) => within(c.rel.lastUnblockedAt, reblockMs(c), c.now),
    unlock: (c) => waitCooldown(c.rel.lastUnblockedAt, reblockMs(c), c.now),
  },
];

/**
 * May the viewer block the member? Order: viewer deactivated or closed (`sender_inactive`),
 * `self`, `recipient_unavailable` (also when the viewer already blocks them: the member no longer
 * exists for the viewer; the service may answer an already-existing block idempotently before
 * asking), a page blocking the sender of a pending request to it (`pages_cannot_ignore`), then
 * `reblock_cooldown` until `reblockCooldownHours` after the viewer last unblocked that member.
 * A restricted member may block (it is a safety tool, not sending).
 */
export function decideBlock(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return decideWith(facts, now, policy, ACTOR_TARGET_RULES, (c) => firstDenial(BLOCK_RULES, c) ?? allow());
}

export const IGNORE_RULES: readonly DenialRule<MemberFacts>[] = [
  { reason: 'sender_inactive', when: isInactive },
  { reason: 'pages_cannot_ignore', when: (m) => m.kind === 'page' },
];

/**
 * May the recipient of a message request ignore it? A page's requests cannot be ignored
 * (`pages_cannot_ignore`): they stay until an admin accepts or deletes them. A deactivated or
 * closed recipient gets `sender_inactive`; a restricted one may ignore.
 */
export function decideIgnoreRequest(recipient: MemberFacts): Decision {
  return firstDenial(IGNORE_RULES, recipient) ?? allow();
}

/**
 * Whether a received request the recipient deleted comes back with the sender's next message
 * (DOMAIN.md 5). A member's delete is an ignore: gone for them, the sender told nothing, still seeing
 * it pending, and their follow-up reaches no one. A page's requests cannot be ignored: an admin's
 * delete takes it out of the page's folders, the sender may write again (their follow-up is theirs
 * again) and that message brings the thread back to the page's requests as a new request (as an
 * ignore, it swallowed every later message: found by two members).
 */
export function deletedRequestReturns(recipient: Pick<MemberFacts, 'kind'>): boolean {
  return recipient.kind === 'page';
}

/**
 * What stays gone for a side that had ignored (or, a page, deleted) a request when the thread comes
 * back to it with message `returnsAt` (DOMAIN.md 5: an ignored request is deleted for its
 * recipient): the messages from the request's first (`requestFrom`, that side's
 * `conversation_members.request_from`) up to the one that brings it back. What came before the
 * request, their own messages and a conversation they had taken part in, stays theirs (found by a
 * reviewer: a single lower bound either cut those or brought the ignored request back). A request
 * whose first message is not known: everything before.
 */
export function deletedOnReturn(requestFrom: number | null, returnsAt: number): readonly [from: number | null, to: number] {
  return [requestFrom, returnsAt];
}
