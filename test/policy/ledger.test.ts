/** The remaining numeric rules of DOMAIN.md 3, 5 and 7 as small pure helpers. */
import { describe, expect, it } from 'vitest';
import {
  attachmentTooLarge,
  DEFAULT_POLICY as P,
  DEFAULT_SETTINGS,
  grantInmailCredits,
  inmailBalanceCap,
  inmailRefund,
  invitationExpired,
  isBulkSending,
  shouldRestrict,
  showReadReceipts,
  showTypingIndicators,
  type Tier,
} from '../../src/policy/index.js';
import { ago, DAY, EARLIER, LATER, NOW } from './fixtures.js';

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
