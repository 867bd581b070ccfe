/**
 * The vocabularies of the API (API.md "Types" and "Conventions"): reason codes, error codes and
 * notification kinds. Plain constants, imported by src/policy (which decides with them), the
 * services, the HTTP layer, the typed client and the web UI: each list is written here only.
 */

/** Every reason code a decision can carry: API.md's list, plus `request_not_accepted` (see below). */
export const REASONS = [
  'ok',
  'self',
  'sender_restricted',
  'sender_inactive',
  'recipient_unavailable',
  'recipient_settings',
  'not_in_reach',
  'no_inmail_credits',
  'inmail_not_accepted',
  'connection_cap',
  'recipient_connection_cap',
  'invitation_pending',
  'already_connected',
  'withdraw_cooldown',
  'weekly_invitation_limit',
  'note_limit',
  'note_too_long',
  'email_required',
  'pages_cannot_invite',
  'awaiting_response',
  'monthly_limit',
  'bulk_flagged',
  'too_long',
  'rate_limited',
  'reblock_cooldown',
  'pages_cannot_ignore',
  /**
   * Not in API.md's list (which says "at least"): the recipient of a pending message request
   * writing into it before accepting it (DOMAIN.md 5: "The recipient cannot reply before accepting").
   */
  'request_not_accepted',
  /** DOMAIN.md 11: the asked member declined 3 asks from the asker within 30 days: no asks for 90 days. */
  'introductions_paused',
  /** Not in API.md's list: a setting only a premium member may turn on (DOMAIN.md 7: `openProfile` (premium only)). */
  'premium_only',
] as const;
export type Reason = (typeof REASONS)[number];

/**
 * The codes an error answer carries besides a decision's reason (API.md "Conventions"), and the
 * few this server adds in the same style.
 */
export const ERROR_ONLY_CODES = [
  'invalid_request',
  'unauthenticated',
  'forbidden',
  'forbidden_origin',
  'wrong_password',
  'not_found',
  'method_not_allowed',
  'not_acceptable',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'unsupported_attachment_type',
  'storage_quota',
  'service_unavailable',
  'insufficient_storage',
  'internal',
] as const;
/** Every `error.code` the API answers: a denial's reason or one of ERROR_ONLY_CODES (`ok` never leaves as an error). */
export type ErrorCode = Reason | (typeof ERROR_ONLY_CODES)[number];
export const ERROR_CODES: readonly ErrorCode[] = [...REASONS, ...ERROR_ONLY_CODES];

/** API.md `Notification.kind`, in the order settings list them. */
export const NOTIFICATION_KINDS = [
  'invitation.received',
  'invitation.accepted',
  'request.received',
  'inmail.received',
  'page.request',
  'credits.granted',
  'introduction.asked',
  'introduction.forwarded',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** API.md Tier. */
export const TIERS = ['free', 'career', 'business', 'sales_navigator'] as const;

/** The channel a message travels on. `inmail` is never chosen unless the sender asks for it. */
export const CHANNELS = ['direct', 'open_profile', 'tier_reach', 'group', 'open_inbox', 'page', 'inmail', 'introduction'] as const;
/** Where a message lands for the recipient. */
export type Delivery = 'inbox' | 'request';
