/** Plain-English words for codes, tiers, degrees, dates. Everything here returns text, never HTML. */
import type { ApiError, Channel, Decision, Degree, ErrorCode, Policy, Tier } from './api';
import { NETWORK_ERROR } from './api';

export const TIER_NAMES: Record<Tier, string> = {
  free: 'Free',
  career: 'Career',
  business: 'Business',
  sales_navigator: 'Sales Navigator',
};

export function tierName(t: string): string {
  return (TIER_NAMES as Record<string, string>)[t] ?? t;
}

export function degreeLabel(d: Degree): string {
  if (d === 1) return '1st';
  if (d === 2) return '2nd';
  if (d === 3) return '3rd';
  return 'Out of network';
}

export function degreeLong(d: Degree): string {
  if (d === 1) return '1st-degree connection';
  if (d === 2) return '2nd-degree connection';
  if (d === 3) return '3rd-degree connection';
  return 'Out of your network';
}

export function plural(n: number, one: string, many: string = one + 's'): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** The codes the web shows besides the API's: a request that never got an answer, a cancelled upload. */
export type ClientCode = typeof NETWORK_ERROR | 'aborted';

/**
 * Every reason code and error code of API.md (the contract's union), as a sentence a member
 * understands. A Record over the union: a code added to src/contract/codes.ts without wording here
 * fails the typecheck. `p` supplies the numbers of the policy in force.
 */
export const REASON_TEXT: Record<ErrorCode | ClientCode, (p: Policy) => string> = {
  ok: () => 'Allowed.',
  self: () => "That's you: you can't do this with your own profile.",
  sender_restricted: () =>
    'Your account is restricted after reports of spam or abuse. You can read, but you cannot send invitations or messages until a moderator reviews it.',
  sender_inactive: () => 'Your account is deactivated. Reactivate it in Settings to send invitations or messages.',
  recipient_unavailable: () => "We couldn't find this member. Check the name, or search for them.",
  recipient_settings: () => "This member's settings don't allow messages from you: they only accept messages from people closer to them in their network.",
  not_in_reach: () => 'This member is outside the reach of your plan, so you cannot message them for free.',
  no_inmail_credits: () => 'You have no InMail credits left.',
  inmail_not_accepted: () => "This member doesn't accept InMail.",
  connection_cap: (p) => `You have reached the limit of ${p.connectionCap.toLocaleString()} connections, so you can't send or accept invitations.`,
  recipient_connection_cap: (p) =>
    `This member has reached the limit of ${p.connectionCap.toLocaleString()} connections and can't be invited. You can follow or message them instead.`,
  invitation_pending: () => 'There is already a pending invitation between you and this member.',
  already_connected: () => 'You are already connected.',
  withdraw_cooldown: (p) => `You withdrew an invitation to this member recently, and must wait ${p.withdrawCooldownDays} days before inviting them again.`,
  weekly_invitation_limit: (p) => `You have sent the most invitations allowed in 7 days (${p.invitationsPerWeek}). Try again later.`,
  note_limit: (p) =>
    `Free members can add a note to ${p.notesPerMonthFree} invitations a month, and you have used them all. Send the invitation without a note, or ask your administrator for Career.`,
  note_too_long: (p) => `The note is too long: it can be at most ${p.noteMaxChars} characters.`,
  email_required: () => "Several people said they don't know you, so you can only invite members whose e-mail address you know. Enter their e-mail address.",
  pages_cannot_invite: () => "Pages can't send or receive invitations. Follow the page instead.",
  awaiting_response: (p) =>
    `Your message request hasn't been accepted yet. You can send ${p.followUpsWhilePending === 1 ? 'one follow-up' : `${p.followUpsWhilePending} follow-ups`} until they accept.`,
  monthly_limit: () => "You have reached this month's limit of new conversations. Try again next month.",
  bulk_flagged: () =>
    'You sent the same message to many people, so new conversations with people outside your connections are paused until a moderator reviews your account.',
  too_long: () => 'The text is too long. Shorten it and try again.',
  rate_limited: () => "You're doing that too fast. Wait a moment and try again.",
  reblock_cooldown: (p) => `You unblocked this member recently. You can block them again ${p.reblockCooldownHours} hours after unblocking.`,
  pages_cannot_ignore: () => "Requests to a page can't be ignored. Accept or delete them.",
  request_not_accepted: () => 'Accept this message request before you reply to it.',
  introductions_paused: () => 'This member is not taking introduction requests from you for now. You can ask another mutual connection instead.',
  premium_only: () => 'Open Profile comes with a premium plan.',
  // error codes (API.md "Conventions")
  invalid_request: () => 'Some of the information is not valid.',
  unauthenticated: () => 'Your session has ended. Please sign in again.',
  forbidden: () => "You don't have permission to do that.",
  forbidden_origin: () => 'This request came from another site, so it was refused. Reload Liaison and try again.',
  wrong_password: () => 'That password is not right.',
  not_found: () => "This page doesn't exist, or isn't available to you.",
  method_not_allowed: () => "Liaison can't do that here. Reload the page and try again.",
  not_acceptable: () => "Liaison can't answer in a form this page understands. Reload the page and try again.",
  conflict: () => 'That is already taken or has already been done.',
  payload_too_large: (p) => `The file is too large: attachments can be at most ${formatBytes(p.attachmentMaxBytes)}.`,
  unsupported_media_type: () => "Liaison can't read what was sent. Reload the page and try again.",
  unsupported_attachment_type: () => 'This type of file cannot be attached. Attach an image, a PDF, an office document or a plain text file.',
  storage_quota: (p) =>
    `Your attachments use all of your ${formatBytes(p.attachmentQuotaBytes)} of storage. Delete old conversations with attachments to make room.`,
  service_unavailable: () => 'Liaison is briefly unavailable.',
  insufficient_storage: () => 'Liaison has no room to store attachments right now. Send the message without them, or try again later.',
  internal: () => 'Something went wrong on our side. Please try again.',
  // client-side
  [NETWORK_ERROR]: () => "We can't reach Liaison right now. Check your connection and try again.",
  aborted: () => 'Cancelled.',
};

/** Where a code has a next step the member can take, the link to it. */
export const REASON_ACTION: Partial<Record<ErrorCode, { label: string; href: string }>> = {
  sender_inactive: { label: 'Open Settings', href: '#/settings' },
  unauthenticated: { label: 'Sign in', href: '#/signin' },
  connection_cap: { label: 'Review your connections', href: '#/network' },
  recipient_unavailable: { label: 'Search for people', href: '#/search' },
  storage_quota: { label: 'Open your messages', href: '#/messages' },
};

function isKnownCode(code: string): code is ErrorCode | ClientCode {
  return Object.prototype.hasOwnProperty.call(REASON_TEXT, code);
}

/** The sentence for a code; a code this version does not know (a newer server) reads as a generic failure. */
export function reasonText(code: string, p: Policy): string {
  return isKnownCode(code) ? REASON_TEXT[code](p) : 'Something went wrong. Please try again.';
}

/** The action link of a code, if it has one. */
export function reasonAction(code: string): { label: string; href: string } | undefined {
  return isKnownCode(code) && code !== NETWORK_ERROR && code !== 'aborted' ? REASON_ACTION[code] : undefined;
}

/** Codes whose server-supplied message adds useful detail (which field is wrong). */
const SHOW_SERVER_MESSAGE = new Set(['invalid_request', 'conflict', 'too_long', 'note_too_long']);

export function errorText(e: ApiError, p: Policy, overrides: Record<string, string> = {}): string {
  let text = overrides[e.code] ?? reasonText(e.code, p);
  if (SHOW_SERVER_MESSAGE.has(e.code) && e.message && e.message !== e.code && !e.message.startsWith('HTTP ')) {
    text += ` (${e.message})`;
  }
  // a wait unlock already gives the date (shown with the unlocks); seconds only for short waits
  const hasWait = e.unlock.some((u) => u.kind === 'wait');
  if (e.retryAfter && e.status === 429 && !(hasWait && e.retryAfter > 3600)) {
    text += ` You can try again in ${plural(Math.ceil(e.retryAfter), 'second')}.`;
  }
  return text;
}

export const CHANNEL_NAMES: Record<Channel, string> = {
  direct: 'Direct message',
  open_profile: 'Open Profile',
  tier_reach: 'Message',
  group: 'Group member',
  open_inbox: 'Open inbox',
  page: 'Message to a page',
  inmail: 'InMail',
  introduction: 'Introduction',
};

/** One sentence for an allowed message decision. */
export function allowedMessageText(d: Decision, name: string): string {
  const cost = d.cost?.inmailCredits ?? 0;
  if (d.channel === 'inmail' || cost > 0) {
    return `Messaging ${name} costs ${plural(cost || 1, 'InMail credit')}. You will confirm before anything is spent.`;
  }
  const req = d.delivery === 'request';
  switch (d.channel) {
    case 'direct':
      return `You can message ${name} directly.`;
    case 'open_profile':
      return `${name} has an Open Profile: your message goes straight to their inbox, free.`;
    case 'group':
      return req
        ? `You share a group with ${name}: your message will arrive as a message request.`
        : `You share a group with ${name}, so you can message them for free.`;
    case 'page':
      return `Your message goes to the shared inbox of ${name} as a request.`;
    case 'open_inbox':
      return `${name} accepts messages from anyone: your message goes to their inbox.`;
    default:
      return req
        ? `You can message ${name} for free: your message will arrive as a message request until they accept it.`
        : `You can message ${name} for free.`;
  }
}

/**
 * Reason codes as they read when asking for an introduction (DOMAIN.md 11): the same codes mean
 * something more precise there than in messaging. `via` and `to` are display names.
 */
export function introductionReasonText(code: string, p: Policy, via = 'This connection', to = 'this member'): string {
  switch (code) {
    case 'not_in_reach':
      return `${via} can't introduce you to ${to}: an introduction goes through one of your connections who is also connected to them, to someone 2 steps away from you.`;
    case 'already_connected':
      return `You are already connected with ${to}: message them directly.`;
    case 'recipient_settings':
      return `${to} only accepts messages from their connections, so an introduction can't reach them.`;
    case 'awaiting_response':
      return `You already asked for an introduction to ${to}. Wait for the answer before asking again.`;
    case 'monthly_limit':
      return `You have asked for ${p.introductionsPerMonth} introductions this month, the most allowed. You can ask again next month.`;
    case 'introductions_paused':
      // DOMAIN.md 11: the asker is never told of a decline; the pause is all they learn
      return `${via} is not taking introduction requests from you for now. You can ask another mutual connection instead.`;
    case 'note_too_long':
      return `The note is too long: it can be at most ${p.noteMaxChars} characters.`;
    default:
      return reasonText(code, p);
  }
}

/** What the asker reads about one of their asks (declined and expired both read "not forwarded"). */
export function introductionStatusText(s: string): string {
  if (s === 'asked') return 'Asked';
  if (s === 'forwarded') return 'Forwarded';
  if (s === 'not_forwarded') return 'Not forwarded';
  return s;
}
