/** From decisions to HTTP: API.md "Conventions" status codes and Retry-After. */
import { describe, expect, it } from 'vitest';
import {
  decideInvitation,
  decideMessage,
  deny,
  httpStatus,
  REASON_HTTP_STATUS,
  REASONS,
  retryAfterSeconds,
  startOfNextMonthUTC,
  charCount,
  hasNote,
  waitUntil,
} from '../../src/policy/index.js';
import { ago, DAY, facts, NOW } from './fixtures.js';

describe('REASON_HTTP_STATUS', () => {
  it('groups the reasons as API.md says', () => {
    const by = (s: number) => REASONS.filter((r) => REASON_HTTP_STATUS[r] === s).sort();
    expect(by(200)).toEqual(['ok']);
    expect(by(400)).toEqual(['note_too_long', 'too_long']);
    expect(by(404)).toEqual(['recipient_unavailable']);
    expect(by(429)).toEqual(['introductions_paused', 'monthly_limit', 'note_limit', 'rate_limited', 'weekly_invitation_limit']);
    expect(by(403).length).toBe(REASONS.length - 9);
  });
  it('httpStatus reads the table', () => {
    expect(httpStatus(deny('rate_limited'))).toBe(429);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least 1', () => {
    const d = decideMessage(facts({ rel: { degree: 1 }, quotas: { messagesLastMinute: 30, oldestMessageLastMinuteAt: ago(30_500) } }), {}, NOW);
    expect(retryAfterSeconds(d, NOW)).toBe(30);
    expect(retryAfterSeconds(deny('rate_limited', [waitUntil(NOW)]), NOW)).toBe(1);
  });
  it('takes the earliest wait', () => {
    const d = deny('monthly_limit', [waitUntil(new Date(NOW.getTime() + 10_000)), waitUntil(new Date(NOW.getTime() + 5_000))]);
    expect(retryAfterSeconds(d, NOW)).toBe(5);
  });
  it('null without a wait', () => {
    expect(retryAfterSeconds(deny('not_in_reach', [{ kind: 'connect' }]), NOW)).toBeNull();
  });
  it('a weekly limit frees a slot when the oldest invitation leaves the 7 days', () => {
    const d = decideInvitation(facts({ quotas: { invitationsLast7Days: 100, oldestInvitationLast7DaysAt: ago(7 * DAY - 90_000) } }), {}, NOW);
    expect(retryAfterSeconds(d, NOW)).toBe(90);
  });
  it('no wait when the oldest is unknown', () => {
    const d = decideInvitation(facts({ quotas: { invitationsLast7Days: 100 } }), {}, NOW);
    expect(d).toEqual({ allowed: false, reason: 'weekly_invitation_limit', unlock: [] });
  });
});

describe('small helpers', () => {
  it('startOfNextMonthUTC', () => {
    expect(startOfNextMonthUTC(new Date('2025-01-31T23:00:00-05:00')).toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(startOfNextMonthUTC(new Date('2024-02-29T00:00:00Z')).toISOString()).toBe('2024-03-01T00:00:00.000Z');
  });
  it('charCount counts code points; hasNote ignores blanks', () => {
    expect(charCount('a😀b')).toBe(3);
    expect(hasNote(null)).toBe(false);
    expect(hasNote(undefined)).toBe(false);
    expect(hasNote(' \n')).toBe(false);
    expect(hasNote('hi')).toBe(true);
  });
  it('deny removes duplicate unlocks, keeping order', () => {
    expect(deny('not_in_reach', [{ kind: 'connect' }, { kind: 'inmail', credits: 1 }, { kind: 'connect' }]).unlock).toEqual([
      { kind: 'connect' },
      { kind: 'inmail', credits: 1 },
    ]);
  });
});
