/** The remaining numeric rules of DOMAIN.md 3, 5 and 7 as small pure helpers. */
import { describe, expect, it } from 'vitest';
import {
  attachmentTooLarge,
  decideAcceptInvitation,
  DEFAULT_POLICY as P,
  DEFAULT_SETTINGS,
  grantInmailCredits,
  inmailBalanceCap,
  inmailRefund,
  invitationExpired,
  isBulkSending,
  monthlyGrantDates,
  noteOf,
  isBlank,
  tooLongForAnyChannel,
  reportCounts,
  sameTextKey,
  shouldRestrict,
  distinctReporters,
  spendableCredits,
  spendPool,
  tierChangeGrant,
  showReadReceipts,
  showTypingIndicators,
  mayTellTyping,
  type Tier,
} from '../../src/policy/index.js';
import { ago, DAY, EARLIER, facts, LATER, NOW } from './fixtures.js';

const holder = (tier: Tier, tierUntil: Date | null = LATER) => ({ kind: 'person' as const, tier, tierUntil });

describe('InMail credits: grants, rollover, refunds', () => {
  it.each([
    ['career, empty', holder('career'), 0, 5],
    ['career, 12 left: capped at 3 months (15)', holder('career'), 12, 15],
    ['business, 40 left: capped at 45', holder('business'), 40, 45],
    ['sales_navigator, 0', holder('sales_navigator'), 0, 50],
    ['free: nothing', holder('free', null), 3, 3],
    ['lapsed: nothing', holder('business', EARLIER), 7, 7],
    ['above the cap after a downgrade: kept', holder('career'), 100, 100],
  ] as const)('%s', (_n, m, balance, after) => {
    expect(grantInmailCredits(m, balance, NOW, P)).toBe(after);
  });
  it('the cap is monthly × rollover months', () => {
    expect(inmailBalanceCap('sales_navigator', P)).toBe(150);
    expect(inmailBalanceCap('free', P)).toBe(0);
  });
  it.each([
    [NOW, null, 0],
    [ago(90 * DAY), NOW, 1],
    [ago(90 * DAY + 1), NOW, 0],
    [NOW, ago(1), 0],
  ] as const)('sent %s, replied %s → refund %i', (sent, replied, n) => {
    expect(inmailRefund(sent, replied, P)).toBe(n);
  });
});

describe('expiry, bulk, restriction, attachments, two-sided settings', () => {
  it('an invitation expires 180 days after it was sent', () => {
    expect(invitationExpired(ago(180 * DAY - 1), NOW, P)).toBe(false);
    expect(invitationExpired(ago(180 * DAY), NOW, P)).toBe(true);
  });
  it('10 recipients of the same text flag bulk; 3 reporters restrict', () => {
    expect([isBulkSending(9, P), isBulkSending(10, P)]).toEqual([false, true]);
    expect([shouldRestrict(2, P), shouldRestrict(3, P)]).toEqual([false, true]);
  });
  it('distinct reporters: a page and the persons who reported for it are one member', () => {
    const own = (reporter: number) => ({ reporter, author: null });
    const asPage = (page: number, person: number) => ({ reporter: page, author: person });
    expect(distinctReporters([own(1), own(2), own(3)])).toBe(3);
    // three admins of page 10 reporting as it: one reporter (found by a member)
    expect(distinctReporters([asPage(10, 1), asPage(10, 2), asPage(10, 3)])).toBe(1);
    // one person as themself and as three pages: one reporter
    expect(distinctReporters([own(1), asPage(10, 1), asPage(11, 1), asPage(12, 1)])).toBe(1);
    // a page's admin reporting alone too, beside two others
    expect(distinctReporters([asPage(10, 1), own(1), own(2), asPage(11, 3)])).toBe(3);
    expect(distinctReporters([])).toBe(0);
    // three persons reporting, two of whom also report as a page they run: still three (a further
    // report never lowers the count: found by a reviewer)
    expect(distinctReporters([own(1), own(2), own(3), asPage(10, 1), asPage(10, 2)])).toBe(3);
    expect(distinctReporters([asPage(10, 1), asPage(10, 2), own(1), own(2), own(3)])).toBe(3);
  });
  it('attachments up to 20 MB', () => {
    expect([attachmentTooLarge(20971520, P), attachmentTooLarge(20971521, P)]).toEqual([false, true]);
  });
  it('typing indicators and read receipts need both sides', () => {
    const off = { ...DEFAULT_SETTINGS, typingIndicators: false, readReceipts: false };
    expect(showTypingIndicators(DEFAULT_SETTINGS, DEFAULT_SETTINGS)).toBe(true);
    expect(showTypingIndicators(DEFAULT_SETTINGS, off)).toBe(false);
    expect(showReadReceipts(off, DEFAULT_SETTINGS)).toBe(false);
    expect(showReadReceipts(DEFAULT_SETTINGS, DEFAULT_SETTINGS)).toBe(true);
  });
});

describe('InMail credits: when a grant is due, which pool a spend uses (DOMAIN.md 1, 5)', () => {
  it.each([
    ['a paid tier starts', holder('free', null), holder('career'), 'start'],
    ['a lapsed tier starts again', holder('business', EARLIER), holder('business'), 'start'],
    ['an upgrade to a larger monthly amount', holder('business'), holder('sales_navigator'), 'upgrade'],
    ['a renewal (same tier, later end)', holder('career'), holder('career', new Date('2027-01-01T00:00:00Z')), null],
    ['a downgrade', holder('sales_navigator'), holder('career'), null],
    ['back to free', holder('career'), holder('free', null), null],
    ['a paid tier that already ended', holder('free', null), holder('career', EARLIER), null],
  ] as const)('%s → %s', (_n, before, after, kind) => {
    expect(tierChangeGrant(before, after, NOW, P)).toBe(kind);
  });
  it('monthly grants fall on the 1st of each month after the change, while the tier lasts', () => {
    const since = new Date('2025-01-10T00:00:00Z');
    expect(monthlyGrantDates(holder('career'), since, NOW).map((d) => d.toISOString())).toEqual(['2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z']);
    expect(monthlyGrantDates(holder('career', new Date('2025-02-15T00:00:00Z')), since, NOW)).toHaveLength(1);
    expect(monthlyGrantDates(holder('free', null), since, NOW)).toEqual([]);
    // exactly on the 1st: the change's own grant covers it
    expect(monthlyGrantDates(holder('career'), new Date('2025-03-01T00:00:00Z'), NOW)).toEqual([]);
  });
  it.each([
    ['tier credits first', holder('career'), { tier: 2, purchased: 5 }, 'tier'],
    ['then purchased', holder('career'), { tier: 0, purchased: 5 }, 'purchased'],
    ['a lapsed tier spends only purchased', holder('career', EARLIER), { tier: 9, purchased: 1 }, 'purchased'],
    ['free with purchased credits', holder('free', null), { tier: 0, purchased: 1 }, 'purchased'],
    ['nothing to spend', holder('career', EARLIER), { tier: 9, purchased: 0 }, null],
  ] as const)('%s', (_n, m, pools, pool) => {
    expect(spendPool(m, pools, NOW)).toBe(pool);
  });
  it('spendable credits: the whole balance on a paid tier, the purchased part otherwise', () => {
    expect(spendableCredits(holder('career'), 7, NOW, 2)).toBe(7);
    expect(spendableCredits(holder('career', EARLIER), 7, NOW, 2)).toBe(2);
    expect(spendableCredits(holder('free', null), 3, NOW, 3)).toBe(3);
  });
});

describe('reports, notes and "the same text"', () => {
  const old = ago(8 * DAY);
  it.each([
    ['spam from someone they wrote to', { reason: 'spam', reportedWroteToReporter: true, reporterSince: old }, true],
    ['harassment, likewise', { reason: 'harassment', reportedWroteToReporter: true, reporterSince: old }, true],
    ['other never counts', { reason: 'other', reportedWroteToReporter: true, reporterSince: old }, false],
    ['the reported member never wrote to the reporter', { reason: 'spam', reportedWroteToReporter: false, reporterSince: old }, false],
    ['a reporter younger than 7 days', { reason: 'spam', reportedWroteToReporter: true, reporterSince: ago(6 * DAY) }, false],
  ] as const)('%s → counts %s', (_n, report, counts) => {
    expect(reportCounts(report, NOW, P)).toBe(counts);
  });
  it('reportMinAccountAgeDays comes from the policy', () => {
    expect(reportCounts({ reason: 'spam', reportedWroteToReporter: true, reporterSince: NOW }, NOW, { ...P, reportMinAccountAgeDays: 0 })).toBe(true);
  });
  it('a note of only whitespace is no note', () => {
    expect(noteOf('  \n\t ')).toBeNull();
    expect(noteOf('')).toBeNull();
    expect(noteOf(null)).toBeNull();
    expect(noteOf(' hi ')).toBe(' hi ');
    // every Unicode White_Space character (trim keeps U+0085 NEXT LINE: found by a member)
    expect(noteOf(' \u0085 \u00A0\u2028\u3000')).toBeNull();
    expect(isBlank('\u0085')).toBe(true);
    expect(isBlank('\u0085x')).toBe(false);
    // invisible characters alone are no text either (found by two members)
    for (const invisible of ['\u200b', ' \u200b\u2060 ', '\ufeff', '\u00ad', '\u200d\u200c', '\u3164'])
      expect(isBlank(invisible), JSON.stringify(invisible)).toBe(true);
    expect(isBlank('\u200bx')).toBe(false);
    expect(isBlank('👩\u200d💻')).toBe(false);
  });
  it('a body too long for every channel: past the longer of the message and InMail limits', () => {
    const max = Math.max(P.messageMaxChars, P.inmailBodyMaxChars);
    expect(tooLongForAnyChannel('x'.repeat(max), P)).toBe(false);
    expect(tooLongForAnyChannel('x'.repeat(max + 1), P)).toBe(true);
    expect(tooLongForAnyChannel('x'.repeat(max + 1), { ...P, inmailBodyMaxChars: max + 1 })).toBe(false);
  });
  it('the same text ignores case, all whitespace and invisible characters', () => {
    const k = sameTextKey('Hello  World');
    expect(sameTextKey('hello world')).toBe(k);
    expect(sameTextKey('HelloWorld')).toBe(k);
    expect(sameTextKey('Hel\u200Blo\u202E World\u200E')).toBe(k);
    // invisible characters that are not format characters (a member got past the bulk rule with them)
    for (const c of ['\u034F', '\uFE0F', '\u3164', '\u115F', '\u17B5', '\u180B']) expect(sameTextKey(`Hello${c} World${c.repeat(3)}`)).toBe(k);
    expect(sameTextKey('Hello Word')).not.toBe(k);
    expect(sameTextKey('Hello\u0085World'), 'U+0085 is whitespace').toBe(k);
    // a capital sigma lower-cases by what follows it: where the spaces fall must not change the letters
    expect(sameTextKey('ΟΔΟΣ ΟΔΟΣ')).toBe(sameTextKey('ΟΔΟΣΟΔΟΣ'));
    expect(sameTextKey('ΟΔΟΣ')).toBe(sameTextKey('οδοσ'));
    expect(sameTextKey('οδος')).toBe(sameTextKey('ΟΔΟΣ'));
    expect(sameTextKey('Straße')).toBe(sameTextKey('STRASSE'));
  });
});

describe('accepting an invitation (DOMAIN.md 1, 4.4)', () => {
  it('a restricted member may accept; a deactivated one may not; the caps apply, the viewer cap with remove_connection', () => {
    expect(decideAcceptInvitation(facts({ viewer: { status: 'restricted' }, rel: { invitation: { direction: 'received' } } }), NOW).allowed).toBe(true);
    expect(decideAcceptInvitation(facts({ viewer: { status: 'deactivated' } }), NOW).reason).toBe('sender_inactive');
    expect(decideAcceptInvitation(facts({ viewer: { connectionCount: P.connectionCap } }), NOW)).toEqual({
      allowed: false,
      reason: 'connection_cap',
      unlock: [{ kind: 'remove_connection' }],
    });
    expect(decideAcceptInvitation(facts({ member: { connectionCount: P.connectionCap } }), NOW).reason).toBe('recipient_connection_cap');
  });
});

describe('inviting back is accepting (model finding 1)', () => {
  it('a restricted member is shown Connect allowed for an invitation they received, and may invite back', async () => {
    const { decideInvitation, decideProfile } = await import('../../src/policy/index.js');
    const f = facts({ viewer: { status: 'restricted' }, rel: { invitation: { direction: 'received' } } });
    expect(decideInvitation(f, {}, NOW).allowed).toBe(true);
    expect(decideProfile(f, NOW).actions.connect).toEqual({ allowed: true, reason: 'ok', unlock: [] });
    expect(decideInvitation(facts({ viewer: { status: 'restricted' } }), {}, NOW).reason).toBe('sender_restricted');
  });
});

describe('typing reaches the other side only where the rules allow (DOMAIN.md 7)', () => {
  const active = { status: 'active', settings: DEFAULT_SETTINGS };
  const base = {
    actorId: 1,
    conversation: { starterId: 1, recipientId: 2, state: 'active', ignoredBy: new Set<number>() },
    blockedEitherWay: false,
    actor: active,
    other: active,
  };
  it.each([
    ['an accepted conversation, both on', {}, true],
    ['no such conversation', { conversation: null }, false],
    ['not a participant', { actorId: 3 }, false],
    ['the recipient of a pending request', { actorId: 2, conversation: { ...base.conversation, state: 'request' } }, false],
    ['the starter of a pending request', { conversation: { ...base.conversation, state: 'request' } }, true],
    ['the other ignored it', { conversation: { ...base.conversation, ignoredBy: new Set([2]) } }, false],
    ['a block either way', { blockedEitherWay: true }, false],
    ['the other deactivated', { other: { ...active, status: 'deactivated' } }, false],
    ['the other has typing indicators off', { other: { ...active, settings: { ...DEFAULT_SETTINGS, typingIndicators: false } } }, false],
  ])('%s', (_name, change, expected) => {
    expect(mayTellTyping({ ...base, ...change })).toBe(expected);
  });
});
