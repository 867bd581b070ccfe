/** How a notification reads ("Ann and 3 others accepted your invitations") and where it leads. */
import type { Notification, NotificationKind } from './api';
import { link } from './router';

/** "Ann", "Ann and Bob", "Ann and 3 others": `count` events, the actors newest first. */
export function actorsText(n: Pick<Notification, 'actors' | 'count'>): string {
  const names = n.actors.map((a) => a.name);
  if (names.length === 0) return 'Someone';
  const first = names[0];
  const people = Math.max(n.count, names.length);
  if (people <= 1) return first;
  if (people === 2 && names.length === 2) return `${first} and ${names[1]}`;
  const others = people - 1;
  return `${first} and ${others} ${others === 1 ? 'other' : 'others'}`;
}

const times = (n: number, one: string, many: string) => (n === 1 ? one : `${n} ${many}`);

/** The line of a notification. */
export function notificationText(n: Notification): string {
  const who = actorsText(n);
  const many = n.count > 1;
  const page = n.subject?.page?.name ?? 'your page';
  const kind: NotificationKind = n.kind;
  switch (kind) {
    case 'invitation.received':
      return `${who} invited you to connect`;
    case 'invitation.accepted':
      return many ? `${who} accepted your invitations` : `${who} accepted your invitation`;
    case 'request.received':
      // one sender per conversation: the count is their messages
      return `${n.actors[0]?.name ?? 'Someone'} sent you ${times(n.count, 'a message request', 'messages in a message request')}`;
    case 'inmail.received':
      return `${n.actors[0]?.name ?? 'Someone'} sent you ${times(n.count, 'an InMail', 'InMails')}`;
    case 'page.request':
      return many ? `${who} sent message requests to ${page}` : `${who} sent a message request to ${page}`;
    case 'credits.granted': {
      const c = n.credits ?? 0;
      return `You received ${c} InMail ${c === 1 ? 'credit' : 'credits'}`;
    }
    case 'introduction.asked':
      return many ? `${who} asked you for introductions` : `${who} asked you for an introduction`;
    case 'introduction.forwarded':
      return many ? `${who} forwarded your introductions` : `${who} forwarded your introduction`;
    default:
      return `${who}: ${String(kind)}`;
  }
}

/** Where a notification leads: its subject. */
export function notificationHref(n: Notification): string {
  const conv = n.subject?.conversationId;
  switch (n.kind) {
    case 'invitation.received':
      return '#/network';
    case 'invitation.accepted':
      return n.count === 1 && n.actors[0] ? link(['profile', n.actors[0].handle]) : '#/network';
    case 'request.received':
    case 'inmail.received':
      return conv ? link(['messages', conv]) : '#/messages';
    case 'page.request':
      return n.subject?.page ? link(['messages'], { folder: 'requests', as: n.subject.page.handle }) : '#/pages';
    case 'credits.granted':
      return '#/settings';
    case 'introduction.asked':
    case 'introduction.forwarded':
      return conv ? link(['messages', conv]) : '#/network';
    default:
      return '#/notifications';
  }
}
