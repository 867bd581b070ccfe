/**
 * Warm introductions (DOMAIN.md 11): A asks a 1st-degree connection B to introduce them to one of
 * B's connections C (so C is 2nd degree to A). B forwards (C gets a message request from A on
 * channel `introduction`, showing B as the introducer) or declines; an unanswered ask expires.
 */
import type { AskState, Facts, MemberFacts } from './facts.js';
import { ASK_STATE_RULES } from './asks.js';
import { longerThan } from './limits.js';
import { connectUnlock, NEW_CONVERSATION_RULES, ownRequestPending } from './message.js';
import { DEFAULT_POLICY, type Policy } from './policy.js';
import { decideWith, firstDenial, isHidden, SENDER_RULES, SENDER_TARGET_RULES, type Ctx, type DenialRule } from './rules.js';
import { DAY_MS } from './time.js';
import { allow, type Decision, type Unlock } from './types.js';
import { mayIntroduceThrough } from './visibility.js';

export { INTRODUCTION_DECLINES_TO_PAUSE, INTRODUCTION_DECLINE_WINDOW_MS, INTRODUCTION_PAUSE_MS, introductionsPausedUntil } from './asks.js';

/** What the service counts for an ask, beyond the facts from A (viewer) to C (member). */
export interface AskFacts extends AskState {
  /** B as A sees them; null when unknown or hidden from A. */
  via: MemberFacts | null;
  /** B is connected to A, and B is connected to C. */
  viaConnectedToViewer: boolean;
  viaConnectedToMember: boolean;
  /** B's degree from A's side and B's profileVisibility decide whether B may be named at all. */
  viaDegree: 1 | 2 | 3 | null;
  /** Other mutual connections of A and C that A could ask instead (handles), for the unlock. */
  otherVias: string[];
}

interface AskCtx extends Ctx {
  ask: AskFacts;
  note: string | null | undefined;
}

/** An ask is open for `introductionExpiryDays`; then it reads as not forwarded. */
export function introductionExpired(createdAt: Date, now: Date, policy: Policy): boolean {
  return now.getTime() >= createdAt.getTime() + policy.introductionExpiryDays * DAY_MS;
}

/** The instant before which (inclusive) an ask has expired by `now` (the same rule, for a query). */
export function introductionExpiryCutoff(now: Date, policy: Policy): Date {
  return new Date(now.getTime() - policy.introductionExpiryDays * DAY_MS);
}

const viaOk = (c: AskCtx) =>
  c.ask.via !== null && c.ask.viaConnectedToViewer && c.ask.viaConnectedToMember && mayIntroduceThrough(c.ask.via.settings.profileVisibility, c.ask.viaDegree);

// none while A's own request to C waits: an ask through any of them would be refused (found by a reviewer)
const otherPaths = (c: AskCtx): Unlock[] => (ownRequestPending(c) ? [] : c.ask.otherVias.map((h) => ({ kind: 'introduction', via: [h] })));

export const ASK_RULES: readonly DenialRule<AskCtx>[] = [
  { reason: 'already_connected', when: (c) => c.rel.degree === 1 },
  // a forward is a new conversation with a non-connection, which a bulk flag stops (DOMAIN.md 5)
  { reason: 'bulk_flagged', when: (c) => c.viewer.bulkFlagged === true, unlock: connectUnlock },
  // only a 2nd-degree member, through a 1st-degree connection who is connected to them
  { reason: 'not_in_reach', when: (c) => c.rel.degree !== 2 || !viaOk(c), unlock: otherPaths },
  { reason: 'recipient_settings', when: (c) => c.member.settings.messagesFrom === 'connections' },
  { reason: 'note_too_long', when: (c) => longerThan(c.note, c.policy.noteMaxChars) },
  // A's own request to C still waits for an answer: an introduction would bring it back past the
  // one follow-up (DOMAIN.md 5; found by a member)
  { reason: 'awaiting_response', when: (c) => ownRequestPending(c) },
  // then the asker's own asks: one open ask per (A, C), B's pause after declines, the monthly limit
  ...ASK_STATE_RULES,
];

/**
 * May A (viewer) ask B (`ask.via`) for an introduction to C (member)? Order: A not active
 * (restricted members send nothing), self and C hidden (`recipient_unavailable`), then ASK_RULES:
 * C already a connection, A flagged for bulk messaging, C not 2nd degree or B not a mutual connection A may see (`not_in_reach`,
 * with the other mutuals as unlocks), C's settings, the note's size, A's own request to C waiting, one open ask per (A, C),
 * B's pause after declines, the monthly limit.
 */
export function decideIntroductionAsk(facts: Facts, ask: AskFacts, note: string | null | undefined, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return decideWith(facts, now, policy, SENDER_TARGET_RULES, (c) => firstDenial(ASK_RULES, { ...c, ask, note }) ?? allow());
}

/** What the service knows when B acts on an ask. */
export interface ForwardFacts {
  /** The ask is B's, still asked (not declined, forwarded or expired). */
  open: boolean;
  /** B is still connected to C. */
  viaConnectedToMember: boolean;
  /** B is still connected to A (DOMAIN.md 11: B is A's 1st-degree connection; found by a member: A had removed B). */
  viaConnectedToAsker: boolean;
  /** A and C as B sees them (hidden: blocked either way with B, deactivated, closed). */
  askerHidden: boolean;
  targetHidden: boolean;
}

/**
 * May B forward an ask (facts from B to C)? B not restricted (a forward carries B's note to C, and a
 * restricted member may not send messages: DOMAIN.md 1; declining stays open to them), deactivated
 * or closed; the ask vanishes (404, as `recipient_unavailable`) when A or C no longer exists for B;
 * B must still be connected to C, and to A.
 */
export function decideIntroductionForward(
  facts: Facts,
  fwd: ForwardFacts,
  note: string | null | undefined,
  now: Date,
  policy: Policy = DEFAULT_POLICY,
): Decision {
  return decideWith(facts, now, policy, SENDER_RULES, (c) => {
    if (fwd.askerHidden || fwd.targetHidden || isHidden(facts)) return { allowed: false, reason: 'recipient_unavailable', unlock: [] };
    if (!fwd.viaConnectedToMember || !fwd.viaConnectedToAsker) return { allowed: false, reason: 'not_in_reach', unlock: [] };
    if (longerThan(note, c.policy.noteMaxChars)) return { allowed: false, reason: 'note_too_long', unlock: [] };
    return allow();
  });
}

/**
 * How the forwarded introduction reaches C (facts from A to C): the message denials that guard C
 * (A not active, C hidden, C's "who may message me"), the limits on A starting a conversation with
 * a non-connection (a bulk flag, the monthly number: the forward starts one, found by a reviewer),
 * then channel `introduction`, always a request (tier reach plays no part; C accepts or ignores it
 * like any request).
 */
export function decideIntroductionDelivery(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return decideWith(facts, now, policy, SENDER_TARGET_RULES, (c) => {
    const from = c.member.settings.messagesFrom;
    const d = c.rel.degree;
    if ((from === 'connections' && d !== 1) || (from === 'shared_connections' && d !== 1 && d !== 2))
      return { allowed: false, reason: 'recipient_settings', unlock: [] };
    // A wrote to C while the ask was open and waits for an answer: the forward would be more than one follow-up
    if (ownRequestPending(c)) return { allowed: false, reason: 'awaiting_response', unlock: [] };
    const limited = firstDenial(NEW_CONVERSATION_RULES, { ...c, newNonConnection: c.rel.conversation === null && d !== 1 });
    if (limited) return limited;
    return allow({ channel: 'introduction', delivery: d === 1 || c.rel.conversation?.accepted === true ? 'inbox' : 'request' });
  });
}

/**
 * A delivery refused for what only A and the operators may know (A restricted, flagged, at their
 * monthly limit; A's own request to C waiting; A and C hidden from each other): to B the forward reads as any other, and nothing
 * reaches C (DOMAIN.md 1, 6, 11). Other refusals (C's "who may message me") are B's answer.
 */
export function forwardReadsAsDone(d: Decision): boolean {
  return (
    !d.allowed &&
    (d.reason === 'sender_restricted' ||
      d.reason === 'recipient_unavailable' ||
      d.reason === 'bulk_flagged' ||
      d.reason === 'monthly_limit' ||
      d.reason === 'awaiting_response')
  );
}
