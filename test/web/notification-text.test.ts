/** How the web UI words a notification group and where its line leads (web/src/notificationText.ts). */
import { describe, expect, it } from 'vitest';
import type { Member, Notification } from '../../web/src/api.js';
import { actorsText, notificationHref, notificationText } from '../../web/src/notificationText.js';

const m = (handle: string, name: string, kind: 'person' | 'page' = 'person'): Member => ({
  id: handle,
  handle,
  kind,
  name,
  headline: '',
  tier: 'free',
  status: 'active',
});
const ann = m('ann', 'Ann Archer');
const ben = m('ben', 'Ben Baker');
const cy = m('cy', 'Cy Chen');
const n = (over: Partial<Notification>): Notification => ({
  id: '1',
  kind: 'invitation.accepted',
  actors: [ann],
  count: 1,
  createdAt: '2026-03-10T12:00:00Z',
  read: false,
  ...over,
});

describe('notification lines', () => {
  it.each<[string, Partial<Notification>, string]>([
    ['one acceptance', {}, 'Ann Archer accepted your invitation'],
    ['two', { actors: [ann, ben], count: 2 }, 'Ann Archer and Ben Baker accepted your invitations'],
    ['Ann and 3 others', { actors: [ann, ben, cy], count: 4 }, 'Ann Archer and 3 others accepted your invitations'],
    ['Ann and 1 other (the rest hidden from the list)', { actors: [ann], count: 2 }, 'Ann Archer and 1 other accepted your invitations'],
    ['invitations received', { kind: 'invitation.received', actors: [ann, ben, cy], count: 3 }, 'Ann Archer and 2 others invited you to connect'],
    ['a request', { kind: 'request.received', subject: { conversationId: '7' } }, 'Ann Archer sent you a message request'],
    ['a request and its follow-up', { kind: 'request.received', count: 2 }, 'Ann Archer sent you 2 messages in a message request'],
    ['an InMail', { kind: 'inmail.received' }, 'Ann Archer sent you an InMail'],
    ['InMails', { kind: 'inmail.received', count: 3 }, 'Ann Archer sent you 3 InMails'],
    ['a page request', { kind: 'page.request', subject: { page: m('acme', 'Acme', 'page') } }, 'Ann Archer sent a message request to Acme'],
    [
      'page requests',
      { kind: 'page.request', actors: [ann, ben], count: 5, subject: { page: m('acme', 'Acme', 'page') } },
      'Ann Archer and 4 others sent message requests to Acme',
    ],
    ['credits', { kind: 'credits.granted', actors: [], credits: 5 }, 'You received 5 InMail credits'],
    ['one credit', { kind: 'credits.granted', actors: [], credits: 1 }, 'You received 1 InMail credit'],
    ['an introduction asked', { kind: 'introduction.asked' }, 'Ann Archer asked you for an introduction'],
    ['an introduction forwarded', { kind: 'introduction.forwarded' }, 'Ann Archer forwarded your introduction'],
  ])('%s', (_name, over, text) => {
    expect(notificationText(n(over))).toBe(text);
  });

  it('no visible actor reads Someone', () => {
    expect(actorsText({ actors: [], count: 1 })).toBe('Someone');
  });

  it.each<[Partial<Notification>, string]>([
    [{ kind: 'invitation.received' }, '#/network'],
    [{ kind: 'invitation.accepted' }, '#/profile/ann'],
    [{ kind: 'invitation.accepted', actors: [ann, ben], count: 2 }, '#/network'],
    [{ kind: 'request.received', subject: { conversationId: '42' } }, '#/messages/42'],
    [{ kind: 'inmail.received', subject: { conversationId: '43' } }, '#/messages/43'],
    [{ kind: 'page.request', subject: { conversationId: '44', page: m('acme', 'Acme', 'page') } }, '#/messages?folder=requests&as=acme'],
    [{ kind: 'credits.granted', actors: [] }, '#/settings'],
  ])('%j leads to %s', (over, href) => {
    expect(notificationHref(n(over))).toBe(href);
  });
});
