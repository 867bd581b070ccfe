/** DOMAIN.md 5: the first free channel, its delivery, InMail on request only, and the unlock paths. */
import { describe, expect, it } from 'vitest';
import {
  applicableChannels,
  becomesBetweenConnections,
  decideMessage,
  decideReply,
  replyAccepts,
  resolvePolicy,
  type AskState,
  type Channel,
  type Delivery,
} from '../../src/policy/index.js';
import { facts, lapsed, NEXT_MONTH, NOW, paid, selfFacts, type FactsOver } from './fixtures.js';

const REQ_OFF = { settings: { messageRequests: 'off' as const } };
const OPEN = { settings: { openProfile: true } };

describe('the first free channel and its delivery', () => {
  const rows: [string, FactsOver, Channel, Delivery][] = [
    ['1st degree', { rel: { degree: 1 } }, 'direct', 'inbox'],
    [
      'an accepted conversation (accepted request), out of network',
      { rel: { conversation: { state: 'open', startedBy: 'viewer', channel: 'tier_reach', followUps: 0, accepted: true } } },
      'direct',
      'inbox',
    ],
    [
      'the reply that accepts a thread the member started in the inbox',
      { rel: { conversation: { state: 'open', startedBy: 'member', channel: 'inmail', followUps: 0, accepted: false } } },
      'direct',
      'inbox',
    ],
    ['a page, new conversation', { memberIsPage: true }, 'page', 'request'],
    ['a page with requests off still gets a request', { memberIsPage: true, member: REQ_OFF }, 'page', 'request'],
    [
      'a page, accepted conversation',
      { memberIsPage: true, rel: { conversation: { state: 'open', startedBy: 'viewer', channel: 'page', followUps: 0, accepted: true } } },
      'direct',
      'inbox',
    ],
    [
      'a page, a request not yet accepted: a follow-up is a request again',
      { memberIsPage: true, rel: { conversation: { state: 'request', startedBy: 'viewer', channel: 'page', followUps: 0, accepted: false } } },
      'page',
      'request',
    ],
    ['premium recipient with Open Profile', { member: { ...paid('career'), ...OPEN } }, 'open_profile', 'inbox'],
    ['career reaches 2nd degree: a request', { viewer: paid('career'), rel: { degree: 2 } }, 'tier_reach', 'request'],
    ['career reaches 2nd degree, requests off: the inbox', { viewer: paid('career'), member: REQ_OFF, rel: { degree: 2 } }, 'tier_reach', 'inbox'],
    ['business reaches 3rd degree', { viewer: paid('business'), rel: { degree: 3 } }, 'tier_reach', 'request'],
    ['sales_navigator reaches 3rd degree', { viewer: paid('sales_navigator'), rel: { degree: 3 } }, 'tier_reach', 'request'],
    ['a shared group', { rel: { sharedGroups: 1 } }, 'group', 'request'],
    ['a shared group, requests off', { rel: { sharedGroups: 2 }, member: REQ_OFF }, 'group', 'inbox'],
    ['a shared group, 14 group conversations this month', { rel: { sharedGroups: 1 }, quotas: { groupConversationsThisMonth: 14 } }, 'group', 'request'],
    [
      'group quota used up, requests off: the open inbox',
      { rel: { sharedGroups: 1 }, member: REQ_OFF, quotas: { groupConversationsThisMonth: 15 } },
      'open_inbox',
      'inbox',
    ],
    ['requests off opens the inbox to anyone', { member: REQ_OFF }, 'open_inbox', 'inbox'],
    [
      'follow-up on own pending request keeps its channel',
      { rel: { degree: 2, sharedGroups: 1, conversation: { state: 'request', startedBy: 'viewer', channel: 'group', followUps: 0, accepted: false } } },
      'group',
      'request',
    ],
    [
      'follow-up on a page request',
      { memberIsPage: true, rel: { conversation: { state: 'request', startedBy: 'viewer', channel: 'page', followUps: 0, accepted: false } } },
      'page',
      'request',
    ],
    [
      'a pending request between connections is direct',
      { rel: { degree: 1, conversation: { state: 'request', startedBy: 'member', channel: 'group', followUps: 3, accepted: false } } },
      'direct',
      'inbox',
    ],
  ];
  it.each(rows)('%s → %s, %s', (_name, over, channel, delivery) => {
    expect(decideMessage(facts(over), {}, NOW)).toEqual({ allowed: true, channel, delivery, reason: 'ok', unlock: [] });
  });

  it('earlier channels win: 1st degree + open profile + requests off is direct', () => {
    const f = facts({ member: { ...paid('business'), settings: { openProfile: true, messageRequests: 'off' } }, rel: { degree: 1, sharedGroups: 1 } });
    expect(applicableChannels(f, NOW)).toEqual(['direct', 'open_profile', 'tier_reach', 'group', 'open_inbox']);
    expect(decideMessage(f, {}, NOW).channel).toBe('direct');
  });

  it('Open Profile of a lapsed premium does not apply', () => {
    expect(decideMessage(facts({ member: { ...lapsed('career'), ...OPEN } }), {}, NOW).reason).toBe('not_in_reach');
  });

  it('applicableChannels is empty for oneself and for hidden members', () => {
    expect(applicableChannels(selfFacts(), NOW)).toEqual([]);
    expect(applicableChannels(facts({ member: null }), NOW)).toEqual([]);
    expect(applicableChannels(facts({ rel: { degree: 1, blockedByViewer: true } }), NOW)).toEqual([]);
  });
});

describe('recipient settings: who may message me', () => {
  const rows: [FactsOver['rel'], 'anyone' | 'shared_connections' | 'connections', boolean][] = [
    [{ degree: 1 }, 'connections', true],
    [{ degree: 2, sharedGroups: 1 }, 'connections', false],
    [{ degree: 2, sharedGroups: 1 }, 'shared_connections', true],
    [{ degree: 3, sharedGroups: 1 }, 'shared_connections', false],
    [{ degree: null, sharedGroups: 1 }, 'anyone', true],
    [{ degree: 3, conversation: { state: 'open', startedBy: 'viewer', channel: 'group', followUps: 0, accepted: true } }, 'connections', true],
    // an InMail accepts nothing: the recipient's settings apply to the next message (issue 14, finding 1)
    [{ degree: 3, conversation: { state: 'open', startedBy: 'viewer', channel: 'inmail', followUps: 0, accepted: false } }, 'connections', false],
    [{ degree: 3, conversation: { state: 'request', startedBy: 'viewer', channel: 'group', followUps: 0, accepted: false } }, 'connections', false],
  ];
  it.each(rows)('%o, messagesFrom %s → allowed %s', (rel, messagesFrom, allowed) => {
    const d = decideMessage(facts({ rel, member: { settings: { messagesFrom } } }), {}, NOW);
    expect(d.allowed).toBe(allowed);
    if (!allowed) expect(d.reason).toBe('recipient_settings');
  });
  it('a page is messaged whatever its settings say', () => {
    expect(decideMessage(facts({ memberIsPage: true, member: { settings: { messagesFrom: 'connections' } } }), {}, NOW).channel).toBe('page');
  });
  it('settings apply to InMail too', () => {
    const f = facts({ viewer: paid('sales_navigator'), member: { settings: { messagesFrom: 'connections' } }, quotas: { inmailBalance: 9 } });
    expect(decideMessage(f, { channel: 'inmail' }, NOW).reason).toBe('recipient_settings');
  });
});

describe('InMail: only when asked, only when nothing free reaches', () => {
  const out = facts({ viewer: paid('career'), rel: { degree: 3 }, quotas: { inmailBalance: 2 } });
  it('asked, nothing free: channel inmail, cost 1, inbox', () => {
    expect(decideMessage(out, { channel: 'inmail' }, NOW)).toEqual({
      allowed: true,
      channel: 'inmail',
      delivery: 'inbox',
      cost: { inmailCredits: 1 },
      reason: 'ok',
      unlock: [],
    });
  });
  it('not asked: never spent silently', () => {
    expect(decideMessage(out, {}, NOW)).toMatchObject({ allowed: false, reason: 'not_in_reach' });
    expect(decideMessage(out, {}, NOW).unlock).toContainEqual({ kind: 'inmail', credits: 1 });
  });
  it('asked, but a free channel applies: the free channel, no cost', () => {
    const d = decideMessage(facts({ viewer: paid('career'), rel: { degree: 2 }, quotas: { inmailBalance: 2 } }), { channel: 'inmail' }, NOW);
    expect(d).toEqual({ allowed: true, channel: 'tier_reach', delivery: 'request', reason: 'ok', unlock: [] });
  });
  it('a lapsed tier cannot spend its credits; the unlock is a tier with credits', () => {
    const d = decideMessage(facts({ viewer: lapsed('business'), rel: { degree: 3 }, quotas: { inmailBalance: 20 } }), { channel: 'inmail' }, NOW);
    expect(d.reason).toBe('no_inmail_credits');
    expect(d.unlock).toEqual([{ kind: 'upgrade', tier: 'career' }, { kind: 'upgrade', tier: 'business' }, { kind: 'connect' }]);
  });
  it('no credits left: wait for the 1st only when the tier still lasts then (a tier ending before it is renewed instead)', () => {
    const spent = (tierUntil: Date) => facts({ viewer: { tier: 'career', tierUntil }, rel: { degree: 3 }, quotas: { inmailBalance: 0 } });
    const lasting = decideMessage(spent(new Date('2025-05-01T00:00:00Z')), { channel: 'inmail' }, NOW);
    expect(lasting.reason).toBe('no_inmail_credits');
    expect(lasting.unlock[0]).toEqual({ kind: 'wait', until: NEXT_MONTH });
    const ending = decideMessage(spent(new Date('2025-03-20T00:00:00Z')), { channel: 'inmail' }, NOW);
    expect(ending.reason).toBe('no_inmail_credits');
    expect(ending.unlock).not.toContainEqual({ kind: 'wait', until: NEXT_MONTH });
    // renewing career grants nothing (DOMAIN.md 5: a renewal grants nothing): the upgrade to a larger monthly amount does
    expect(ending.unlock[0]).toEqual({ kind: 'upgrade', tier: 'business' });
    expect(ending.unlock).not.toContainEqual({ kind: 'upgrade', tier: 'career' });
  });
  it('no credit anywhere in the policy: no upgrade offered for credits', () => {
    const policy = resolvePolicy({
      inmailMonthlyCredits: { free: 0, career: 0, business: 0, sales_navigator: 0 },
      tierReach: { business: 2, sales_navigator: 2 },
    });
    const d = decideMessage(facts({ rel: { degree: 3 } }), { channel: 'inmail' }, NOW, policy);
    expect(d).toEqual({ allowed: false, reason: 'no_inmail_credits', unlock: [{ kind: 'connect' }] });
  });
  it('InMail sizes: subject 200, body 1,900', () => {
    expect(decideMessage(out, { channel: 'inmail', subject: 's'.repeat(200), body: 'b'.repeat(1900) }, NOW).allowed).toBe(true);
    expect(decideMessage(out, { channel: 'inmail', subject: 's'.repeat(201), body: 'b' }, NOW).reason).toBe('too_long');
    expect(decideMessage(out, { channel: 'inmail', subject: null, body: 'b'.repeat(1901) }, NOW).reason).toBe('too_long');
  });
  it('a body of 8,000 characters is fine on a free channel; characters are code points', () => {
    const f = facts({ rel: { degree: 1 } });
    expect(decideMessage(f, { body: 'x'.repeat(8000) }, NOW).allowed).toBe(true);
    expect(decideMessage(f, { body: '😀'.repeat(8000) }, NOW).allowed).toBe(true);
    expect(decideMessage(f, { body: '😀'.repeat(8001) }, NOW).reason).toBe('too_long');
  });
});

describe('unlock paths of not_in_reach', () => {
  const ask = (over: Partial<AskState> = {}): AskState => ({ openAsk: false, asksThisMonth: 0, declinesByVia: [], ...over });
  /** three declines within 30 days, the last a day ago: a pause until 89 days from now */
  const threeDeclines = [20, 10, 1].map((days) => new Date(NOW.getTime() - days * 86_400_000));
  const reach2 = (paths: string[][]) => [
    { kind: 'upgrade', tier: 'career' },
    { kind: 'inmail', credits: 1 },
    { kind: 'connect' },
    ...paths.map((via) => ({ kind: 'introduction', via })),
  ];
  const rows: [string, FactsOver, unknown[]][] = [
    [
      'free, 2nd degree: career, InMail, connect, introductions',
      { rel: { degree: 2, introductions: [['ann'], ['bo']] } },
      [
        { kind: 'upgrade', tier: 'career' },
        { kind: 'inmail', credits: 1 },
        { kind: 'connect' },
        { kind: 'introduction', via: ['ann'] },
        { kind: 'introduction', via: ['bo'] },
      ],
    ],
    [
      'free, 3rd degree: business, via two handles',
      { rel: { degree: 3, introductions: [['ann', 'cy']] } },
      [{ kind: 'upgrade', tier: 'business' }, { kind: 'inmail', credits: 1 }, { kind: 'connect' }, { kind: 'introduction', via: ['ann', 'cy'] }],
    ],
    [
      'career, 3rd degree: business',
      { viewer: paid('career'), rel: { degree: 3 } },
      [{ kind: 'upgrade', tier: 'business' }, { kind: 'inmail', credits: 1 }, { kind: 'connect' }],
    ],
    [
      'out of network: no tier reaches, no introduction',
      { rel: { degree: null, introductions: [['x']] } },
      [{ kind: 'inmail', credits: 1 }, { kind: 'connect' }],
    ],
    [
      'refuses InMail, invitation pending',
      { member: { settings: { acceptInMail: false } }, rel: { degree: 2, invitation: { direction: 'sent' } } },
      [{ kind: 'upgrade', tier: 'career' }],
    ],
    ['a page viewer cannot connect', { viewer: { kind: 'page' }, rel: { degree: null } }, [{ kind: 'inmail', credits: 1 }]],
    // DOMAIN.md 11: a path is a way in only if asking its first step would go through (found by a member)
    [
      'an ask to the member open: no introduction',
      { rel: { degree: 2, introductions: [['ann'], ['bo']], introductionAsks: [ask({ openAsk: true }), ask({ openAsk: true })] } },
      reach2([]),
    ],
    [
      'asks paused by one introducer: the other is offered',
      { rel: { degree: 2, introductions: [['ann'], ['bo']], introductionAsks: [ask({ declinesByVia: threeDeclines }), ask()] } },
      reach2([['bo']]),
    ],
    [
      'two declines in 30 days do not pause',
      { rel: { degree: 2, introductions: [['ann']], introductionAsks: [ask({ declinesByVia: threeDeclines.slice(1) })] } },
      reach2([['ann']]),
    ],
    [
      "the month's asks used up: no introduction",
      { rel: { degree: 2, introductions: [['ann'], ['bo']], introductionAsks: [ask({ asksThisMonth: 10 }), ask({ asksThisMonth: 10 })] } },
      reach2([]),
    ],
    ['one ask left this month: offered', { rel: { degree: 2, introductions: [['ann']], introductionAsks: [ask({ asksThisMonth: 9 })] } }, reach2([['ann']])],
    [
      '3rd degree: the first step paused',
      {
        rel: {
          degree: 3,
          introductions: [
            ['ann', 'cy'],
            ['bo', 'cy'],
          ],
          introductionAsks: [ask({ declinesByVia: threeDeclines }), ask()],
        },
      },
      [{ kind: 'upgrade', tier: 'business' }, { kind: 'inmail', credits: 1 }, { kind: 'connect' }, { kind: 'introduction', via: ['bo', 'cy'] }],
    ],
  ];
  it.each(rows)('%s', (_n, over, unlock) => {
    const d = decideMessage(facts(over), {}, NOW);
    expect(d).toEqual({ allowed: false, reason: 'not_in_reach', unlock });
  });

  it('group quota used up: monthly_limit with a wait to the 1st and the other ways', () => {
    const d = decideMessage(facts({ rel: { degree: 2, sharedGroups: 1 }, quotas: { groupConversationsThisMonth: 15 } }), {}, NOW);
    expect(d).toEqual({
      allowed: false,
      reason: 'monthly_limit',
      unlock: [{ kind: 'wait', until: NEXT_MONTH }, { kind: 'upgrade', tier: 'career' }, { kind: 'inmail', credits: 1 }, { kind: 'connect' }],
    });
  });

  it('the wait for a monthly quota is 00:00 UTC on the 1st, across the year end', () => {
    const dec31 = new Date('2025-12-31T23:59:59.999Z');
    const d = decideMessage(facts({ rel: { degree: 2 }, viewer: paid('career'), quotas: { nonConnectionConversationsThisMonth: 100 } }), {}, dec31);
    expect(d.unlock[0]).toEqual({ kind: 'wait', until: '2026-01-01T00:00:00.000Z' });
  });
});

describe('pending requests: reply and follow-up', () => {
  const own = (followUps: number) =>
    facts({
      viewer: paid('career'),
      rel: { degree: 2, conversation: { state: 'request', startedBy: 'viewer', channel: 'tier_reach', followUps, accepted: false } },
    });
  it.each([
    [0, true],
    [1, false],
    [2, false],
  ])('after %i follow-ups, another is allowed: %s', (n, ok) => {
    const d = decideReply(own(n), { body: 'ping' }, NOW);
    expect(d.allowed).toBe(ok);
    if (!ok) expect(d).toEqual({ allowed: false, reason: 'awaiting_response', unlock: [] });
  });
  it('followUpsWhilePending comes from the policy', () => {
    expect(decideReply(own(2), {}, NOW, resolvePolicy({ followUpsWhilePending: 3 })).allowed).toBe(true);
    expect(decideReply(own(0), {}, NOW, resolvePolicy({ followUpsWhilePending: 0 })).reason).toBe('awaiting_response');
  });
  it('a reply never becomes an InMail', () => {
    const f = facts({ viewer: paid('career'), rel: { degree: 3 }, quotas: { inmailBalance: 5 } });
    expect(decideReply(f, { body: 'x' }, NOW).reason).toBe('not_in_reach');
  });
  it('an InMail accepts nothing: the next message needs a channel; writing into the thread never spends a credit', () => {
    const f = facts({
      viewer: paid('career'),
      rel: { degree: 3, conversation: { state: 'open', startedBy: 'viewer', channel: 'inmail', followUps: 0, accepted: false } },
      quotas: { inmailBalance: 5 },
    });
    const reply = decideReply(f, { body: 'x' }, NOW);
    expect(reply).toMatchObject({ allowed: false, reason: 'not_in_reach' });
    expect(reply.unlock).toContainEqual({ kind: 'inmail', credits: 1 });
    expect(decideMessage(f, { body: 'x', channel: 'inmail' }, NOW)).toMatchObject({ allowed: true, channel: 'inmail', cost: { inmailCredits: 1 } });
    const off = facts({
      viewer: paid('career'),
      member: { settings: { acceptInMail: false } },
      rel: { degree: 3, conversation: { state: 'open', startedBy: 'viewer', channel: 'inmail', followUps: 0, accepted: false } },
      quotas: { inmailBalance: 5 },
    });
    expect(decideMessage(off, { body: 'x', channel: 'inmail' }, NOW).reason).toBe('inmail_not_accepted');
  });
  it('an accepted conversation holds whatever the settings say later', () => {
    const f = facts({
      member: { settings: { messagesFrom: 'connections', acceptInMail: false } },
      rel: { degree: 3, conversation: { state: 'open', startedBy: 'viewer', channel: 'tier_reach', followUps: 0, accepted: true } },
    });
    expect(decideReply(f, { body: 'x' }, NOW)).toMatchObject({ allowed: true, channel: 'direct', delivery: 'inbox' });
  });
  it('an open conversation: both sides write freely', () => {
    const f = facts({ rel: { conversation: { state: 'open', startedBy: 'member', channel: 'open_profile', followUps: 0, accepted: false } } });
    expect(decideReply(f, { body: 'x' }, NOW)).toMatchObject({ allowed: true, channel: 'direct', delivery: 'inbox' });
  });
});

describe('policy numbers flow into message decisions', () => {
  it('tierReach, messagesPerMinute, messageMaxChars, nonConnectionConversationsPerMonth, groupConversationsPerMonth', () => {
    expect(decideMessage(facts({ rel: { degree: 2 } }), {}, NOW, resolvePolicy({ tierReach: { free: 2 } })).channel).toBe('tier_reach');
    expect(decideMessage(facts({ rel: { degree: 1 }, quotas: { messagesLastMinute: 5 } }), {}, NOW, resolvePolicy({ messagesPerMinute: 5 })).reason).toBe(
      'rate_limited',
    );
    expect(decideMessage(facts({ rel: { degree: 1 } }), { body: 'abcdef' }, NOW, resolvePolicy({ messageMaxChars: 5 })).reason).toBe('too_long');
    expect(
      decideMessage(
        facts({ rel: { sharedGroups: 1 }, quotas: { nonConnectionConversationsThisMonth: 1 } }),
        {},
        NOW,
        resolvePolicy({ nonConnectionConversationsPerMonth: 1 }),
      ).reason,
    ).toBe('monthly_limit');
    expect(
      decideMessage(facts({ rel: { sharedGroups: 1 }, quotas: { groupConversationsThisMonth: 1 } }), {}, NOW, resolvePolicy({ groupConversationsPerMonth: 1 }))
        .reason,
    ).toBe('monthly_limit');
  });
  it('messages to a connection are not new conversations with non-connections', () => {
    const f = facts({ viewer: { bulkFlagged: true }, rel: { degree: 1 }, quotas: { nonConnectionConversationsThisMonth: 500 } });
    expect(decideMessage(f, {}, NOW).allowed).toBe(true);
  });
});

describe('a thread between connections carries no channel of its own (DOMAIN.md 5.1)', () => {
  const thread = (channel: Channel, over: { accepted?: boolean; startedBy?: 'viewer' | 'member' } = {}) => ({
    state: 'open' as const,
    startedBy: over.startedBy ?? ('member' as const),
    channel,
    followUps: 0,
    accepted: over.accepted ?? false,
  });
  it("a reply into the member's thread accepts it only out of network, and never into one begun between connections", () => {
    expect(replyAccepts(facts({ rel: { degree: 2, conversation: thread('inmail') } }))).toBe(true);
    expect(replyAccepts(facts({ rel: { degree: 1, conversation: thread('inmail') } }))).toBe(false);
    expect(replyAccepts(facts({ rel: { degree: 2, conversation: thread('direct') } }))).toBe(false);
    expect(replyAccepts(facts({ rel: { degree: 2, conversation: thread('inmail', { accepted: true }) } }))).toBe(false);
    expect(decideMessage(facts({ rel: { degree: null, conversation: thread('direct') } }), { body: 'hi' }, NOW).reason).toBe('not_in_reach');
  });
  it('a direct message between connections makes a thread not accepted one between connections', () => {
    expect(becomesBetweenConnections(facts({ rel: { degree: 1, conversation: thread('tier_reach') } }), 'direct')).toBe(true);
    expect(becomesBetweenConnections(facts({ rel: { degree: 1, conversation: thread('inmail', { startedBy: 'viewer' }) } }), 'direct')).toBe(true);
    expect(becomesBetweenConnections(facts({ rel: { degree: 1, conversation: thread('direct') } }), 'direct')).toBe(false);
    expect(becomesBetweenConnections(facts({ rel: { degree: 1, conversation: thread('tier_reach', { accepted: true }) } }), 'direct')).toBe(false);
    expect(becomesBetweenConnections(facts({ rel: { degree: 2, conversation: thread('tier_reach') } }), 'direct')).toBe(false);
    expect(becomesBetweenConnections(facts({ rel: { degree: 1, conversation: null } }), 'direct')).toBe(false);
  });
});
