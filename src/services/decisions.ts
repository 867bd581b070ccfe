/** From a policy Decision to the error a refused verb throws (API.md error shape, status by reason). */
import { httpStatus, retryAfterSeconds } from '../policy/status.js';
import type { Decision, Reason } from '../policy/types.js';
import { AppError } from './errors.js';

const MESSAGES: Partial<Record<Reason, string>> = {
  self: 'you cannot do that to yourself',
  sender_restricted: 'your account is restricted: you may read but not send',
  sender_inactive: 'your account is not active',
  recipient_unavailable: 'that member is not available',
  recipient_settings: "the member's settings do not allow this",
  not_in_reach: 'the member is outside your reach',
  no_inmail_credits: 'you have no InMail credits',
  inmail_not_accepted: 'the member does not accept InMail',
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
  awaiting_response: 'wait for a response before sending more',
  monthly_limit: 'you reached the monthly limit',
  bulk_flagged: 'your account is flagged for bulk messaging until it is reviewed',
  too_long: 'the text is too long',
  rate_limited: 'too many messages: slow down',
  reblock_cooldown: 'you unblocked this member recently',
  pages_cannot_ignore: 'requests to a page cannot be ignored',
  request_not_accepted: 'accept the request before replying',
  introductions_paused: 'this member is not taking introduction requests from you for now',
};

/** The error for a refused decision: its status, its reason as code, its unlock and Retry-After. */
export function refusal(d: Decision, now: Date): AppError {
  const retry = retryAfterSeconds(d, now);
  return new AppError(httpStatus(d), d.reason, MESSAGES[d.reason] ?? d.reason, {
    unlock: d.unlock,
    retryAfter: httpStatus(d) === 429 ? (retry ?? 60) : undefined,
  });
}

/** Throws the refusal when the decision is a denial. */
export function enforce(d: Decision, now: Date): void {
  if (!d.allowed) throw refusal(d, now);
}
