/**
 * Warm introductions (DOMAIN.md 11): A asks a 1st-degree connection B to introduce them to one of
 * B's connections C (so C is 2nd degree to A). B forwards (C gets a message request from A on
 * channel `introduction`, showing B as the introducer) or declines; an unanswered ask expires.
 */
import type { Facts, MemberFacts } from '../../../src/policy/facts.js';
import { exhausted, longerThan, waitNextMonth, waitUntil } from './limits.js';
import { connectUnlock } from './message.js';
import { DEFAULT_POLICY, type Policy } from '../../../src/policy/policy.js';
import { decideWith, firstDenial, isHidden, SENDER_RULES, TARGET_RULES, type Ctx, type DenialRule } from './rules.js';
import { DAY_MS } from './time.js';
import { allow, type Decision, type Unlock } from './types.js';
import { mayIntroduceThrough } from '../../../src/policy/visibility.js';

/** DOMAIN.md 11's fixed numbers (API.md gives them no policy key): 3 declines in 30 days pause asks for 90 days. */
export const INTRODUCTION_DECLINES_TO_PAUSE = 3;
export const INTRODUCTION_DECLINE_WINDOW_MS = 30 * DAY_MS;
export const INTRODUCTION_PAUSE_MS = 90 * DAY_MS;

/** What the service counts for an ask, beyond the facts from A (viewer) to C (member). */
export interface AskFacts {
  /** B as A sees them; null when unknown or hidden from A. */
  via: MemberFacts | null;
  /** B is connected to A, and B is connected to C. */
  viaConnectedToViewer: boolean;
  viaConnectedToMember: boolean;
  /** B's degree from A's side and B's profileVisibility decide whether B may be named at all. */
  viaDegree: 1 | 2 | 3 | null;
  /** An ask from A about C is open (asked, not expired). */
  openAsk: boolean;
  /** Asks A made this calendar month (UTC). */
  asksThisMonth: number;
  /** When B declined asks from A, newest last (the last 120 days are enough). */
  declinesByVia: Date[];
  /** Other mutual connections of A and C that A could ask instead (handles), for the unlock. */
  otherVias: string[];
}

interface AskCtx extends Ctx {
  ask: AskFacts;
  note: string | null | undefined;
}

/** Until when B takes no asks from A: 90 days after the 3rd decline within 30 days; null when not paused. */
export function introductionsPausedUntil(declines: Date[], now: Date): Date | null {
  const sorted = [...declines].sort((a, b) => a.getTime() - b.getTime());
  let until: Date | null = null;
  for (let i = INTRODUCTION_DECLINES_TO_PAUSE - 1; i < sorted.length; i++) {
    const first = sorted[i - (INTRODUCTION_DECLINES_TO_PAUSE - 1)];
    const last = sorted[i];
    if (last.getTime() - first.getTime() <= INTRODUCTION_DECLINE_WINDOW_MS) {
      const end = new Date(last.getTime() + INTRODUCTION_PAUSE_MS);
      if (end.getTime() > now.getTime() && (until === null || end > until)) until = end;
    }
  }
  return until;
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
const otherPaths = (c: AskCtx): Unlock[] => (ownRequestWaits(c) ? [] : c.ask.otherVias.map((h) => ({ kind: 'introduction', via: [h] })));

export const ASK_RULES: readonly DenialRule<AskCtx>[] = [
  { reason: 'already_connected', when: (c) => c.rel.degree === 1 },
  // a forward is a new conversation with a non-connection, which a bulk flag stops (DOMAIN.md 5)
  { reason: 'bulk_flagged', when: (c) => c.viewer.bulkFlagged === true, unlock: connectUnlock },
  // only a 2nd-degree member, through a 1st-degree connection who is connected to them
  { reason: 'not_in_reach', when: (c) => c.rel.degree !== 2 || !viaOk(c), unlock: otherPaths },
  { reason: 'recipient_settings', when: (c) => c.member.settings.messagesFrom === 'connections' },
  { reason: 'note_too_long', when: (c) => longerThan(c.note, c.policy.noteMaxChars) },
  // (added after the freeze, with the engine: A's own request to C still waits for an answer)
  { reason: 'awaiting_response', when: (c) => ownRequestWaits(c) },
  { reason: 'awaiting_response', when: (c) => c.ask.openAsk },
  {
    reason: 'introductions_paused',
    when: (c) => introductionsPausedUntil(c.ask.declinesByVia, c.now) !== null,
    unlock: (c) => [waitUntil(introductionsPausedUntil(c.ask.declinesByVia, c.now)!), ...otherPaths(c)],
  },
  {
    reason: 'monthly_limit',
    when: (c) => exhausted(c.ask.asksThisMonth, c.policy.introductionsPerMonth),
    unlock: (c) => waitNextMonth(c.now),
  },
];

/**
 * May A (viewer) ask B (`ask.via`) for an introduction to C (member)? Order: A not active
 * (restricted members send nothing), self and C hidden (`recipient_unavailable`), then ASK_RULES:
 * C already a connection, A flagged for bulk messaging, C not 2nd degree or B not a mutual connection A may see (`not_in_reach`,
 * with the other mutuals as unlocks), C's settings, the note's size, one open ask per (A, C),
 * B's pause after declines, the monthly limit.
 */
export function decideIntroductionAsk(facts: Facts, ask: AskFacts, note: string | null | undefined, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return decideWith(facts, now, policy, [...SENDER_RULES, ...TARGET_RULES], (c) => firstDenial(ASK_RULES, { ...c, ask, note }) ?? allow());
}

/** What the service knows when B acts on an ask. */
export interface ForwardFacts {
  /** The ask is B's, still asked (not declined, forwarded or expired). */
  open: boolean;
  /** B is still connected to C. */
  viaConnectedToMember: boolean;
  /** A and C as B sees them (hidden: blocked either way with B, deactivated, closed). */
  askerHidden: boolean;
  targetHidden: boolean;
}

/**
 * May B forward an ask (facts from B to C)? B not deactivated or closed; the ask vanishes (404, as
 * `recipient_unavailable`) when A or C no longer exists for B; B must still be connected to C.
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
    if (!fwd.viaConnectedToMember) return { allowed: false, reason: 'not_in_reach', unlock: [] };
    if (longerThan(note, c.policy.noteMaxChars)) return { allowed: false, reason: 'note_too_long', unlock: [] };
    return allow();
  });
}

/**
 * How the forwarded introduction reaches C (facts from A to C): the message denials that guard C
 * (A not active, C hidden, C's "who may message me"), then channel `introduction`, always a request
 * (tier reach plays no part; C accepts or ignores it like any request).
 */
export function decideIntroductionDelivery(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return decideWith(facts, now, policy, [...SENDER_RULES, ...TARGET_RULES], (c) => {
    const from = c.member.settings.messagesFrom;
    const d = c.rel.degree;
    if ((from === 'connections' && d !== 1) || (from === 'shared_connections' && d !== 1 && d !== 2))
      return { allowed: false, reason: 'recipient_settings', unlock: [] };
    if (ownRequestWaits(c)) return { allowed: false, reason: 'awaiting_response', unlock: [] };
    // the forward starts a conversation with a non-connection: a bulk flag and the monthly number stop it
    if (c.rel.conversation === null && d !== 1) {
      if (c.viewer.bulkFlagged === true) return { allowed: false, reason: 'bulk_flagged', unlock: connectUnlock(c) };
      if (exhausted(c.quotas.nonConnectionConversationsThisMonth, c.policy.nonConnectionConversationsPerMonth))
        return { allowed: false, reason: 'monthly_limit', unlock: [...waitNextMonth(c.now), ...connectUnlock(c)] };
    }
    return allow({ channel: 'introduction', delivery: d === 1 || c.rel.conversation?.accepted === true ? 'inbox' : 'request' });
  });
}

/** (Added after the freeze, with the engine.) The viewer's own request to the member, not accepted, between non-connections. */
export function ownRequestWaits(c: Pick<Ctx, 'rel'>): boolean {
  const conv = c.rel.conversation;
  return conv !== null && conv.state === 'request' && !conv.accepted && c.rel.degree !== 1 && conv.startedBy === 'viewer';
}
