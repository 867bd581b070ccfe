/** Plain-English words for codes, tiers, degrees, dates. Everything here returns text, never HTML. */
import type { ApiError, Channel, Decision, Degree, Policy, Tier, Unlock } from './api';
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

/**
 * Every reason / error code of API.md, as a sentence a member understands.
 * `p` supplies the numbers of the policy in force.
 */
export function reasonText(code: string, p: Policy): string {
  switch (code) {
    case 'ok':
      return 'Allowed.';
    case 'self':
      return "That's you: you can't do this with your own profile.";
    case 'sender_restricted':
      return 'Your account is restricted after reports of spam or abuse. You can read, but you cannot send invitations or messages until a moderator reviews it.';
    case 'sender_inactive':
      return 'Your account is deactivated. Reactivate it in Settings to send invitations or messages.';
    case 'recipient_unavailable':
      return 'This member is not available.';
    case 'recipient_settings':
      return "This member's settings don't allow messages from you: they only accept messages from people closer to them in their network.";
    case 'not_in_reach':
      return 'This member is outside the reach of your plan, so you cannot message them for free.';
    case 'no_inmail_credits':
      return 'You have no InMail credits left.';
    case 'inmail_not_accepted':
      return "This member doesn't accept InMail.";
    case 'connection_cap':
      return `You have reached the limit of ${p.connectionCap.toLocaleString()} connections, so you can't send or accept invitations.`;
    case 'recipient_connection_cap':
      return `This member has reached the limit of ${p.connectionCap.toLocaleString()} connections and can't be invited. You can follow or message them instead.`;
    case 'invitation_pending':
      return 'There is already a pending invitation between you and this member.';
    case 'already_connected':
      return 'You are already connected.';
    case 'withdraw_cooldown':
      return `You withdrew an invitation to this member recently, and must wait ${p.withdrawCooldownDays} days before inviting them again.`;
    case 'weekly_invitation_limit':
      return `You have sent the most invitations allowed in 7 days (${p.invitationsPerWeek}). Try again later.`;
    case 'note_limit':
      return `Free members can add a note to ${p.notesPerMonthFree} invitations a month, and you have used them all. Send the invitation without a note, or upgrade.`;
    case 'note_too_long':
      return `The note is too long: it can be at most ${p.noteMaxChars} characters.`;
    case 'email_required':
      return "Several people said they don't know you, so you can only invite members whose e-mail address you know. Enter their e-mail address.";
    case 'pages_cannot_invite':
      return "Pages can't send or receive invitations. Follow the page instead.";
    case 'awaiting_response':
      return `Your message request hasn't been accepted yet. You can send ${p.followUpsWhilePending === 1 ? 'one follow-up' : `${p.followUpsWhilePending} follow-ups`} until they accept.`;
    case 'monthly_limit':
      return "You have reached this month's limit of new conversations. Try again next month.";
    case 'bulk_flagged':
      return 'You sent the same message to many people, so new conversations with people outside your connections are paused until our team reviews your account.';
    case 'too_long':
      return 'The text is too long. Shorten it and try again.';
    case 'rate_limited':
      return "You're doing that too fast. Wait a moment and try again.";
    case 'reblock_cooldown':
      return `You unblocked this member recently. You can block them again ${p.reblockCooldownHours} hours after unblocking.`;
    case 'pages_cannot_ignore':
      return "Requests to a page can't be ignored. Accept or delete them.";
    case 'request_not_accepted':
      return 'Accept this message request before you reply to it.';
    case 'introductions_paused':
      return 'This member is not taking introduction requests from you for now. You can ask another mutual connection instead.';
    // transport-level codes
    case 'invalid_request':
      return 'Some of the information is not valid.';
    case 'unauthenticated':
      return 'Your session has ended. Please sign in again.';
    case 'not_found':
      return "This page doesn't exist, or isn't available to you.";
    case 'conflict':
      return 'That is already taken or has already been done.';
    case 'payload_too_large':
      return `The file is too large: attachments can be at most ${formatBytes(p.attachmentMaxBytes)}.`;
    case 'unsupported_attachment_type':
      return 'This type of file cannot be attached. Attach an image, a PDF, an office document or a plain text file.';
    case 'forbidden':
      return "You don't have permission to do that.";
    case NETWORK_ERROR:
      return "We can't reach Liaison right now. Check your connection and try again.";
    case 'aborted':
      return 'Cancelled.';
    case 'internal':
    case 'server_error':
      return 'Something went wrong on our side. Please try again.';
    default:
      return 'Something went wrong. Please try again.';
  }
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

export type UnlockContext = 'message' | 'connect' | 'other';

/** The required unlock wording (web/README.md lists it). */
export function unlockText(u: Unlock, context: UnlockContext = 'message'): string {
  switch (u.kind) {
    case 'upgrade':
      return context === 'message' ? `Upgrade to ${tierName(u.tier)} to message them` : `Upgrade to ${tierName(u.tier)}`;
    case 'inmail':
      return `Send an InMail (${plural(u.credits, 'credit')})`;
    case 'connect':
      return 'Connect first';
    case 'introduction':
      return `Ask ${u.via[0] ?? 'a mutual connection'} for an introduction`;
    case 'wait':
      return `You can try again on ${formatDate(u.until)}`;
    case 'remove_connection':
      return 'Remove a connection to make room';
  }
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
