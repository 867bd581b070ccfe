/**
 * Who may message whom (DOMAIN.md 5): the denials in order, the first free channel, the delivery,
 * and InMail only when the sender asks for it.
 */
import type { ConversationFacts, Facts, MessageAttempt } from '../../../src/policy/facts.js';
import { introductionsPausedUntil } from './introduction.js';
import { decideInvitation } from './invitation.js';
import { exhausted, messageTooLong, waitNextMonth, waitWindow } from './limits.js';
import { DEFAULT_POLICY, type Policy } from '../../../src/policy/policy.js';
import { context, decideWith, firstDenial, SENDER_RULES, TARGET_RULES, type Ctx, type DenialRule } from './rules.js';
import { cheapestTierReaching, cheapestTierWithCredits, effectiveTier, isPremium, spendableCredits, tierRank, tierReaches } from './tier.js';
import { MINUTE_MS, startOfNextMonthUTC } from './time.js';
import { allow, INMAIL_COST, type Channel, type Decision, type Delivery, type Unlock } from './types.js';

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

/** DOMAIN.md 5.1: the pair is connected, or the conversation is accepted (or this reply accepts it). */
const directApplies = (c: Ctx) => c.rel.degree === 1 || c.rel.conversation?.accepted === true || isReply(c);

/**
 * The free channels in DOMAIN.md 5 order; the first that applies carries the message.
 * `page` stands before the person channels: a new conversation with a page is always a request.
 */
export const CHANNEL_RULES: readonly ChannelRule[] = [
  { channel: 'direct', applies: directApplies },
  { channel: 'page', applies: (c) => c.member.kind === 'page' },
  { channel: 'open_profile', applies: (c) => isPremium(c.member, c.now) && c.member.settings.openProfile },
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
  const free = CHANNEL_RULES.find((r) => r.applies(c));
  if (free) return { channel: free.channel, delivery: DELIVERY[free.channel](c), inmail: false };
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

/** `connect`, when an invitation (without a note) would be allowed now. */
export function connectUnlock(c: Ctx): Unlock[] {
  return decideInvitation(c.facts, {}, c.now, c.policy).allowed ? [{ kind: 'connect' }] : [];
}

/** `upgrade` to the cheapest tier whose reach covers the member, when it is above the viewer's. */
function upgradeUnlock(c: Ctx): Unlock[] {
  const tier = cheapestTierReaching(c.rel.degree, c.policy);
  return tier !== null && tierRank(tier) > tierRank(c.viewerTier) ? [{ kind: 'upgrade', tier }] : [];
}

function inmailUnlock(c: Ctx): Unlock[] {
  return c.member.settings.acceptInMail ? [{ kind: 'inmail', credits: INMAIL_COST }] : [];
}

function introductionUnlocks(c: Ctx): Unlock[] {
  const d = c.rel.degree;
  if (d !== 2 && d !== 3) return [];
  // (added after the freeze, with the engine) no introduction while the viewer's own request to a 2nd-degree member waits
  if (d === 2 && pendingOf(c) === 'own') return [];
  // a path only when an ask to its first step would pass the asker's own-ask rules (DOMAIN.md 11)
  const askable = (i: number) => {
    const s = c.rel.introductionAsks?.[i];
    return (
      s === undefined ||
      (!s.openAsk && introductionsPausedUntil(s.declinesByVia, c.now) === null && !exhausted(s.asksThisMonth, c.policy.introductionsPerMonth))
    );
  };
  return c.rel.introductions.flatMap((via, i) => (askable(i) ? [{ kind: 'introduction' as const, via: [...via] }] : []));
}

/** Every way to reach a member no free channel reaches: upgrade, InMail, connect, introductions. */
function reachUnlocks(c: Ctx): Unlock[] {
  return [...upgradeUnlock(c), ...inmailUnlock(c), ...connectUnlock(c), ...introductionUnlocks(c)];
}

/** Ways to get an InMail credit: the next monthly grant, or a tier that grants credits. */
function creditUnlocks(c: Ctx): Unlock[] {
  // the next grant comes on the 1st only to a tier that still lasts then
  const first = startOfNextMonthUTC(c.now);
  if (isPremium(c.viewer, first) && c.policy.inmailMonthlyCredits[effectiveTier(c.viewer, first)] > 0) return waitNextMonth(c.now);
  const tier = cheapestTierWithCredits(effectiveTier(c.viewer, c.now), c.policy);
  return tier === null ? [] : [{ kind: 'upgrade', tier }];
}

const newInmail = (c: MessageCtx) => c.route?.inmail === true;

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
    unlock: (c) => waitWindow(c.quotas.oldestMessageLastMinuteAt, MINUTE_MS),
  },
  {
    reason: 'awaiting_response',
    when: (c) => c.pending === 'own' && exhausted(c.rel.conversation!.followUps, c.policy.followUpsWhilePending),
  },
  { reason: 'bulk_flagged', when: (c) => c.newNonConnection && c.viewer.bulkFlagged === true, unlock: connectUnlock },
  {
    reason: 'monthly_limit',
    when: (c) => c.newNonConnection && exhausted(c.quotas.nonConnectionConversationsThisMonth, c.policy.nonConnectionConversationsPerMonth),
    unlock: (c) => [...waitNextMonth(c.now), ...connectUnlock(c)],
  },
  {
    // The group channel would carry it but its monthly quota is used up.
    reason: 'monthly_limit',
    when: (c) => c.route === null && c.rel.sharedGroups > 0 && !groupQuotaLeft(c),
    unlock: (c) => [...waitNextMonth(c.now), ...reachUnlocks(c)],
  },
  { reason: 'not_in_reach', when: (c) => c.route === null, unlock: reachUnlocks },
  {
    reason: 'inmail_not_accepted',
    when: (c) => newInmail(c) && !c.member.settings.acceptInMail,
    unlock: (c) => [...upgradeUnlock(c), ...connectUnlock(c), ...introductionUnlocks(c)],
  },
  {
    reason: 'no_inmail_credits',
    when: (c) => newInmail(c) && spendableCredits(c.viewer, c.quotas.inmailBalance, c.now, c.quotas.inmailPurchased) < INMAIL_COST,
    unlock: (c) => [...creditUnlocks(c), ...upgradeUnlock(c), ...connectUnlock(c), ...introductionUnlocks(c)],
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
  return decideWith(facts, now, policy, [...SENDER_RULES, ...TARGET_RULES], (c) => {
    const pending = pendingOf(c);
    const ctx: MessageCtx = {
      ...c,
      attempt,
      pending,
      newNonConnection: c.rel.conversation === null && c.rel.degree !== 1,
      route: routeOf(c, attempt),
    };
    const denied = firstDenial(MESSAGE_RULES, ctx);
    if (denied) return denied;
    const route = ctx.route!;
    return allow({
      channel: route.channel,
      delivery: route.delivery,
      ...(route.inmail ? { cost: { inmailCredits: INMAIL_COST } } : {}),
    });
  });
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
