/**
 * Notifications (DOMAIN.md 9): which kinds exist, which events notify whom, how they group, and how
 * long they are kept. Pure: the service gathers the facts (the recipient's settings, whether the
 * actor is hidden from the recipient, where the request landed) and writes what these rules say.
 */
import { DAY_MS } from './time.js';
import type { Policy } from './policy.js';
import type { Settings } from './types.js';
import { NOTIFICATION_KINDS, type NotificationKind } from '../contract/codes.js';

/** API.md `Notification.kind` (src/contract/codes.ts), in the order settings list them. */
export { NOTIFICATION_KINDS, type NotificationKind };

/** Every kind on (API.md: `notifications` = all true). */
export function allNotificationsOn(): Record<NotificationKind, boolean> {
  return Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, true])) as Record<NotificationKind, boolean>;
}

export function isNotificationKind(k: string): k is NotificationKind {
  return (NOTIFICATION_KINDS as readonly string[]).includes(k);
}

/** What the service knows when an event could notify a member. */
export interface NotificationFacts {
  /** the recipient's settings (each kind can be turned off) */
  settings: Pick<Settings, 'notifications'>;
  /** the member who caused it is hidden from the recipient: blocked either way, deactivated or closed (null: no actor, e.g. a grant) */
  actorHidden: boolean | null;
  /** the actor is the recipient themself (an admin writing to their own page) */
  self?: boolean;
  /** a message request: the folder it landed in for the recipient (`null`: the recipient ignored or deleted it) */
  requestFolder?: 'requests' | 'filtered' | 'inbox' | null;
}

/**
 * Whether the event notifies the recipient: the kind is on in their settings; nothing about a
 * hidden member, about oneself, about a request the recipient ignored (DOMAIN.md 9), nor about a
 * request a filter set aside (it lands in `filtered` without a notification).
 */
export function notifies(kind: NotificationKind, facts: NotificationFacts): boolean {
  if (facts.settings.notifications[kind] === false) return false;
  if (facts.actorHidden === true || facts.self === true) return false;
  if (facts.requestFolder !== undefined && facts.requestFolder !== 'requests' && facts.requestFolder !== 'inbox') return false;
  return true;
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * The group a notification joins (DOMAIN.md 9): by kind and UTC day for `invitation.*` and
 * `credits.granted`; by kind and conversation otherwise, and by kind and page for a page's requests.
 * One group per key and kind: an update counts the event, moves the group to the top and unreads it.
 */
export function notificationGroupKey(kind: NotificationKind, subject: { conversationId?: number | null; pageId?: number | null }, at: Date): string {
  if (kind === 'invitation.received' || kind === 'invitation.accepted' || kind === 'credits.granted') return `day:${utcDay(at)}`;
  if (kind === 'page.request' && subject.pageId != null) return `page:${subject.pageId}`;
  if (subject.conversationId != null) return `conversation:${subject.conversationId}`;
  return `day:${utcDay(at)}`;
}

/** Notifications last updated before this instant are gone (`notificationRetentionDays`, read or not). */
export function notificationRetentionCutoff(now: Date, policy: Pick<Policy, 'notificationRetentionDays'>): Date {
  return new Date(now.getTime() - policy.notificationRetentionDays * DAY_MS);
}

/**
 * The kinds a message request takes with it when its recipient ignores or deletes it (DOMAIN.md 9:
 * nothing about an ignored request): the request, an InMail, and a forwarded introduction (its
 * actor is the introducer, but it is about the asker's request).
 */
export const REQUEST_NOTIFICATION_KINDS = ['request.received', 'inmail.received', 'introduction.forwarded'] as const satisfies readonly NotificationKind[];

/**
 * A notification whose actor is not the member it is about: a forwarded introduction names its
 * introducer, but is the asker's request (DOMAIN.md 11). Its actor being visible is not enough to
 * show it: `shownAboutConversation` decides, from the conversation's other side.
 */
export function aboutOtherThanActor(kind: string): boolean {
  return kind === 'introduction.forwarded';
}

/** The conversation a notification or a replayed event is about, as its reader stands to it now. */
export interface ConversationNow {
  /** not ended (a block ends a thread for both: DOMAIN.md 6) */
  live: boolean;
  /** the member on its other side exists for the reader (not blocked either way, deactivated or closed) */
  otherSideVisible: boolean;
  /** the reader ignored it (a request) */
  ignoredByReader: boolean;
}

/**
 * Whether what is about a conversation is still shown to its reader (DOMAIN.md 9: nothing a hidden
 * member did, nothing about an ignored request; DOMAIN.md 6: a thread a block ended is gone for
 * both). `null`: no such conversation.
 */
export function shownAboutConversation(c: ConversationNow | null | undefined): boolean {
  return !!c && c.live && c.otherSideVisible && !c.ignoredByReader;
}

/**
 * Whether an invitation is still told of (its `invitation.received`): while it is pending, or once
 * accepted; one ignored, reported, withdrawn or expired is not (DOMAIN.md 9: nothing notifies about
 * an ignored request; a withdrawn or expired one is no longer there to answer).
 */
export function invitationStillTold(status: string): boolean {
  return status === 'pending' || status === 'accepted';
}
