/** DOMAIN.md 9 as tables: which events notify, how notifications group, how long they are kept, and the request filters. */
import { describe, expect, it } from 'vitest';
import {
  aboutOtherThanActor,
  allNotificationsOn,
  invitationStillTold,
  DEFAULT_POLICY,
  DEFAULT_SETTINGS,
  isNotificationKind,
  matchingRequestFilter,
  NOTIFICATION_KINDS,
  notificationGroupKey,
  notificationRetentionCutoff,
  notifies,
  REQUEST_NOTIFICATION_KINDS,
  requestFolder,
  shownAboutConversation,
  type ConversationNow,
  type NotificationFacts,
  type NotificationKind,
  type RequestFilterFacts,
} from '../../src/policy/index.js';

const NOW = new Date('2026-03-10T23:59:59.000Z');
const DAY = 86_400_000;

describe('notification kinds', () => {
  it('are API.md Notification.kind, all on by default', () => {
    expect(NOTIFICATION_KINDS).toEqual([
      'invitation.received',
      'invitation.accepted',
      'request.received',
      'inmail.received',
      'page.request',
      'credits.granted',
      'introduction.asked',
      'introduction.forwarded',
    ]);
    expect(DEFAULT_SETTINGS.notifications).toEqual(allNotificationsOn());
    expect(Object.values(DEFAULT_SETTINGS.notifications).every((v) => v === true)).toBe(true);
    expect(isNotificationKind('page.request')).toBe(true);
    expect(isNotificationKind('party.started')).toBe(false);
    expect(isNotificationKind('constructor')).toBe(false);
  });
});

describe('notifies', () => {
  const on = allNotificationsOn();
  const off = (k: NotificationKind) => ({ ...on, [k]: false });
  const base: NotificationFacts = { settings: { notifications: on }, actorHidden: false };
  it.each<[string, NotificationKind, NotificationFacts, boolean]>([
    ['an invitation from a visible member', 'invitation.received', base, true],
    ['the kind turned off', 'invitation.received', { ...base, settings: { notifications: off('invitation.received') } }, false],
    ['another kind turned off', 'invitation.received', { ...base, settings: { notifications: off('inmail.received') } }, true],
    ['a hidden actor (block either way, deactivated, closed)', 'invitation.accepted', { ...base, actorHidden: true }, false],
    ['no actor (a grant)', 'credits.granted', { ...base, actorHidden: null }, true],
    ['a grant turned off', 'credits.granted', { settings: { notifications: off('credits.granted') }, actorHidden: null }, false],
    ['oneself (an admin writing to their own page)', 'page.request', { ...base, self: true }, false],
    ['a request in requests', 'request.received', { ...base, requestFolder: 'requests' }, true],
    ['a request a filter set aside', 'request.received', { ...base, requestFolder: 'filtered' }, false],
    ['a request the recipient ignored', 'request.received', { ...base, requestFolder: null }, false],
    ['a filtered page request', 'page.request', { ...base, requestFolder: 'filtered' }, false],
    ['an InMail (inbox)', 'inmail.received', { ...base, requestFolder: 'inbox' }, true],
    ['a hidden actor in requests', 'request.received', { ...base, actorHidden: true, requestFolder: 'requests' }, false],
  ])('%s', (_name, kind, facts, expected) => {
    expect(notifies(kind, facts)).toBe(expected);
  });
});

describe('what a conversation takes with it (DOMAIN.md 9, 6, 11)', () => {
  it('an ignored request takes the request, InMail and forwarded introduction kinds, nothing else', () => {
    expect([...REQUEST_NOTIFICATION_KINDS].sort()).toEqual(['inmail.received', 'introduction.forwarded', 'request.received']);
  });
  it('only a forwarded introduction is about someone other than its actor', () => {
    expect(NOTIFICATION_KINDS.filter(aboutOtherThanActor)).toEqual(['introduction.forwarded']);
  });
  it('an invitation is told of while pending or once accepted; not once ignored, reported, withdrawn or expired', () => {
    expect(['pending', 'accepted', 'ignored', 'withdrawn', 'expired'].filter(invitationStillTold)).toEqual(['pending', 'accepted']);
  });
  const live: ConversationNow = { live: true, otherSideVisible: true, ignoredByReader: false };
  it.each<[string, ConversationNow | null, boolean]>([
    ['a live conversation whose other side the reader sees', live, true],
    ['ended by a block', { ...live, live: false }, false],
    ['its other side deactivated, closed or blocked', { ...live, otherSideVisible: false }, false],
    ['a request the reader ignored', { ...live, ignoredByReader: true }, false],
    ['no such conversation', null, false],
  ])('%s', (_name, c, expected) => {
    expect(shownAboutConversation(c)).toBe(expected);
  });
});

describe('notificationGroupKey', () => {
  const at = new Date('2026-03-10T23:59:59.999Z');
  const next = new Date('2026-03-11T00:00:00.000Z');
  it.each<[NotificationKind, { conversationId?: number | null; pageId?: number | null }, string]>([
    ['invitation.received', {}, 'day:2026-03-10'],
    ['invitation.accepted', { conversationId: 5 }, 'day:2026-03-10'],
    ['credits.granted', {}, 'day:2026-03-10'],
    ['request.received', { conversationId: 42 }, 'conversation:42'],
    ['inmail.received', { conversationId: 42 }, 'conversation:42'],
    ['page.request', { conversationId: 42, pageId: 7 }, 'page:7'],
    ['introduction.asked', { conversationId: 9 }, 'conversation:9'],
    ['introduction.forwarded', {}, 'day:2026-03-10'],
  ])('%s %j → %s', (kind, subject, key) => {
    expect(notificationGroupKey(kind, subject, at)).toBe(key);
  });
  it('a UTC day ends at midnight UTC, whatever the time zone of the member', () => {
    expect(notificationGroupKey('invitation.received', {}, next)).toBe('day:2026-03-11');
    expect(notificationGroupKey('request.received', { conversationId: 1 }, next)).toBe(notificationGroupKey('request.received', { conversationId: 1 }, at));
  });
});

describe('notificationRetentionCutoff', () => {
  it('is now minus notificationRetentionDays (90 by default)', () => {
    expect(notificationRetentionCutoff(NOW, DEFAULT_POLICY).getTime()).toBe(NOW.getTime() - 90 * DAY);
    expect(notificationRetentionCutoff(NOW, { notificationRetentionDays: 7 }).getTime()).toBe(NOW.getTime() - 7 * DAY);
  });
});

describe('request filters', () => {
  const none = { newAccounts: false, noSharedConnections: false, notFollowed: false };
  const all = { newAccounts: true, noSharedConnections: true, notFollowed: true };
  const old = new Date(NOW.getTime() - 31 * DAY);
  const friendly: RequestFilterFacts = { senderCreatedAt: old, mutualConnections: 2, recipientFollowsSender: true };
  it.each<[string, typeof none, RequestFilterFacts, string | null]>([
    ['all off: nothing matches', none, { senderCreatedAt: NOW, mutualConnections: 0, recipientFollowsSender: false }, null],
    ['all on, a sender who passes every filter', all, friendly, null],
    ['newAccounts: created now', { ...none, newAccounts: true }, { ...friendly, senderCreatedAt: NOW }, 'newAccounts'],
    ['newAccounts: 29 days old', { ...none, newAccounts: true }, { ...friendly, senderCreatedAt: new Date(NOW.getTime() - 29 * DAY) }, 'newAccounts'],
    ['newAccounts: exactly 30 days old is not new', { ...none, newAccounts: true }, { ...friendly, senderCreatedAt: new Date(NOW.getTime() - 30 * DAY) }, null],
    ['newAccounts off: a new account passes', { ...all, newAccounts: false }, { ...friendly, senderCreatedAt: NOW }, null],
    ['noSharedConnections: none shared', { ...none, noSharedConnections: true }, { ...friendly, mutualConnections: 0 }, 'noSharedConnections'],
    ['noSharedConnections: one shared passes', { ...none, noSharedConnections: true }, { ...friendly, mutualConnections: 1 }, null],
    ['notFollowed: not followed', { ...none, notFollowed: true }, { ...friendly, recipientFollowsSender: false }, 'notFollowed'],
    ['notFollowed: followed passes', { ...none, notFollowed: true }, friendly, null],
    ['several match: the first is named', all, { senderCreatedAt: NOW, mutualConnections: 0, recipientFollowsSender: false }, 'newAccounts'],
    ['several on, one matches', all, { ...friendly, recipientFollowsSender: false }, 'notFollowed'],
  ])('%s', (_name, filters, facts, expected) => {
    expect(matchingRequestFilter(filters, facts, NOW, DEFAULT_POLICY)).toBe(expected);
  });

  it('newAccountDays comes from the policy', () => {
    const f = { ...none, newAccounts: true };
    const tenDays = { ...friendly, senderCreatedAt: new Date(NOW.getTime() - 10 * DAY) };
    expect(matchingRequestFilter(f, tenDays, NOW, { newAccountDays: 30 })).toBe('newAccounts');
    expect(matchingRequestFilter(f, tenDays, NOW, { newAccountDays: 7 })).toBe(null);
  });

  it('only messages delivered as requests are filtered: the folder they land in', () => {
    const bad: RequestFilterFacts = { senderCreatedAt: NOW, mutualConnections: 0, recipientFollowsSender: false };
    expect(requestFolder('inbox', all, bad, NOW, DEFAULT_POLICY)).toBe('inbox');
    expect(requestFolder('request', all, bad, NOW, DEFAULT_POLICY)).toBe('filtered');
    expect(requestFolder('request', none, bad, NOW, DEFAULT_POLICY)).toBe('requests');
    expect(requestFolder('request', all, friendly, NOW, DEFAULT_POLICY)).toBe('requests');
  });
});
