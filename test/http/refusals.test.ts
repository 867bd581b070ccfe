/** From decisions to HTTP (src/http/refusals.ts): API.md "Conventions" status codes, and Retry-After from the policy. */
import { describe, expect, it } from 'vitest';
import {
  decideInvitation,
  decideMessage,
  deny,
  REASONS,
  retryAfterSeconds,
  startOfNextMonthUTC,
  charCount,
  hasNote,
  waitUntil,
} from '../../src/policy/index.js';
import { httpStatus, REASON_HTTP_STATUS, refusalAnswer } from '../../src/http/refusals.js';
import { Refusal } from '../../src/services/errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ago, DAY, facts, NOW } from '../policy/fixtures.js';

describe('REASON_HTTP_STATUS', () => {
  it('groups the reasons as API.md says', () => {
    const by = (s: number) => REASONS.filter((r) => REASON_HTTP_STATUS[r] === s).sort();
    expect(by(200)).toEqual(['ok']);
    expect(by(400)).toEqual(['note_too_long', 'too_long']);
    expect(by(404)).toEqual(['recipient_unavailable']);
    expect(by(429)).toEqual(['monthly_limit', 'note_limit', 'rate_limited', 'weekly_invitation_limit']);
    expect(by(403).length).toBe(REASONS.length - 8);
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

describe('refusalAnswer: the one way a refused decision becomes an HTTP answer', () => {
  it('a denial: status by reason, the reason as code, its sentence, its unlock', () => {
    const a = refusalAnswer(new Refusal(deny('not_in_reach', [{ kind: 'connect' }]), NOW));
    expect(a).toEqual({ status: 403, error: { code: 'not_in_reach', message: 'this member is out of your reach', unlock: [{ kind: 'connect' }] } });
  });
  it('a limit that waiting lifts: 429 with Retry-After until the wait ends, 60 s without a wait', () => {
    expect(refusalAnswer(new Refusal(deny('rate_limited', [waitUntil(new Date(NOW.getTime() + 30_000))]), NOW)).retryAfter).toBe(30);
    expect(refusalAnswer(new Refusal(deny('monthly_limit'), NOW)).retryAfter).toBe(60);
    expect(refusalAnswer(new Refusal(deny('not_in_reach'), NOW)).retryAfter).toBeUndefined();
  });
  it('a size rule: 400 naming the field, a message of its own when given', () => {
    const a = refusalAnswer(new Refusal(deny('too_long'), NOW, { field: 'subject' }, 'the subject is too long'));
    expect(a.status).toBe(400);
    expect(a.error).toEqual({ code: 'too_long', message: 'the subject is too long', unlock: [], details: { field: 'subject' } });
  });
});

describe('one refusal path', () => {
  it('no service or route builds an error from a reason code itself: every refusal carries its decision', () => {
    const src = join(dirname(fileURLToPath(import.meta.url)), '../../src');
    const found: string[] = [];
    for (const f of ['services', 'http', 'http/routes', 'realtime'].flatMap((d) =>
      readdirSync(join(src, d))
        .filter((n) => n.endsWith('.ts'))
        .map((n) => `${d}/${n}`),
    )) {
      const text = readFileSync(join(src, f), 'utf8');
      for (const m of text.matchAll(/new AppError\(\s*\d+,\s*'([a-z_]+)'/g)) if ((REASONS as readonly string[]).includes(m[1]!)) found.push(`${f}: ${m[1]}`);
      for (const m of text.matchAll(/new AppError\(\s*\d+,\s*d\.reason/g)) found.push(`${f}: ${m[0]}`);
    }
    expect(found).toEqual([]);
  });
});
