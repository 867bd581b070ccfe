/**
 * The vocabulary of decisions: API.md "Types" (Decision, Unlock, Settings) and its reason codes.
 * Everything here is plain data, JSON-ready as it is (times are ISO 8601 UTC strings).
 */
import type { Tier } from './policy.js';
import { allNotificationsOn, type NotificationKind } from './notifications.js';

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
] as const;
export type Reason = (typeof REASONS)[number];

/** The channel a message travels on. `inmail` is never chosen unless the sender asks for it. */
export type Channel = 'direct' | 'open_profile' | 'tier_reach' | 'group' | 'open_inbox' | 'page' | 'inmail' | 'introduction';
/** Where a message lands for the recipient. */
export type Delivery = 'inbox' | 'request';

/** What an InMail costs, and what the `inmail` unlock offers (DOMAIN.md 5: "it costs 1 InMail credit"). */
export const INMAIL_COST = 1;

/** A way to get to a denied action (DOMAIN.md 8). `until` is an ISO 8601 UTC instant. */
export type Unlock =
  | { kind: 'upgrade'; tier: Tier }
  | { kind: 'inmail'; credits: number }
  | { kind: 'connect' }
  | { kind: 'introduction'; via: string[] }
  | { kind: 'wait'; until: string }
  | { kind: 'remove_connection' };

/**
 * The answer to "may the viewer do this to the member?". An allowed message carries its channel,
 * its delivery and (InMail only) its cost; a denial carries no channel, delivery nor cost.
 * `unlock` is empty when allowed and whenever nothing the viewer can do would help.
 */
export interface Decision {
  allowed: boolean;
  channel?: Channel;
  delivery?: Delivery;
  cost?: { inmailCredits: number };
  reason: Reason;
  unlock: Unlock[];
}

/** The primary button of a profile (DOMAIN.md 4). */
export type PrimaryAction = 'none' | 'connect' | 'message' | 'follow' | 'pending' | 'accept';

export type MemberKind = 'person' | 'page';
export type MemberStatus = 'active' | 'deactivated' | 'closed' | 'restricted';
/** Degree from the viewer to the member: 1st, 2nd, 3rd, or out of network (`null`). */
export type Degree = 1 | 2 | 3 | null;

/** A member's settings (API.md `Settings`, DOMAIN.md 7). */
export interface Settings {
  primaryAction: 'connect' | 'message' | 'follow';
  messageRequests: 'on' | 'off';
  openProfile: boolean;
  acceptInMail: boolean;
  messagesFrom: 'anyone' | 'shared_connections' | 'connections';
  profileVisibility: 'everyone' | 'network' | 'connections';
  readReceipts: boolean;
  typingIndicators: boolean;
  /** shown on the profile to viewers within profileVisibility */
  openTo: { jobs: boolean; mentoring: boolean };
  /** DOMAIN.md 9: message requests matching an enabled filter land in `filtered` */
  requestFilters: { newAccounts: boolean; noSharedConnections: boolean; notFollowed: boolean };
  /** each notification kind on or off */
  notifications: Record<NotificationKind, boolean>;
}

/** API.md's defaults, field for field. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  primaryAction: 'connect',
  messageRequests: 'on',
  openProfile: false,
  acceptInMail: true,
  messagesFrom: 'anyone',
  profileVisibility: 'everyone',
  readReceipts: true,
  typingIndicators: true,
  openTo: Object.freeze({ jobs: false, mentoring: false }),
  requestFilters: Object.freeze({ newAccounts: false, noSharedConnections: false, notFollowed: false }),
  notifications: Object.freeze(allNotificationsOn()),
}) as Readonly<Settings>;

/** The four action decisions a Profile carries (API.md `Profile.actions`). */
export interface ProfileActions {
  connect: Decision;
  message: Decision;
  inmail: Decision;
  follow: Decision;
}

/** An allowed decision (`reason: 'ok'`), with the channel fields when given. */
export function allow(extra: Pick<Decision, 'channel' | 'delivery' | 'cost'> = {}): Decision {
  const d: Decision = { allowed: true, reason: 'ok', unlock: [] };
  if (extra.channel !== undefined) d.channel = extra.channel;
  if (extra.delivery !== undefined) d.delivery = extra.delivery;
  if (extra.cost !== undefined) d.cost = { ...extra.cost };
  return d;
}

/** A denial with its reason and unlock paths (duplicates removed, order kept). */
export function deny(reason: Reason, unlock: Unlock[] = []): Decision {
  const seen = new Set<string>();
  const unique = unlock.filter((u) => {
    const key = JSON.stringify(u);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { allowed: false, reason, unlock: unique };
}

/**
 * The one answer for a member who does not exist for the viewer: unknown, blocked either way,
 * deactivated or closed. Always a fresh object, identical field for field.
 */
export function recipientUnavailable(): Decision {
  return { allowed: false, reason: 'recipient_unavailable', unlock: [] };
}
