/**
 * Which reason wins when several apply. Each ladder starts from facts where every rule of a
 * decision applies at once; each row names the reason expected, then fixes that one cause, so the
 * next row shows the next rule in order.
 */
import { describe, expect, it } from 'vitest';
import {
  decideBlock,
  decideInvitation,
  decideMessage,
  decideReply,
  type Decision,
  type Facts,
  type InvitationAttempt,
  type MessageAttempt,
  type Reason,
} from '../../src/policy/index.js';
import { ago, DAY, facts, HOUR, LATER, NOW, page, paid, person, selfFacts } from './fixtures.js';

type Step<A> = [expected: Reason, fix: (f: Facts, a: A) => void];

function climb<A>(start: Facts, attempt: A, decide: (f: Facts, a: A) => Decision, ladder: Step<A>[]): Reason[] {
  const f = structuredClone(start);
  const a = structuredClone(attempt);
  const seen: Reason[] = [];
  for (const [, fix] of ladder) {
    seen.push(decide(f, a).reason);
    fix(f, a);
  }
  seen.push(decide(f, a).reason);
  return seen;
}
const expected = <A>(ladder: Step<A>[], last: Reason) => [...ladder.map(([r]) => r), last];

describe('message: DOMAIN.md 5 order', () => {
  const start = facts({
    viewer: { status: 'restricted', bulkFlagged: true },
    member: { settings: { messagesFrom: 'connections', acceptInMail: false } },
    rel: { degree: 3, blockedByMember: true, sharedGroups: 1 },
    quotas: { messagesLastMinute: 30, nonConnectionConversationsThisMonth: 100, groupConversationsThisMonth: 15 },
  });
  const ladder: Step<MessageAttempt>[] = [
    ['sender_restricted', (f) => void (f.viewer.status = 'deactivated')],
    ['sender_inactive', (f) => void (f.viewer.status = 'active')],
    ['recipient_unavailable', (f) => void (f.relationship.blockedByMember = false)],
    ['recipient_settings', (f) => void (f.member!.settings.messagesFrom = 'anyone')],
    ['too_long', (_f, a) => void (a.body = 'short')],
    ['rate_limited', (f) => void (f.quotas.messagesLastMinute = 0)],
    ['bulk_flagged', (f) => void (f.viewer.bulkFlagged = false)],
    ['monthly_limit', (f) => void (f.quotas.nonConnectionConversationsThisMonth = 0)],
    ['monthly_limit', (f) => void (f.relationship.sharedGroups = 0)],
    ['not_in_reach', (_f, a) => void (a.channel = 'inmail')],
    ['inmail_not_accepted', (f) => void (f.member!.settings.acceptInMail = true)],
    ['no_inmail_credits', (f) => void Object.assign(f.viewer, { tier: 'career', tierUntil: LATER, bulkFlagged: false })],
    ['no_inmail_credits', (f) => void (f.quotas.inmailBalance = 1)],
  ];
  it('each denial in turn, then an InMail', () => {
    expect(climb(start, { body: 'x'.repeat(8001) }, (f, a) => decideMessage(f, a, NOW), ladder)).toEqual(expected(ladder, 'ok'));
  });

  it('self comes after the sender rules and before everything else', () => {
    expect(decideMessage(selfFacts({ viewer: { status: 'restricted' } }), {}, NOW).reason).toBe('sender_restricted');
    expect(decideMessage(selfFacts({ quotas: { messagesLastMinute: 99 } }), { body: 'x'.repeat(9000) }, NOW).reason).toBe('self');
  });

  it('on a pending request: the recipient rule, then size, rate and the follow-up limit', () => {
    const own = facts({
      member: { settings: { messagesFrom: 'connections' } },
      rel: { degree: 2, conversation: { state: 'request', startedBy: 'viewer', channel: 'tier_reach', followUps: 1, accepted: false } },
      quotas: { messagesLastMinute: 30, nonConnectionConversationsThisMonth: 100 },
      viewer: { ...paid('career'), bulkFlagged: true },
    });
    const steps: Step<MessageAttempt>[] = [
      ['recipient_settings', (f) => void (f.member!.settings.messagesFrom = 'anyone')],
      ['too_long', (_f, a) => void (a.body = 'again')],
      ['rate_limited', (f) => void (f.quotas.messagesLastMinute = 0)],
      ['awaiting_response', (f) => void (f.relationship.conversation!.followUps = 0)],
    ];
    // a follow-up is not a new conversation: bulk_flagged and monthly_limit do not apply
    expect(climb(own, { body: 'x'.repeat(8001) }, (f, a) => decideReply(f, a, NOW), steps)).toEqual(expected(steps, 'ok'));

    const theirs = facts({
      member: { settings: { messagesFrom: 'connections' } },
      rel: { degree: 2, conversation: { state: 'request', startedBy: 'member', channel: 'tier_reach', followUps: 0, accepted: false } },
      quotas: { messagesLastMinute: 30 },
    });
    expect(decideReply(theirs, { body: 'x'.repeat(8001) }, NOW).reason).toBe('request_not_accepted');
  });
});

describe('invitation: DOMAIN.md 2 and 3 order', () => {
  const start = facts({
    viewer: { status: 'restricted', connectionCount: 30000 },
    memberIsPage: true,
    member: { connectionCount: 30000 },
    rel: { degree: 1, blockedByViewer: true, invitation: { direction: 'sent' }, lastWithdrawnAt: ago(DAY) },
    quotas: { idkReportsLast90Days: 5, invitationsLast7Days: 100, notesThisMonth: 5 },
  });
  const ladder: Step<InvitationAttempt>[] = [
    ['sender_restricted', (f) => void (f.viewer.status = 'closed')],
    ['sender_inactive', (f) => void (f.viewer.status = 'active')],
    ['recipient_unavailable', (f) => void (f.relationship.blockedByViewer = false)],
    ['pages_cannot_invite', (f) => void (f.member = { ...person(), connectionCount: 30000 })],
    ['already_connected', (f) => void (f.relationship.degree = 2)],
    ['invitation_pending', (f) => void (f.relationship.invitation = null)],
    ['connection_cap', (f) => void (f.viewer.connectionCount = 5)],
    ['recipient_connection_cap', (f) => void (f.member!.connectionCount = 5)],
    ['note_too_long', (_f, a) => void (a.note = 'Hello!')],
    ['withdraw_cooldown', (f) => void (f.relationship.lastWithdrawnAt = ago(21 * DAY))],
    ['email_required', (_f, a) => void (a.emailMatches = true)],
    ['weekly_invitation_limit', (f) => void (f.quotas.invitationsLast7Days = 99)],
    ['note_limit', (_f, a) => void (a.note = '   ')],
  ];
  it('each denial in turn, then ok', () => {
    expect(climb(start, { note: 'x'.repeat(301) }, (f, a) => decideInvitation(f, a, NOW), ladder)).toEqual(expected(ladder, 'ok'));
  });

  it('a page cannot invite either', () => {
    const f = facts();
    expect(decideInvitation({ ...f, viewer: page({ id: 'v1' }) }, {}, NOW).reason).toBe('pages_cannot_invite');
  });

  it('inviting back a member whose invitation is pending connects at once: only the caps and the note size still apply', () => {
    const waiting = facts({
      rel: { degree: 2, invitation: { direction: 'received' }, lastWithdrawnAt: ago(DAY) },
      quotas: { idkReportsLast90Days: 9, invitationsLast7Days: 100, notesThisMonth: 9 },
    });
    expect(decideInvitation(waiting, { note: 'hi' }, NOW)).toEqual({ allowed: true, reason: 'ok', unlock: [] });
    expect(decideInvitation(waiting, { note: 'x'.repeat(301) }, NOW).reason).toBe('note_too_long');
    const capped = structuredClone(waiting);
    capped.member!.connectionCount = 30000;
    expect(decideInvitation(capped, {}, NOW).reason).toBe('recipient_connection_cap');
  });
});

describe('block: DOMAIN.md 6 order', () => {
  const start = facts({
    viewer: { status: 'deactivated', kind: 'page' },
    rel: {
      blockedByViewer: true,
      lastUnblockedAt: ago(HOUR),
      conversation: { state: 'request', startedBy: 'member', channel: 'page', followUps: 0, accepted: false },
    },
  });
  const ladder: Step<null>[] = [
    ['sender_inactive', (f) => void (f.viewer.status = 'restricted')],
    ['recipient_unavailable', (f) => void (f.relationship.blockedByViewer = false)],
    ['pages_cannot_ignore', (f) => void (f.viewer.kind = 'person')],
    ['reblock_cooldown', (f) => void (f.relationship.lastUnblockedAt = ago(48 * HOUR))],
  ];
  it('each denial in turn, then ok (a restricted member may block)', () => {
    expect(climb(start, null, (f) => decideBlock(f, NOW), ladder)).toEqual(expected(ladder, 'ok'));
  });
  it('blocking oneself is self', () => {
    expect(decideBlock(selfFacts(), NOW).reason).toBe('self');
  });
  it('a page may block a member who has no pending request to it', () => {
    expect(decideBlock({ ...facts(), viewer: page({ id: 'v1' }) }, NOW).allowed).toBe(true);
  });
});
