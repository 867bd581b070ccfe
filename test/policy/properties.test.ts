/**
 * Properties over random worlds (fast-check): what must hold for every snapshot of facts,
 * not only for the rows of the tables.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allNotificationsOn,
  applicableChannels,
  DEFAULT_SETTINGS,
  decideBlock,
  decideAcceptInvitation,
  isHidden,
  isSelf,
  decideFollow,
  decideIgnoreRequest,
  decideInvitation,
  decideMessage,
  decideProfile,
  decideReply,
  REASONS,
  TIERS,
  type Channel,
  type ConversationFacts,
  type Decision,
  type Facts,
  type MemberFacts,
  type MessageAttempt,
  type RelationshipFacts,
  type Settings,
  type Tier,
} from '../../src/policy/index.js';
import { REASON_HTTP_STATUS } from '../../src/http/refusals.js';
import { DAY, HOUR, HIDDEN, NOW } from './fixtures.js';

const RUNS = { numRuns: 400 };
const CAP = 30000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

const settingsArb: fc.Arbitrary<Settings> = fc.record({
  primaryAction: fc.constantFrom('connect', 'message', 'follow'),
  messageRequests: fc.constantFrom('on', 'off'),
  openProfile: fc.boolean(),
  acceptInMail: fc.boolean(),
  messagesFrom: fc.constantFrom('anyone', 'shared_connections', 'connections'),
  profileVisibility: fc.constantFrom('everyone', 'network', 'connections'),
  readReceipts: fc.boolean(),
  typingIndicators: fc.boolean(),
  openTo: fc.record({ jobs: fc.boolean(), mentoring: fc.boolean() }),
  requestFilters: fc.record({ newAccounts: fc.boolean(), noSharedConnections: fc.boolean(), notFollowed: fc.boolean() }),
  notifications: fc.constant(allNotificationsOn()),
});
const tierArb = fc.constantFrom<Tier>(...TIERS);
const untilArb = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -400, max: 400 }).map((d) => at(d * DAY)),
);
const statusArb = fc.constantFrom<MemberFacts['status']>('active', 'active', 'active', 'restricted', 'deactivated', 'closed');

const memberArb = (id: string, status = statusArb): fc.Arbitrary<MemberFacts> =>
  fc.record({
    id: fc.constant(id),
    handle: fc.constant(`h-${id}`),
    kind: fc.constantFrom<MemberFacts['kind']>('person', 'person', 'person', 'page'),
    tier: tierArb,
    tierUntil: untilArb,
    status,
    settings: settingsArb,
    connectionCount: fc.constantFrom(0, 10, CAP - 1, CAP),
    bulkFlagged: fc.boolean(),
  });

const channelArb = fc.constantFrom<Channel>('direct', 'open_profile', 'tier_reach', 'group', 'open_inbox', 'page', 'inmail');
const conversationArb: fc.Arbitrary<ConversationFacts | null> = fc.option(
  fc.record({
    state: fc.constantFrom<ConversationFacts['state']>('open', 'request'),
    startedBy: fc.constantFrom<ConversationFacts['startedBy']>('viewer', 'member'),
    channel: channelArb,
    followUps: fc.integer({ min: 0, max: 2, accepted: false }),
  }),
);
/** true about one time in eight. */
const rarely = fc.oneof({ arbitrary: fc.constant(false), weight: 7 }, { arbitrary: fc.constant(true), weight: 1 });
const maybeAgo = (maxMs: number) => fc.option(fc.integer({ min: 0, max: maxMs }).map((ms) => at(-ms)));

const relArb: fc.Arbitrary<RelationshipFacts> = fc.record({
  degree: fc.constantFrom<RelationshipFacts['degree']>(1, 2, 3, null),
  invitation: fc.constantFrom<RelationshipFacts['invitation']>(null, null, { direction: 'sent' }, { direction: 'received' }),
  blockedByViewer: rarely,
  blockedByMember: rarely,
  sharedGroups: fc.integer({ min: 0, max: 2 }),
  conversation: conversationArb,
  lastWithdrawnAt: maybeAgo(30 * DAY),
  lastUnblockedAt: maybeAgo(72 * HOUR),
  introductions: fc.array(fc.array(fc.constantFrom('ann', 'bo', 'cy'), { minLength: 1, maxLength: 2 }), { maxLength: 2 }),
});

const quotasArb = fc.record({
  invitationsLast7Days: fc.constantFrom(0, 99, 100),
  oldestInvitationLast7DaysAt: maybeAgo(7 * DAY),
  notesThisMonth: fc.constantFrom(0, 4, 5),
  idkReportsLast90Days: fc.constantFrom(0, 4, 5),
  messagesLastMinute: fc.constantFrom(0, 29, 30),
  oldestMessageLastMinuteAt: maybeAgo(60_000),
  nonConnectionConversationsThisMonth: fc.constantFrom(0, 99, 100),
  groupConversationsThisMonth: fc.constantFrom(0, 14, 15),
  inmailBalance: fc.constantFrom(0, 1, 7),
});

/** Mostly plausible worlds: blocks and inactive members are less common than not. */
const factsArb = (viewerStatus = statusArb): fc.Arbitrary<Facts> =>
  fc.record({
    viewer: memberArb('v', viewerStatus),
    member: fc.option(memberArb('m'), { freq: 12 }),
    relationship: relArb,
    quotas: quotasArb,
  });

const attemptArb: fc.Arbitrary<MessageAttempt> = fc.record(
  {
    channel: fc.constant('inmail' as const),
    body: fc.constantFrom('hi', 'x'.repeat(1901), 'x'.repeat(8001)),
    subject: fc.option(fc.constantFrom('s', 's'.repeat(201))),
  },
  { requiredKeys: [] },
);

/** Every decision the engine makes for one world. */
function allDecisions(f: Facts, attempt: MessageAttempt = {}): Record<string, Decision> {
  const p = decideProfile(f, NOW);
  return {
    message: decideMessage(f, attempt, NOW),
    messagePlain: decideMessage(f, { ...attempt, channel: undefined }, NOW),
    reply: decideReply(f, attempt, NOW),
    followUp: decideReply(f, attempt, NOW),
    invitation: decideInvitation(f, { note: 'hello' }, NOW),
    invitationBare: decideInvitation(f, {}, NOW),
    follow: decideFollow(f, NOW),
    accept: decideAcceptInvitation(f, NOW),
    block: decideBlock(f, NOW),
    ...Object.fromEntries(Object.entries(p.actions).map(([k, d]) => [`profile.${k}`, d])),
  };
}

const withViewerTier = (f: Facts, tier: Tier, tierUntil: Date | null): Facts => ({ ...f, viewer: { ...f.viewer, tier, tierUntil } });

describe('properties', () => {
  it('a credit cost appears only when channel inmail was asked for, and then only on channel inmail', () => {
    fc.assert(
      fc.property(factsArb(), attemptArb, (f, attempt) => {
        for (const [name, d] of Object.entries(allDecisions(f, attempt))) {
          if (d.cost === undefined) continue;
          expect(['message', 'profile.inmail']).toContain(name);
          expect(attempt.channel === 'inmail' || name === 'profile.inmail').toBe(true);
          expect(d).toMatchObject({ allowed: true, channel: 'inmail', cost: { inmailCredits: 1 } });
        }
        expect(decideMessage(f, { body: attempt.body }, NOW).cost).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('a higher tier never loses a channel (nor a permission) a lower tier has', () => {
    fc.assert(
      fc.property(factsArb(), attemptArb, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), (f, attempt, i, j) => {
        const [lo, hi] = [TIERS[Math.min(i, j)]!, TIERS[Math.max(i, j)]!];
        const low = withViewerTier(f, lo, null);
        const high = withViewerTier(f, hi, null);
        const lowChannels = applicableChannels(low, NOW);
        const highChannels = applicableChannels(high, NOW);
        for (const ch of lowChannels) expect(highChannels).toContain(ch);
        const a = allDecisions(low, attempt);
        const b = allDecisions(high, attempt);
        for (const k of Object.keys(a)) if (a[k]!.allowed) expect(b[k]!.allowed, k).toBe(true);
      }),
      RUNS,
    );
  });

  it('a lapsed tier decides exactly like free (viewer and member alike)', () => {
    fc.assert(
      fc.property(factsArb(), attemptArb, tierArb, fc.integer({ min: 0, max: 400 }), (f, attempt, tier, daysAgo) => {
        const ended = at(-daysAgo * DAY);
        const lapsed: Facts = { ...withViewerTier(f, tier, ended) };
        const free: Facts = { ...withViewerTier(f, 'free', null) };
        if (f.member) {
          lapsed.member = { ...f.member, tier, tierUntil: ended };
          free.member = { ...f.member, tier: 'free', tierUntil: null };
        }
        expect(allDecisions(lapsed, attempt)).toStrictEqual(allDecisions(free, attempt));
        expect(decideProfile(lapsed, NOW).primaryAction).toBe(decideProfile(free, NOW).primaryAction);
        expect(applicableChannels(lapsed, NOW)).toEqual(applicableChannels(free, NOW));
      }),
      RUNS,
    );
  });

  it('the hidden states are indistinguishable: unknown, blocked either way, deactivated, closed', () => {
    const hide: ((f: Facts) => Facts)[] = [
      (f) => ({ ...f, member: null }),
      (f) => ({ ...f, relationship: { ...f.relationship, blockedByViewer: true } }),
      (f) => ({ ...f, relationship: { ...f.relationship, blockedByMember: true } }),
      (f) => ({ ...f, member: f.member && { ...f.member, status: 'deactivated' } }),
      (f) => ({ ...f, member: f.member && { ...f.member, status: 'closed' } }),
    ];
    fc.assert(
      fc.property(factsArb(), factsArb(), attemptArb, fc.constantFrom(...hide.keys()), fc.constantFrom(...hide.keys()), (f1, f2, attempt, h1, h2) => {
        // same viewer, two unrelated worlds behind the veil
        const w1 = hide[h1]!({ ...f1, member: f1.member && { ...f1.member, id: 'm' } });
        const w2 = hide[h2]!({ ...f2, viewer: f1.viewer, quotas: f2.quotas, member: f2.member && { ...f2.member, id: 'm' } });
        const d1 = allDecisions(w1, attempt);
        const d2 = allDecisions(w2, attempt);
        expect(JSON.stringify(d1)).toBe(JSON.stringify(d2));
        expect(decideProfile(w1, NOW).primaryAction).toBe('none');
        expect(applicableChannels(w1, NOW)).toEqual([]);
        if (f1.viewer.status === 'active') for (const d of Object.values(d1)) expect(d).toStrictEqual(HIDDEN);
      }),
      RUNS,
    );
  });

  it('no decision is allowed for a restricted or inactive sender', () => {
    fc.assert(
      fc.property(factsArb(fc.constantFrom('restricted', 'deactivated', 'closed')), attemptArb, (f, attempt) => {
        const ds = allDecisions(f, attempt);
        for (const [name, d] of Object.entries(ds)) {
          // blocking is a safety tool; following and accepting are not sending (DOMAIN.md 1)
          if (['block', 'follow', 'accept', 'profile.follow'].includes(name) && f.viewer.status === 'restricted') continue;
          // inviting back is accepting (a visible member's invitation to the viewer)
          const received = f.relationship.invitation?.direction === 'received' && !isHidden(f) && !isSelf(f);
          if (['invitation', 'invitationBare', 'profile.connect'].includes(name) && f.viewer.status === 'restricted' && received) continue;
          expect(d.allowed, name).toBe(false);
          expect(d.reason, name).toBe(f.viewer.status === 'restricted' ? 'sender_restricted' : 'sender_inactive');
          expect(d.unlock).toEqual([]);
        }
        if (f.viewer.status !== 'restricted') expect(decideIgnoreRequest(f.viewer).reason).toBe('sender_inactive');
      }),
      RUNS,
    );
  });

  it('every decision is well-formed: a known reason with a status; allowed ⇔ ok; denials carry no channel', () => {
    fc.assert(
      fc.property(factsArb(), attemptArb, (f, attempt) => {
        for (const d of [...Object.values(allDecisions(f, attempt)), decideIgnoreRequest(f.viewer)]) {
          expect(REASONS).toContain(d.reason);
          expect(REASON_HTTP_STATUS[d.reason]).toBeGreaterThanOrEqual(200);
          expect(d.allowed).toBe(d.reason === 'ok');
          if (d.allowed) expect(d.unlock).toEqual([]);
          else expect(d.channel ?? d.delivery ?? d.cost).toBeUndefined();
          for (const u of d.unlock) if (u.kind === 'wait') expect(Date.parse(u.until)).toBeGreaterThanOrEqual(NOW.getTime());
        }
      }),
      RUNS,
    );
  });

  it('decisions are pure: the facts are not mutated and the same facts give the same answer', () => {
    fc.assert(
      fc.property(factsArb(), attemptArb, (f, attempt) => {
        const before = structuredClone(f);
        const a = allDecisions(f, attempt);
        expect(f).toEqual(before);
        expect(allDecisions(f, attempt)).toStrictEqual(a);
      }),
      { numRuns: 100 },
    );
  });
});

it('DEFAULT_SETTINGS is frozen', () => {
  expect(Object.isFrozen(DEFAULT_SETTINGS)).toBe(true);
});
