/** DOMAIN.md 11 as pure decisions: asking, forwarding, delivering a warm introduction. */
import { describe, expect, it } from 'vitest';
import {
  decideIntroductionAsk,
  decideIntroductionDelivery,
  decideIntroductionForward,
  introductionExpired,
  introductionsPausedUntil,
  resolvePolicy,
  type AskFacts,
} from '../../src/policy/index.js';
import { ago, DAY, facts, NOW, person, type FactsOver } from './fixtures.js';

const ask = (over: Partial<AskFacts> = {}): AskFacts => ({
  via: person({ id: 'b1', handle: 'bea' }),
  viaConnectedToViewer: true,
  viaConnectedToMember: true,
  viaDegree: 1,
  openAsk: false,
  asksThisMonth: 0,
  declinesByVia: [],
  otherVias: [],
  ...over,
});
const second: FactsOver = { rel: { degree: 2 } };
const pendingOwn = { state: 'request', startedBy: 'viewer', channel: 'tier_reach', followUps: 0, accepted: false } as const;

describe('asking for an introduction: DOMAIN.md 11 in order', () => {
  it.each([
    ['ok: a 2nd-degree member through a mutual connection', second, ask(), undefined, 'ok'],
    ['a restricted asker sends nothing', { ...second, viewer: { status: 'restricted' } }, ask(), undefined, 'sender_restricted'],
    ['an unknown or hidden target', { member: null }, ask(), undefined, 'recipient_unavailable'],
    ['blocked either way', { rel: { degree: null, blockedByMember: true } }, ask(), undefined, 'recipient_unavailable'],
    ['a 1st-degree target', { rel: { degree: 1 } }, ask(), undefined, 'already_connected'],
    ['a 3rd-degree target', { rel: { degree: 3 } }, ask(), undefined, 'not_in_reach'],
    ['out of network', { rel: { degree: null } }, ask(), undefined, 'not_in_reach'],
    ['via hidden or unknown', second, ask({ via: null }), undefined, 'not_in_reach'],
    ['via not my connection', second, ask({ viaConnectedToViewer: false }), undefined, 'not_in_reach'],
    ['via not connected to the target', second, ask({ viaConnectedToMember: false }), undefined, 'not_in_reach'],
    [
      'the target takes messages from connections only',
      { ...second, member: { settings: { messagesFrom: 'connections' } } },
      ask(),
      undefined,
      'recipient_settings',
    ],
    ['a note over 300 characters', second, ask(), 'x'.repeat(301), 'note_too_long'],
    ['an open ask for the same member', second, ask({ openAsk: true }), undefined, 'awaiting_response'],
    ['paused after three declines', second, ask({ declinesByVia: [ago(3 * DAY), ago(2 * DAY), ago(DAY)] }), undefined, 'introductions_paused'],
    ['the monthly limit', second, ask({ asksThisMonth: 10 }), undefined, 'monthly_limit'],
    ['my own request to them waits', { rel: { degree: 2, conversation: pendingOwn } }, ask(), undefined, 'awaiting_response'],
  ] as const)('%s → %s', (_n, over, a, note, reason) => {
    expect(decideIntroductionAsk(facts(over as FactsOver), a, note, NOW).reason).toBe(reason);
  });
  it('not_in_reach names the other mutual connections to ask', () => {
    const d = decideIntroductionAsk(facts(second), ask({ viaConnectedToMember: false, otherVias: ['dee', 'eve'] }), null, NOW);
    expect(d.unlock).toEqual([
      { kind: 'introduction', via: ['dee'] },
      { kind: 'introduction', via: ['eve'] },
    ]);
  });
  it('no other mutual is named while my own request to them waits (an ask through any would be refused)', () => {
    const d = decideIntroductionAsk(
      facts({ rel: { degree: 2, conversation: pendingOwn } }),
      ask({ viaConnectedToMember: false, otherVias: ['dee'] }),
      null,
      NOW,
    );
    expect([d.reason, d.unlock]).toEqual(['not_in_reach', []]);
    const fwd = decideIntroductionDelivery(facts({ rel: { degree: 2, conversation: pendingOwn } }), NOW);
    expect(fwd.reason).toBe('awaiting_response');
  });
  it('a via whose profileVisibility excludes the asker is never a step', () => {
    const hiddenVia = ask({ via: person({ id: 'b1', handle: 'bea', settings: { profileVisibility: 'connections' } }), viaDegree: 2 });
    expect(decideIntroductionAsk(facts(second), hiddenVia, null, NOW).reason).toBe('not_in_reach');
  });
  it('introductionsPerMonth comes from the policy; the monthly wait is the 1st', () => {
    const d = decideIntroductionAsk(facts(second), ask({ asksThisMonth: 2 }), null, NOW, resolvePolicy({ introductionsPerMonth: 2 }));
    expect(d).toEqual({ allowed: false, reason: 'monthly_limit', unlock: [{ kind: 'wait', until: '2025-04-01T00:00:00.000Z' }] });
  });
});

describe('the pause after declines', () => {
  it.each([
    ['two declines', [ago(2 * DAY), ago(DAY)], null],
    ['three within 30 days', [ago(20 * DAY), ago(10 * DAY), ago(DAY)], new Date(NOW.getTime() - DAY + 90 * DAY)],
    ['three spread over more than 30 days', [ago(50 * DAY), ago(10 * DAY), ago(DAY)], null],
    ['three within 30 days, 91 days ago', [ago(95 * DAY), ago(93 * DAY), ago(91 * DAY)], null],
  ] as const)('%s', (_n, declines, until) => {
    expect(introductionsPausedUntil([...declines], NOW)).toEqual(until);
  });
  it('an ask expires after introductionExpiryDays', () => {
    expect(introductionExpired(ago(14 * DAY), NOW, resolvePolicy({}))).toBe(true);
    expect(introductionExpired(ago(14 * DAY - 1), NOW, resolvePolicy({}))).toBe(false);
  });
});

describe('forwarding and delivering', () => {
  const fwd = { open: true, viaConnectedToMember: true, viaConnectedToAsker: true, askerHidden: false, targetHidden: false };
  it('only while the target is still a connection and nobody is hidden', () => {
    expect(decideIntroductionForward(facts({ rel: { degree: 1 } }), fwd, null, NOW).allowed).toBe(true);
    expect(decideIntroductionForward(facts({ rel: { degree: 2 } }), { ...fwd, viaConnectedToMember: false }, null, NOW).reason).toBe('not_in_reach');
    expect(decideIntroductionForward(facts({ rel: { degree: 1 } }), { ...fwd, viaConnectedToAsker: false }, null, NOW).reason).toBe('not_in_reach');
    expect(decideIntroductionForward(facts({ rel: { degree: 1 } }), { ...fwd, askerHidden: true }, null, NOW).reason).toBe('recipient_unavailable');
    expect(decideIntroductionForward(facts({ rel: { degree: 1 } }), fwd, 'y'.repeat(301), NOW).reason).toBe('note_too_long');
    expect(decideIntroductionForward(facts({ viewer: { status: 'deactivated' }, rel: { degree: 1 } }), fwd, null, NOW).reason).toBe('sender_inactive');
  });
  it('delivery: a request on channel introduction; no tier reach needed; the settings apply', () => {
    expect(decideIntroductionDelivery(facts({ rel: { degree: 2 } }), NOW)).toEqual({
      allowed: true,
      reason: 'ok',
      channel: 'introduction',
      delivery: 'request',
      unlock: [],
    });
    expect(decideIntroductionDelivery(facts({ rel: { degree: 2 }, member: { settings: { messagesFrom: 'shared_connections' } } }), NOW).allowed).toBe(true);
    expect(decideIntroductionDelivery(facts({ rel: { degree: 3 }, member: { settings: { messagesFrom: 'shared_connections' } } }), NOW).reason).toBe(
      'recipient_settings',
    );
    expect(decideIntroductionDelivery(facts({ rel: { degree: 2 }, member: { settings: { messagesFrom: 'connections' } } }), NOW).reason).toBe(
      'recipient_settings',
    );
    expect(decideIntroductionDelivery(facts({ rel: { degree: 2, blockedByViewer: true } }), NOW).reason).toBe('recipient_unavailable');
  });
});
