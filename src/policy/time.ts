/** Time arithmetic for windows and quotas. Units only (a minute, a day): every rule's number is in the policy. */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** "a rolling 7 days" (policy key invitationsPerWeek). */
export const WEEK_MS = 7 * DAY_MS;

export function addMs(at: Date, ms: number): Date {
  return new Date(at.getTime() + ms);
}

/** 00:00 UTC on the 1st of `now`'s calendar month: where a monthly quota's count begins. */
export function startOfMonthUTC(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** 00:00 UTC on the 1st of the calendar month after `now`'s: when a monthly quota starts again. */
export function startOfNextMonthUTC(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/** Whether `now` is still before `since + ms`. */
export function within(since: Date | null, ms: number, now: Date): boolean {
  return since !== null && now.getTime() < since.getTime() + ms;
}

/** Length in characters (Unicode code points), as a member counts them. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** A session unused for the policy's `sessionIdleDays` has ended: the last use that still counts. */
export function sessionIdleCutoff(now: Date, policy: { sessionIdleDays: number }): Date {
  return new Date(now.getTime() - policy.sessionIdleDays * DAY_MS);
}
