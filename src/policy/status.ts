/** From a decision to HTTP (API.md "Conventions"): the status of each reason, and Retry-After. */
import type { Decision, Reason } from './types.js';

/**
 * HTTP status of each reason: 200 ok; 400 a size rule (`note_too_long`, `too_long`); 404 a member
 * who does not exist for the caller; 429 a limit that waiting lifts (`rate_limited` and the quotas:
 * weekly invitations, monthly notes, monthly conversations), sent with Retry-After; 403 every other
 * policy denial.
 */
export const REASON_HTTP_STATUS: Readonly<Record<Reason, number>> = Object.freeze({
  ok: 200,
  self: 403,
  sender_restricted: 403,
  sender_inactive: 403,
  recipient_unavailable: 404,
  recipient_settings: 403,
  not_in_reach: 403,
  no_inmail_credits: 403,
  inmail_not_accepted: 403,
  connection_cap: 403,
  recipient_connection_cap: 403,
  invitation_pending: 403,
  already_connected: 403,
  withdraw_cooldown: 403,
  weekly_invitation_limit: 429,
  note_limit: 429,
  note_too_long: 400,
  email_required: 403,
  pages_cannot_invite: 403,
  awaiting_response: 403,
  monthly_limit: 429,
  bulk_flagged: 403,
  too_long: 400,
  rate_limited: 429,
  reblock_cooldown: 403,
  pages_cannot_ignore: 403,
  request_not_accepted: 403,
  introductions_paused: 429,
});

/** The HTTP status for a decision. */
export function httpStatus(decision: Decision): number {
  return REASON_HTTP_STATUS[decision.reason];
}

/**
 * Seconds until the earliest `wait` unlock of a decision (at least 1), for a Retry-After header;
 * `null` when the decision has no wait.
 */
export function retryAfterSeconds(decision: Decision, now: Date): number | null {
  const waits = decision.unlock.flatMap((u) => (u.kind === 'wait' ? [Date.parse(u.until)] : []));
  if (waits.length === 0) return null;
  return Math.max(1, Math.ceil((Math.min(...waits) - now.getTime()) / 1000));
}
