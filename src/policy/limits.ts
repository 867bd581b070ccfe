/**
 * The limits of DOMAIN.md 3 and 5 as small pure checks, and the `wait` unlocks that give the exact
 * instant a window frees a slot. Every number comes from the policy; windows are computed from
 * timestamps the service passes and `now`.
 */
import type { Policy } from './policy.js';
import { addMs, charCount, DAY_MS, MINUTE_MS, startOfNextMonthUTC, WEEK_MS, within } from './time.js';
import type { Unlock } from './types.js';

/** `wait` until an instant. */
export function waitUntil(at: Date): Unlock {
  return { kind: 'wait', until: at.toISOString() };
}

/** `wait` until the 1st of next month 00:00 UTC, when every monthly quota starts again. */
export function waitNextMonth(now: Date): Unlock[] {
  return [waitUntil(startOfNextMonthUTC(now))];
}

/**
 * `wait` for a rolling window: the oldest event in the window leaves it at `oldest + windowMs`.
 * No unlock when the oldest is unknown (e.g. a limit of 0 that no waiting lifts).
 */
export function waitWindow(oldest: Date | null, windowMs: number): Unlock[] {
  return oldest === null ? [] : [waitUntil(addMs(oldest, windowMs))];
}

/** `wait` for a cooldown that started at `since` (nothing when it is not running). */
export function waitCooldown(since: Date | null, ms: number, now: Date): Unlock[] {
  return since !== null && within(since, ms, now) ? [waitUntil(addMs(since, ms))] : [];
}

/** A quota is used up when its count reached the limit. */
export function exhausted(count: number, limit: number): boolean {
  return count >= limit;
}

/** The text is longer than `max` characters (`undefined`/`null` text is never too long). */
export function longerThan(text: string | null | undefined, max: number): boolean {
  return text !== undefined && text !== null && charCount(text) > max;
}

/** A message's size rule (`too_long`): an InMail has its own subject and body maxima. */
export function messageTooLong(attempt: { body?: string; subject?: string | null }, inmail: boolean, policy: Policy): boolean {
  if (inmail) {
    return longerThan(attempt.body, policy.inmailBodyMaxChars) || longerThan(attempt.subject, policy.inmailSubjectMaxChars);
  }
  return longerThan(attempt.body, policy.messageMaxChars);
}

/** A body longer than every channel allows (DOMAIN.md 5): refused `too_long` whatever the channel. */
export function tooLongForAnyChannel(body: string, policy: Policy): boolean {
  return longerThan(body, Math.max(policy.messageMaxChars, policy.inmailBodyMaxChars));
}

/** A note is attached when it has any non-blank character (DOMAIN.md 3: a note of only whitespace is no note). */
export function hasNote(note: string | null | undefined): note is string {
  return note !== undefined && note !== null && !isBlank(note);
}

/**
 * A text of only whitespace (every Unicode White_Space character: `String.prototype.trim` keeps
 * U+0085 NEXT LINE; found by a member) and invisible characters (Default_Ignorable_Code_Point: a
 * zero-width space, a word joiner, a soft hyphen; found by two members), or empty: no note, no
 * message body.
 */
export function isBlank(text: string): boolean {
  return /^[\s\p{White_Space}\p{Default_Ignorable_Code_Point}]*$/u.test(text);
}

/** The note as stored: `null` when it is no note. */
export function noteOf(note: string | null | undefined): string | null {
  return hasNote(note) ? note : null;
}

/**
 * What "the same text" means for bulk detection (DOMAIN.md 5): case, all whitespace and invisible
 * characters ignored: Unicode format characters (zero-width spaces, direction marks and overrides)
 * and every other character Unicode says to render invisibly (Default_Ignorable_Code_Point:
 * variation selectors, the combining grapheme joiner, Hangul fillers; a member slipped past the
 * bulk rule with those).
 */
export function sameTextKey(text: string): string {
  // Whitespace and invisibles go before the case does: lower-casing a capital sigma depends on
  // whether a letter follows it (Σ → ς at a word's end), so where the spaces fell changed the letters;
  // upper then lower case folds ς and σ (and ß and SS) alike (found by a member).
  return text
    .normalize('NFKC')
    .replace(/[\s\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}]+/gu, '')
    .toUpperCase()
    .toLowerCase();
}

/** A pending invitation expires `invitationExpiryDays` after it was sent. */
export function invitationExpired(createdAt: Date, now: Date, policy: Policy): boolean {
  return createdAt.getTime() <= invitationExpiryCutoff(now, policy).getTime();
}

/** The same rule for a query: invitations sent at or before this instant have expired by `now`. */
export function invitationExpiryCutoff(now: Date, policy: Policy): Date {
  return new Date(now.getTime() - policy.invitationExpiryDays * DAY_MS);
}

/**
 * The same text sent to `bulkRecipientsThreshold` or more distinct non-connections within 24
 * hours flags the sender as bulk (the service counts them).
 */
/** How far back the same text counts toward bulk sending. */
export const BULK_WINDOW_MS = DAY_MS;

export function isBulkSending(sameTextNonConnectionRecipients24h: number, policy: Policy): boolean {
  return exhausted(sameTextNonConnectionRecipients24h, policy.bulkRecipientsThreshold);
}

/**
 * The rolling windows of the sender quotas (the counts the policy reads in QuotaFacts): invitations
 * in any 7 days (DOMAIN.md 3), "I don't know this person" reports in 90 days (DOMAIN.md 3),
 * messages a minute (DOMAIN.md 8). An item counts while `now` is less than this after it.
 */
export const INVITATION_WINDOW_MS = WEEK_MS;
export const IDK_REPORT_WINDOW_MS = 90 * DAY_MS;
export const MESSAGE_RATE_WINDOW_MS = MINUTE_MS;

/** The window in which reports count toward restriction (DOMAIN.md 5: "in 30 days"). */
export const REPORT_WINDOW_MS = 30 * DAY_MS;

/**
 * How many distinct members made these reports (DOMAIN.md 5: "by 3 distinct members"). A page's
 * report is made by a person for it: each reporter (a person, or a page) counts only with a person
 * of its own who made one of its reports, no person twice. So one person reporting as themself and
 * as their pages counts once, and the admins of one page reporting as it count once (each alone
 * would let one person, or one page with two helpers, restrict anyone who wrote to it: found by a
 * member). The count is the largest such pairing (a bipartite matching), so a further report never
 * lowers it (found by a reviewer: joining reporters into groups did).
 */
export function distinctReporters(reports: readonly { reporter: number; author: number | null }[]): number {
  const madeBy = new Map<number, Set<number>>();
  for (const { reporter, author } of reports) {
    let people = madeBy.get(reporter);
    if (!people) madeBy.set(reporter, (people = new Set()));
    people.add(author ?? reporter);
  }
  const pairedWith = new Map<number, number>(); // person -> the reporter counted with them
  const pair = (reporter: number, seen: Set<number>): boolean => {
    for (const person of madeBy.get(reporter)!) {
      if (seen.has(person)) continue;
      seen.add(person);
      const other = pairedWith.get(person);
      if (other === undefined || pair(other, seen)) {
        pairedWith.set(person, reporter);
        return true;
      }
    }
    return false;
  };
  let n = 0;
  for (const reporter of madeBy.keys()) if (pair(reporter, new Set())) n++;
  return n;
}

/** Reports for spam or harassment by `reportsToRestrict` distinct members in 30 days restrict the member. */
export function shouldRestrict(distinctReportersLast30Days: number, policy: Policy): boolean {
  return exhausted(distinctReportersLast30Days, policy.reportsToRestrict);
}

/**
 * Does a report count toward restriction (DOMAIN.md 5)? Only spam or harassment, only when the
 * reported member wrote to the reporter in that conversation before the report, and only from a
 * reporter whose account is at least `reportMinAccountAgeDays` old. Every report still reaches the
 * moderators.
 */
export function reportCounts(report: { reason: string; reportedWroteToReporter: boolean; reporterSince: Date }, now: Date, policy: Policy): boolean {
  return (
    (report.reason === 'spam' || report.reason === 'harassment') &&
    report.reportedWroteToReporter &&
    now.getTime() - report.reporterSince.getTime() >= policy.reportMinAccountAgeDays * DAY_MS
  );
}

/** An attachment larger than `attachmentMaxBytes`. */
export function attachmentTooLarge(bytes: number, policy: Policy): boolean {
  return bytes > policy.attachmentMaxBytes;
}
