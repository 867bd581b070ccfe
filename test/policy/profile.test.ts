/** DOMAIN.md 4: the primary button in its order, and the four action decisions of a Profile. */
import { describe, expect, it } from 'vitest';
import { decideProfile, primaryAction, profileActions, resolvePolicy, type PrimaryAction } from '../../src/policy/index.js';
import { facts, HIDDEN, NOW, paid, selfFacts, type FactsOver } from './fixtures.js';

describe('primary button, DOMAIN.md 4 in order', () => {
  const CAP = 30000;
  const rows: [string, FactsOver, PrimaryAction][] = [
    ['1. the viewer is the member', {}, 'none'],
    ['2. the member blocked the viewer', { rel: { blockedByMember: true, degree: 1 } }, 'none'],
    ['2. the viewer blocked the member', { rel: { blockedByViewer: true } }, 'none'],
    ['2. the member is deactivated', { member: { status: 'deactivated' } }, 'none'],
    ['2. the member is closed', { member: { status: 'closed' } }, 'none'],
    ['2. unknown handle', { member: null }, 'none'],
    ['3. connected (even with every later rule applying)', { rel: { degree: 1 }, member: { settings: { primaryAction: 'follow' } } }, 'message'],
    ['4. the viewer invited the member', { rel: { invitation: { direction: 'sent' } }, member: { settings: { primaryAction: 'message' } } }, 'pending'],
    ['4. the member invited the viewer', { rel: { invitation: { direction: 'received' } }, member: { settings: { primaryAction: 'message' } } }, 'accept'],
    [
      '4. the member invited the viewer, but is at the cap: rule 7',
      { rel: { invitation: { direction: 'received' } }, member: { connectionCount: CAP } },
      'message',
    ],
    [
      '4. the member invited the viewer, but the viewer is at the cap: rule 7',
      { rel: { invitation: { direction: 'received' } }, viewer: { connectionCount: CAP } },
      'follow',
    ],
    ['5. a page', { memberIsPage: true, member: { settings: { primaryAction: 'message' } } }, 'follow'],
    ['6. "show Message instead of Connect"', { member: { settings: { primaryAction: 'message' } }, viewer: { connectionCount: CAP } }, 'message'],
    ['6. "show Follow instead of Connect"', { member: { settings: { primaryAction: 'follow' }, connectionCount: CAP } }, 'follow'],
    ['7. the member is at the cap', { member: { connectionCount: CAP }, viewer: { connectionCount: CAP } }, 'message'],
    ['7. the viewer is at the cap', { viewer: { connectionCount: CAP } }, 'follow'],
    ['8. otherwise', { rel: { degree: 2 } }, 'connect'],
    ['a restricted member still sees the button (the decisions deny)', { viewer: { status: 'restricted' } }, 'connect'],
  ];
  it.each(rows)('%s → %s', (name, over, action) => {
    const f = name.startsWith('1.') ? selfFacts(over) : facts(over);
    expect(primaryAction(f)).toBe(action);
  });
  it('the cap comes from the policy', () => {
    expect(primaryAction(facts({ member: { connectionCount: 10 } }), resolvePolicy({ connectionCap: 10 }))).toBe('message');
  });
});

describe('profile actions', () => {
  it('a 2nd-degree stranger seen by a free member', () => {
    const f = facts({ rel: { degree: 2 } });
    const a = profileActions(f, NOW);
    expect(a.connect).toEqual({ allowed: true, reason: 'ok', unlock: [] });
    expect(a.message).toMatchObject({ allowed: false, reason: 'not_in_reach' });
    expect(a.inmail).toEqual({ allowed: false, reason: 'no_inmail_credits', unlock: [{ kind: 'upgrade', tier: 'career' }, { kind: 'connect' }] });
    expect(a.follow.allowed).toBe(true);
  });
  it('"Message · 1 InMail credit": a business member with credits, out of network', () => {
    const a = profileActions(facts({ viewer: paid('business'), quotas: { inmailBalance: 4 } }), NOW);
    expect(a.message.allowed).toBe(false);
    expect(a.inmail).toMatchObject({ allowed: true, channel: 'inmail', cost: { inmailCredits: 1 } });
  });
  it('a connection: message direct; InMail shows the free channel, no cost; connect already_connected', () => {
    const a = profileActions(facts({ rel: { degree: 1 }, quotas: { inmailBalance: 4 } }), NOW);
    expect(a.message).toMatchObject({ allowed: true, channel: 'direct' });
    expect(a.inmail).toEqual(a.message);
    expect(a.connect.reason).toBe('already_connected');
  });
  it('a page: follow, message as a request, no connect', () => {
    const p = decideProfile(facts({ memberIsPage: true }), NOW);
    expect(p.primaryAction).toBe('follow');
    expect(p.actions.message).toMatchObject({ allowed: true, channel: 'page', delivery: 'request' });
    expect(p.actions.connect.reason).toBe('pages_cannot_invite');
    expect(p.actions.follow.allowed).toBe(true);
  });
  it("one's own profile: none, every action self", () => {
    const p = decideProfile(selfFacts(), NOW);
    expect(p.primaryAction).toBe('none');
    for (const d of Object.values(p.actions)) expect(d).toEqual({ allowed: false, reason: 'self', unlock: [] });
  });
  it('a hidden member: none, every action recipient_unavailable, nothing else', () => {
    const p = decideProfile(facts({ rel: { blockedByMember: true, degree: 1 } }), NOW);
    expect(p.primaryAction).toBe('none');
    for (const d of Object.values(p.actions)) expect(d).toStrictEqual(HIDDEN);
  });
});
