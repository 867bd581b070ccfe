/**
 * Issue 17: the decisions were made fast (no rule tables allocated per call, no unlock lists built
 * to test a rule, the connect decision computed once per profile, tiers and dates computed once).
 * The speed must change no outcome: on random worlds, every decision of src/policy equals, field for
 * field and in its JSON bytes (key order included), the one of the frozen copy of the engine as it
 * was before (test/policy/reference/, the files of main at ce50ca5 with their imports redirected).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as now from '../../src/policy/index.js';
import type { ConversationFacts, Facts, InvitationAttempt, MemberFacts, MessageAttempt, Policy, RelationshipFacts, Settings } from '../../src/policy/index.js';
import * as block from './reference/block.js';
import * as follow from './reference/follow.js';
import * as introduction from './reference/introduction.js';
import * as invitation from './reference/invitation.js';
import * as message from './reference/message.js';
import * as profile from './reference/profile.js';

const RUNS = { numRuns: Number(process.env.REFERENCE_RUNS ?? 3000) };
const NOW = new Date('2025-03-12T12:00:00.000Z');
const DAY = 86_400_000;
const CAP = 30000;

/** Instants around the month's turn and mid-month, so the `wait` dates vary. */
const nowArb = fc.constantFrom(NOW, new Date('2025-01-31T23:59:59.999Z'), new Date('2024-12-31T23:00:00.000Z'), new Date('2025-02-28T00:00:00.000Z'));

const policyArb: fc.Arbitrary<Policy> = fc.constantFrom(
  now.DEFAULT_POLICY,
  now.resolvePolicy({ tierReach: { free: 2, career: 3, business: 3, sales_navigator: 3 }, connectionCap: 10 }),
  now.resolvePolicy({ tierReach: { free: 1, career: 1, business: 2, sales_navigator: 3 }, inmailMonthlyCredits: { career: 0, business: 0 } }),
  now.resolvePolicy({ inmailMonthlyCredits: { career: 0, business: 0, sales_navigator: 0 }, messagesPerMinute: 1, followUpsWhilePending: 0 }),
  now.resolvePolicy({ noteMaxChars: 3, messageMaxChars: 3, notesPerMonthFree: 0, invitationsPerWeek: 0, nonConnectionConversationsPerMonth: 0 }),
);

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
  notifications: fc.constant(now.allNotificationsOn()),
});

const memberArb = (id: string): fc.Arbitrary<MemberFacts> =>
  fc.record(
    {
      id: fc.constant(id),
      handle: fc.constant(`h-${id}`),
      kind: fc.constantFrom<MemberFacts['kind']>('person', 'person', 'person', 'page'),
      tier: fc.constantFrom(...now.TIERS),
      tierUntil: fc.option(fc.integer({ min: -400, max: 400 }).map((d) => new Date(NOW.getTime() + d * DAY))),
      status: fc.constantFrom<MemberFacts['status']>('active', 'active', 'active', 'restricted', 'deactivated', 'closed'),
      settings: settingsArb,
      connectionCount: fc.constantFrom(0, 9, 10, CAP - 1, CAP),
      bulkFlagged: fc.boolean(),
    },
    { requiredKeys: ['id', 'handle', 'kind', 'tier', 'tierUntil', 'status', 'settings', 'connectionCount'] },
  );

const conversationArb: fc.Arbitrary<ConversationFacts | null> = fc.option(
  fc.record({
    state: fc.constantFrom<ConversationFacts['state']>('open', 'request'),
    startedBy: fc.constantFrom<ConversationFacts['startedBy']>('viewer', 'member'),
    channel: fc.constantFrom('direct', 'open_profile', 'tier_reach', 'group', 'open_inbox', 'page', 'inmail', 'introduction'),
    followUps: fc.integer({ min: 0, max: 2 }),
    accepted: fc.boolean(),
  }),
);
const rarely = fc.oneof({ arbitrary: fc.constant(false), weight: 7 }, { arbitrary: fc.constant(true), weight: 1 });
const maybeAgo = (maxMs: number) => fc.option(fc.integer({ min: -1000, max: maxMs }).map((ms) => new Date(NOW.getTime() - ms)));
const handleArb = fc.constantFrom('ann', 'bo', 'cy');

const relArb: fc.Arbitrary<RelationshipFacts> = fc.record(
  {
    degree: fc.constantFrom<RelationshipFacts['degree']>(1, 2, 3, null),
    invitation: fc.constantFrom<RelationshipFacts['invitation']>(null, null, { direction: 'sent' }, { direction: 'received' }),
    blockedByViewer: rarely,
    blockedByMember: rarely,
    sharedGroups: fc.integer({ min: 0, max: 2 }),
    conversation: conversationArb,
    lastWithdrawnAt: maybeAgo(30 * DAY),
    lastUnblockedAt: maybeAgo(72 * 3_600_000),
    // duplicates on purpose: the unlocks keep one of each
    introductions: fc.array(fc.array(handleArb, { minLength: 1, maxLength: 2 }), { maxLength: 3 }),
    // the asker's own asks for each path (fewer than the paths, or none: those are offered as found)
    introductionAsks: fc.array(
      fc.record({
        openAsk: rarely,
        asksThisMonth: fc.constantFrom(0, 9, 10),
        declinesByVia: fc.array(
          maybeAgo(130 * DAY).map((d) => d ?? NOW),
          { maxLength: 4 },
        ),
      }),
      { maxLength: 3 },
    ),
  },
  {
    requiredKeys: [
      'degree',
      'invitation',
      'blockedByViewer',
      'blockedByMember',
      'sharedGroups',
      'conversation',
      'lastWithdrawnAt',
      'lastUnblockedAt',
      'introductions',
    ],
  },
);

const quotasArb = fc.record({
  invitationsLast7Days: fc.constantFrom(0, 99, 100),
  oldestInvitationLast7DaysAt: maybeAgo(7 * DAY),
  notesThisMonth: fc.constantFrom(0, 4, 5),
  idkReportsLast90Days: fc.constantFrom(0, 4, 5),
  messagesLastMinute: fc.constantFrom(0, 1, 29, 30),
  oldestMessageLastMinuteAt: maybeAgo(60_000),
  nonConnectionConversationsThisMonth: fc.constantFrom(0, 99, 100),
  groupConversationsThisMonth: fc.constantFrom(0, 14, 15),
  inmailBalance: fc.constantFrom(0, 1, 7),
  inmailPurchased: fc.constantFrom(0, 1),
});

const factsArb: fc.Arbitrary<Facts> = fc
  .record({
    viewer: memberArb('v'),
    member: fc.option(memberArb('m'), { freq: 12 }),
    self: rarely,
    relationship: relArb,
    quotas: quotasArb,
  })
  .map(({ self, ...f }) => (self ? { ...f, member: { ...f.viewer } } : f));

const messageAttemptArb: fc.Arbitrary<MessageAttempt> = fc.record(
  {
    channel: fc.constant('inmail' as const),
    body: fc.constantFrom('hi', 'x'.repeat(1901), 'x'.repeat(8001)),
    subject: fc.option(fc.constantFrom('s', 's'.repeat(201))),
  },
  { requiredKeys: [] },
);
const invitationAttemptArb: fc.Arbitrary<InvitationAttempt> = fc.record(
  { note: fc.option(fc.constantFrom('', '  ', 'hello', 'x'.repeat(301))), emailMatches: fc.boolean() },
  { requiredKeys: [] },
);
const askArb = fc.record({
  via: fc.option(memberArb('b')),
  viaConnectedToViewer: fc.boolean(),
  viaConnectedToMember: fc.boolean(),
  viaDegree: fc.constantFrom<1 | 2 | 3 | null>(1, 2, 3, null),
  openAsk: rarely,
  asksThisMonth: fc.constantFrom(0, 9, 10),
  declinesByVia: fc.array(
    fc.integer({ min: 0, max: 120 }).map((d) => new Date(NOW.getTime() - d * DAY)),
    { maxLength: 4 },
  ),
  otherVias: fc.array(handleArb, { maxLength: 3 }),
});

/** Equal as values and as the bytes the API sends. */
function same(a: unknown, b: unknown): void {
  expect(a).toStrictEqual(b);
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
}

describe('the fast engine decides exactly as the reference engine', () => {
  it('profile, message, reply, invitation, follow, accept, block, channels', () => {
    fc.assert(
      fc.property(factsArb, messageAttemptArb, invitationAttemptArb, nowArb, policyArb, (f, attempt, inv, at, policy) => {
        same(now.decideProfile(f, at, policy), profile.decideProfile(f, at, policy));
        same(now.decideMessage(f, attempt, at, policy), message.decideMessage(f, attempt, at, policy));
        same(now.decideMessage(f, {}, at, policy), message.decideMessage(f, {}, at, policy));
        same(now.decideReply(f, attempt, at, policy), message.decideReply(f, attempt, at, policy));
        same(now.applicableChannels(f, at, policy), message.applicableChannels(f, at, policy));
        same(now.decideInvitation(f, inv, at, policy), invitation.decideInvitation(f, inv, at, policy));
        same(now.decideAcceptInvitation(f, at, policy), invitation.decideAcceptInvitation(f, at, policy));
        same(now.decideFollow(f, at, policy), follow.decideFollow(f, at, policy));
        same(now.decideBlock(f, at, policy), block.decideBlock(f, at, policy));
      }),
      RUNS,
    );
  });

  /** Both active, the member a visible person: the first stages pass and the later rules decide. */
  const reachable = fc.tuple(factsArb, memberArb('m')).map(([f, m]): Facts => ({
    ...f,
    viewer: { ...f.viewer, status: 'active' },
    member: { ...m, kind: 'person', status: 'active' },
    relationship: { ...f.relationship, blockedByViewer: false, blockedByMember: false },
  }));
  /** ...and no free channel but tier reach: the unlock lists (upgrade, InMail, credits, connect, introductions, waits). */
  const outOfReach = reachable.map((f): Facts => ({
    ...f,
    member: { ...f.member!, settings: { ...f.member!.settings, messageRequests: 'on', messagesFrom: 'anyone' } },
    relationship: { ...f.relationship, sharedGroups: 0, conversation: null },
  }));

  it.each([
    ['the first stages pass', reachable],
    ['out of reach of the free channels but tier reach', outOfReach],
  ])('worlds where %s: the late denials and their unlocks', (_, worlds) => {
    fc.assert(
      fc.property(worlds, messageAttemptArb, invitationAttemptArb, nowArb, policyArb, (f, attempt, inv, at, policy) => {
        same(now.decideProfile(f, at, policy), profile.decideProfile(f, at, policy));
        same(now.decideMessage(f, attempt, at, policy), message.decideMessage(f, attempt, at, policy));
        same(now.decideInvitation(f, inv, at, policy), invitation.decideInvitation(f, inv, at, policy));
      }),
      RUNS,
    );
  });

  it('introductions: ask and delivery', () => {
    fc.assert(
      fc.property(factsArb, askArb, fc.option(fc.constantFrom('hi', 'x'.repeat(301))), nowArb, policyArb, (f, ask, note, at, policy) => {
        same(now.decideIntroductionAsk(f, ask, note, at, policy), introduction.decideIntroductionAsk(f, ask, note, at, policy));
        same(now.decideIntroductionDelivery(f, at, policy), introduction.decideIntroductionDelivery(f, at, policy));
      }),
      RUNS,
    );
  });

  it('the same facts asked twice answer alike (nothing cached from one call leaks into the next)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(factsArb, nowArb, policyArb), { minLength: 2, maxLength: 6 }), (worlds) => {
        const first = worlds.map(([f, at, policy]) => now.decideProfile(f, at, policy));
        for (const [i, [f, at, policy]] of worlds.entries()) {
          same(first[i], profile.decideProfile(f, at, policy));
          same(now.decideProfile(f, at, policy), first[i]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
