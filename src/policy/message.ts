/**
 * Who may message whom (DOMAIN.md 5): the denials in order, the first free channel, the delivery,
 * and InMail only when the sender asks for it.
 */
import type { ConversationFacts, Facts, MessageAttempt } from './facts.js';
import { askStatePasses } from './asks.js';
import { decideInvitation } from './invitation.js';
import { exhausted, MESSAGE_RATE_WINDOW_MS, messageTooLong, waitNextMonth, waitWindow } from './limits.js';
import { DEFAULT_POLICY, type Policy } from './policy.js';
import { startOfNextMonthUTC } from './time.js';
import { context, firstDenial, SENDER_TARGET_RULES, TARGET_RULES, type Ctx, type DenialRule } from './rules.js';
import { cheapestTierReaching, cheapestTierWithCredits, effectiveTier, spendableCredits, tierRank, tierReaches } from './tier.js';
import { INMAIL_COST, type Channel, type Decision, type Delivery, type Unlock } from './types.js';

/** One free channel: it applies when `applies` holds. */
export interface ChannelRule {
  channel: Exclude<Channel, 'inmail'>;
  applies: (c: Ctx) => boolean;
}

const groupQuotaLeft = (c: Ctx) => !exhausted(c.quotas.groupConversationsThisMonth, c.policy.groupConversationsPerMonth);

/**
 * The viewer writes back into a thread the member started that landed in the viewer's inbox (an
 * InMail, Open Profile, an open inbox) and that is not accepted yet: that reply lets the member in
 * (DOMAIN.md 5.1), so it travels as `direct`. A request must be accepted first (`request_not_accepted`).
 * Not a thread begun between connections (its channel `direct`): it carries no channel of its own,
 * so once the two are not connected, writing into it needs a channel like a first message.
 */
const repliesInto = (conv: ConversationFacts | null) =>
  conv !== null && !conv.accepted && conv.startedBy === 'member' && conv.state === 'open' && conv.channel !== 'direct';
const isReply = (c: Ctx) => repliesInto(c.rel.conversation);

/** This message accepts the conversation (DOMAIN.md 5.1): a reply while the two are not connected. */
export function replyAccepts(facts: Facts): boolean {
  return facts.relationship.degree !== 1 && repliesInto(facts.relationship.conversation);
}

/**
 * DOMAIN.md 5.1: a thread not accepted that the two write in while connected is a thread between
 * connections (its channel becomes `direct`): a request or an InMail it began as is no reply
 * channel once they are not.
 */
export function becomesBetweenConnections(facts: Facts, channel: Channel): boolean {
  const conv = facts.relationship.conversation;
  return facts.relationship.degree === 1 && channel === 'direct' && conv !== null && !conv.accepted && conv.channel !== 'direct';
}

/** DOMAIN.md 5.1: the pair is connected, or the conversation is accepted (or this reply accepts it). */
const directApplies = (c: Ctx) => c.rel.degree === 1 || c.rel.conversation?.accepted === true || isReply(c);

/**
 * The free channels in DOMAIN.md 5 order; the first that applies carries the message.
 * `page` stands before the person channels: a new conversation with a page is always a request.
 */
export const CHANNEL_RULES: readonly ChannelRule[] = [
  { channel: 'direct', applies: directApplies },
  { channel: 'page', applies: (c) => c.member.kind === 'page' },
  // the member's effective tier is in the context (isPremium(member, now), computed once)
  { channel: 'open_profile', applies: (c) => c.memberTier !== 'free' && c.member.settings.openProfile },
  { channel: 'tier_reach', applies: (c) => tierReaches(c.viewerTier, c.rel.degree, c.policy) },
  // The group quota counts new conversations: a message in an existing thread does not use it.
  { channel: 'group', applies: (c) => c.rel.sharedGroups > 0 && (c.rel.conversation !== null || groupQuotaLeft(c)) },
  { channel: 'open_inbox', applies: (c) => c.member.settings.messageRequests === 'off' },
];

/** Where each channel lands: channels 3 to 5 follow the recipient's message-requests setting. */
export const DELIVERY: Readonly<Record<Channel, (c: Ctx) => Delivery>> = {
  direct: () => 'inbox',
  page: () => 'request',
  open_profile: () => 'inbox',
  tier_reach: (c) => (c.member.settings.messageRequests === 'on' ? 'request' : 'inbox'),
  group: (c) => (c.member.settings.messageRequests === 'on' ? 'request' : 'inbox'),
  open_inbox: () => 'inbox',
  inmail: () => 'inbox',
  introduction: () => 'request',
};

/** How a message would travel: a follow-up, a free channel, or a new InMail (which has a cost). */
export interface Route {
  channel: Channel;
  delivery: Delivery;
  inmail: boolean;
}

export interface MessageCtx extends Ctx {
  attempt: MessageAttempt;
  /** A pending request between non-connections: the viewer's own, or the member's to the viewer. */
  pending: 'own' | 'theirs' | null;
  /** No conversation yet and not 1st degree: the new-conversation limits apply. */
  newNonConnection: boolean;
  route: Route | null;
}

/**
 * All free channels that apply to a new message (in order), whatever the denials: the channels
 * the viewer's position opens. Empty for oneself and for a member who does not exist for the viewer.
 */
export function applicableChannels(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): Channel[] {
  if (firstDenial(TARGET_RULES, { facts, now, policy })) return [];
  return channelsOf(context(facts, now, policy));
}

function channelsOf(c: Ctx): Channel[] {
  return CHANNEL_RULES.filter((r) => r.applies(c)).map((r) => r.channel);
}

/**
 * The viewer's own request to the member waits for an answer (one they ignored looks so to the
 * viewer): an ask about them is refused (`awaiting_response`) and no introduction is offered, for an
 * introduction would bring the request back past the follow-up rule (found by a member).
 */
export function ownRequestPending(c: Ctx): boolean {
  return pendingOf(c) === 'own';
}

function pendingOf(c: Ctx): MessageCtx['pending'] {
  const conv = c.rel.conversation;
  if (conv === null || conv.state !== 'request' || conv.accepted || c.rel.degree === 1) return null;
  return conv.startedBy === 'viewer' ? 'own' : 'theirs';
}

/**
 * The first free channel that applies now, else an InMail when asked. A message in a thread that is
 * not accepted takes whatever channel applies now (DOMAIN.md 5.1), follow-ups included.
 */
function routeOf(c: Ctx, attempt: MessageAttempt): Route | null {
  for (let i = 0; i < CHANNEL_RULES.length; i++) {
    const free = CHANNEL_RULES[i];
    if (free.applies(c)) return { channel: free.channel, delivery: DELIVERY[free.channel](c), inmail: false };
  }
  if (attempt.channel === 'inmail') return { channel: 'inmail', delivery: 'inbox', inmail: true };
  return null;
}

/**
 * The recipient's "who may message me" setting applies to every message except in a conversation
 * they accepted (acceptance holds whatever either side's settings say later), a reply to a thread
 * they started on a channel of its own (one begun between connections has none: writing into it is
 * like a first message), and messages to pages.
 */
function settingsApply(c: MessageCtx): boolean {
  if (c.member.kind === 'page') return false;
  const conv = c.rel.conversation;
  return conv === null || (!conv.accepted && (conv.startedBy === 'viewer' || conv.channel === 'direct'));
}

function settingsAllow(c: Ctx): boolean {
  const from = c.member.settings.messagesFrom;
  const d = c.rel.degree;
  if (from === 'connections') return d === 1;
  if (from === 'shared_connections') return d === 1 || d === 2;
  return true;
}

/** `connect`, when an invitation (without a note) would be allowed now (decided once per context). */
export function connectUnlock(c: Ctx): Unlock[] {
  return addConnect(c, []);
}

// The unlock builders below append to the list they are given (and answer it): one array per denial.

function addConnect(c: Ctx, out: Unlock[]): Unlock[] {
  if (c.connectable === undefined) c.connectable = decideInvitation(c.facts, {}, c.now, c.policy).allowed;
  if (c.connectable) out.push({ kind: 'connect' });
  return out;
}

/** `upgrade` to the cheapest tier whose reach covers the member, when it is above the viewer's. */
function addUpgrade(c: Ctx, out: Unlock[]): Unlock[] {
  const tier = cheapestTierReaching(c.rel.degree, c.policy);
  if (tier !== null && tierRank(tier) > tierRank(c.viewerTier)) out.push({ kind: 'upgrade', tier });
  return out;
}

function addInmail(c: Ctx, out: Unlock[]): Unlock[] {
  if (c.member.settings.acceptInMail) out.push({ kind: 'inmail', credits: INMAIL_COST });
  return out;
}

function addIntroductions(c: Ctx, out: Unlock[]): Unlock[] {
  const d = c.rel.degree;
  if ((d !== 2 && d !== 3) || (d === 2 && ownRequestPending(c))) return out;
  const paths = c.rel.introductions;
  const asks = c.rel.introductionAsks;
  for (let i = 0; i < paths.length; i++) {
    // a way in only if asking its first step would not be refused by the asker's own asks (found by a member)
    if (asks?.[i] !== undefined && !askStatePasses(c, asks[i])) continue;
    out.push({ kind: 'introduction', via: paths[i].slice() });
  }
  return out;
}

/** Every way to reach a member no free channel reaches: upgrade, InMail, connect, introductions. */
function addReach(c: Ctx, out: Unlock[]): Unlock[] {
  return addIntroductions(c, addConnect(c, addInmail(c, addUpgrade(c, out))));
}

/**
 * Ways to get an InMail credit: the next monthly grant, when the tier still lasts on the 1st (one
 * ending before it grants nothing then: found by a reviewer), or a tier whose start or upgrade grants them now.
 */
function creditUnlocks(c: Ctx): Unlock[] {
  const then = effectiveTier(c.viewer, startOfNextMonthUTC(c.now));
  if (then !== 'free' && c.policy.inmailMonthlyCredits[then] > 0) return waitNextMonth(c.now);
  const tier = cheapestTierWithCredits(effectiveTier(c.viewer, c.now), c.policy);
  return tier === null ? [] : [{ kind: 'upgrade', tier }];
}

const newInmail = (c: MessageCtx) => c.route?.inmail === true;

/**
 * The limits on starting a conversation with a non-connection (DOMAIN.md 5: a bulk flag stops
 * them, and the monthly number), for a message and for a forwarded introduction alike.
 */
export const NEW_CONVERSATION_RULES: readonly DenialRule<Ctx & { newNonConnection: boolean }>[] = [
  { reason: 'bulk_flagged', when: (c) => c.newNonConnection && c.viewer.bulkFlagged === true, unlock: connectUnlock },
  {
    reason: 'monthly_limit',
    when: (c) => c.newNonConnection && exhausted(c.quotas.nonConnectionConversationsThisMonth, c.policy.nonConnectionConversationsPerMonth),
    unlock: (c) => addConnect(c, waitNextMonth(c.now)),
  },
];

/**
 * The message denials after sender, self and visibility, in DOMAIN.md order: the recipient's
 * setting; the request rules; the size and rate limits; the new-conversation limits; reach; and,
 * for an explicit InMail, acceptance and credits.
 */
export const MESSAGE_RULES: readonly DenialRule<MessageCtx>[] = [
  { reason: 'recipient_settings', when: (c) => settingsApply(c) && !settingsAllow(c), unlock: connectUnlock },
  { reason: 'request_not_accepted', when: (c) => c.pending === 'theirs' },
  { reason: 'too_long', when: (c) => messageTooLong(c.attempt, newInmail(c), c.policy) },
  {
    reason: 'rate_limited',
    when: (c) => exhausted(c.quotas.messagesLastMinute, c.policy.messagesPerMinute),
    unlock: (c) => waitWindow(c.quotas.oldestMessageLastMinuteAt, MESSAGE_RATE_WINDOW_MS),
  },
  {
    reason: 'awaiting_response',
    when: (c) => c.pending === 'own' && exhausted(c.rel.conversation!.followUps, c.policy.followUpsWhilePending),
  },
  ...NEW_CONVERSATION_RULES,
  {
    // The group channel would carry it but its monthly quota is used up.
    reason: 'monthly_limit',
    when: (c) => c.route === null && c.rel.sharedGroups > 0 && !groupQuotaLeft(c),
    unlock: (c) => addReach(c, waitNextMonth(c.now)),
  },
  { reason: 'not_in_reach', when: (c) => c.route === null, unlock: (c) => addReach(c, []) },
  {
    reason: 'inmail_not_accepted',
    when: (c) => newInmail(c) && !c.member.settings.acceptInMail,
    unlock: (c) => addIntroductions(c, addConnect(c, addUpgrade(c, []))),
  },
  {
    reason: 'no_inmail_credits',
    when: (c) => newInmail(c) && spendableCredits(c.viewer, c.quotas.inmailBalance, c.now, c.quotas.inmailPurchased) < INMAIL_COST,
    unlock: (c) => addIntroductions(c, addConnect(c, addUpgrade(c, creditUnlocks(c)))),
  },
];

/**
 * May the viewer send this message to the member (DOMAIN.md 5)? One function for the profile's
 * button, the "why can't I message X?" answer and the send itself.
 *
 * Order: sender not active (`sender_restricted`, `sender_inactive`), `self`,
 * `recipient_unavailable`, then MESSAGE_RULES. When allowed: the first free channel of
 * CHANNEL_RULES (or the follow-up's channel on the viewer's own pending request) with its delivery;
 * only when no free channel applies and `attempt.channel === 'inmail'`, channel `inmail` with
 * `cost: { inmailCredits: 1 }`. A free channel always wins over an InMail asked for: a credit is
 * spent only when nothing free reaches the member.
 */
export function decideMessage(facts: Facts, attempt: MessageAttempt, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return messageDecision(facts, attempt, now, policy, undefined);
}

/**
 * decideMessage, with `connectable` (whether the connect decision on the same facts, `now` and
 * policy is allowed) when the caller has it already: a profile decides `connect` first and hands it
 * to its two message decisions, so their unlocks do not decide it again.
 */
export function messageDecision(facts: Facts, attempt: MessageAttempt, now: Date, policy: Policy, connectable: boolean | undefined): Decision {
  const denied = firstDenial(SENDER_TARGET_RULES, { facts, now, policy });
  if (denied) return denied;
  // the member is visible here (TARGET_RULES passed); the context is built field by field (no spread)
  const member = facts.member!;
  const rel = facts.relationship;
  const ctx: MessageCtx = {
    facts,
    viewer: facts.viewer,
    member,
    rel,
    quotas: facts.quotas,
    now,
    policy,
    viewerTier: effectiveTier(facts.viewer, now),
    memberTier: effectiveTier(member, now),
    connectable,
    attempt,
    pending: null,
    newNonConnection: rel.conversation === null && rel.degree !== 1,
    route: null,
  };
  ctx.pending = pendingOf(ctx);
  ctx.route = routeOf(ctx, attempt);
  const refused = firstDenial(MESSAGE_RULES, ctx);
  if (refused) return refused;
  const route = ctx.route!;
  const d: Decision = { allowed: true, reason: 'ok', unlock: [] };
  d.channel = route.channel;
  d.delivery = route.delivery;
  if (route.inmail) d.cost = { inmailCredits: INMAIL_COST };
  return d;
}

/**
 * A message into the existing conversation with the member (`POST /v1/conversations/:id/messages`):
 * the message decision without InMail: writing into a thread never spends a credit, and when only an
 * InMail would reach the member it is refused with the inmail unlock (DOMAIN.md 5). The recipient of
 * a pending request cannot write before accepting (`request_not_accepted`); the sender of one may
 * send `followUpsWhilePending` follow-ups (`awaiting_response`).
 */
export function decideReply(facts: Facts, attempt: Omit<MessageAttempt, 'channel'>, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return decideMessage(facts, { body: attempt.body, subject: attempt.subject }, now, policy);
}
