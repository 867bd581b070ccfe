/**
 * The one refusal path (API.md "Conventions"): a service that the policy refuses throws a Refusal
 * carrying the decision; here, and only here, it becomes an HTTP answer: the status of its reason,
 * its message, its unlock list and, for a limit that waiting lifts, Retry-After.
 */
import { retryAfterSeconds, type Decision, type Reason } from '../policy/index.js';
import type { Refusal } from '../services/errors.js';

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
  introductions_paused: 403,
  premium_only: 403,
});

/** The HTTP status for a decision. */
export function httpStatus(decision: Decision): number {
  return REASON_HTTP_STATUS[decision.reason];
}

/** What a refusal says, by reason: one sentence each (API.md's error `message`). */
const MESSAGES: Readonly<Record<Exclude<Reason, 'ok'>, string>> = Object.freeze({
  self: 'you cannot do that to yourself',
  sender_restricted: 'your account is restricted: you may read but not send',
  sender_inactive: 'your account is not active',
  recipient_unavailable: 'this member is not available',
  recipient_settings: "this member's settings do not allow this",
  not_in_reach: 'this member is out of your reach',
  no_inmail_credits: 'you have no InMail credits to spend',
  inmail_not_accepted: 'this member does not accept InMail',
  connection_cap: 'you are at the connection limit',
  recipient_connection_cap: 'the member is at the connection limit',
  invitation_pending: 'an invitation is already pending',
  already_connected: 'you are already connected',
  withdraw_cooldown: 'you withdrew an invitation to this member recently',
  weekly_invitation_limit: 'you reached the weekly invitation limit',
  note_limit: 'you reached the monthly limit of invitations with a note',
  note_too_long: 'the note is too long',
  email_required: "enter the member's e-mail address to invite them",
  pages_cannot_invite: 'pages neither send nor receive invitations',
  awaiting_response: 'your request is pending: wait for a response before writing again',
  monthly_limit: 'you reached the monthly limit',
  bulk_flagged: 'your account is flagged for bulk messaging until it is reviewed',
  too_long: 'the text is too long',
  rate_limited: 'too many messages: slow down',
  reblock_cooldown: 'you unblocked this member recently',
  pages_cannot_ignore: 'requests to a page cannot be ignored: accept or delete it',
  request_not_accepted: 'accept the message request before replying',
  introductions_paused: 'this member is not taking introduction requests from you for now',
  premium_only: 'Open Profile is for premium members',
});

/** Seconds a 429 without a `wait` unlock tells the client to wait. */
const DEFAULT_RETRY_AFTER_S = 60;

/** The HTTP answer of a refusal: status, API.md's error body, and Retry-After for a 429. */
export function refusalAnswer(r: Refusal): {
  status: number;
  error: { code: string; message: string; unlock: Decision['unlock']; details?: Record<string, unknown> };
  retryAfter?: number;
} {
  const d = r.decision;
  const status = httpStatus(d);
  const message = d.reason === 'ok' ? 'refused' : MESSAGES[d.reason];
  const error = { code: d.reason, message: r.message || message, unlock: d.unlock, ...(r.details ? { details: r.details } : {}) };
  return status === 429 ? { status, error, retryAfter: r.retryAfterSeconds ?? retryAfterSeconds(d, r.at) ?? DEFAULT_RETRY_AFTER_S } : { status, error };
}
