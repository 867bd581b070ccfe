/**
 * One row for every reason code: the facts that reach it, the function that answers, the unlock
 * and the HTTP status. The last test proves the table covers every code the engine knows.
 */
import { describe, expect, it } from 'vitest';
import {
  decideIntroductionAsk,
  decideBlock,
  decideFollow,
  decideIgnoreRequest,
  decideInvitation,
  decideMessage,
  decideReply,
  decideSettingsChange,
  REASONS,
  type Decision,
  type Reason,
  type Unlock,
} from '../../src/policy/index.js';
import { REASON_HTTP_STATUS } from '../../src/http/refusals.js';
import { ago, DAY, facts, HOUR, MIN, NEXT_MONTH, NOW, page, paid, selfFacts } from './fixtures.js';

const msg = (f = facts(), attempt = {}) => decideMessage(f, attempt, NOW);
const inv = (f = facts(), attempt = {}) => decideInvitation(f, attempt, NOW);
const iso = (d: Date) => d.toISOString();

interface Row {
  reason: Reason;
  status: number;
  when: string;
  decide: () => Decision;
  unlock?: Unlock[];
}

const ROWS: Row[] = [
  { reason: 'ok', status: 200, when: 'a message to a connection', decide: () => msg(facts({ rel: { degree: 1 } })) },
  { reason: 'self', status: 403, when: 'messaging oneself', decide: () => msg(selfFacts()) },
  { reason: 'sender_restricted', status: 403, when: 'a restricted sender', decide: () => msg(facts({ viewer: { status: 'restricted' }, rel: { degree: 1 } })) },
  { reason: 'sender_inactive', status: 403, when: 'a deactivated sender', decide: () => msg(facts({ viewer: { status: 'deactivated' }, rel: { degree: 1 } })) },
  { reason: 'recipient_unavailable', status: 404, when: 'an unknown member', decide: () => msg(facts({ member: null })) },
  {
    reason: 'recipient_settings',
    status: 403,
    when: 'recipient takes messages from connections only; 2nd degree',
    decide: () => msg(facts({ member: { settings: { messagesFrom: 'connections' } }, rel: { degree: 2 } })),
    unlock: [{ kind: 'connect' }],
  },
  {
    reason: 'not_in_reach',
    status: 403,
    when: 'a free sender, 2nd degree, no other channel',
    decide: () => msg(facts({ rel: { degree: 2, introductions: [['ann']] } })),
    unlock: [{ kind: 'upgrade', tier: 'career' }, { kind: 'inmail', credits: 1 }, { kind: 'connect' }, { kind: 'introduction', via: ['ann'] }],
  },
  {
    reason: 'no_inmail_credits',
    status: 403,
    when: 'career sender with no credit asks for InMail to a 3rd degree',
    decide: () => msg(facts({ viewer: paid('career'), rel: { degree: 3 } }), { channel: 'inmail' }),
    unlock: [{ kind: 'wait', until: NEXT_MONTH }, { kind: 'upgrade', tier: 'business' }, { kind: 'connect' }],
  },
  {
    reason: 'inmail_not_accepted',
    status: 403,
    when: 'InMail asked to a member who refuses InMail',
    decide: () => msg(facts({ viewer: paid('career'), member: { settings: { acceptInMail: false } }, quotas: { inmailBalance: 3 } }), { channel: 'inmail' }),
    unlock: [{ kind: 'connect' }],
  },
  {
    reason: 'connection_cap',
    status: 403,
    when: 'the inviter has 30,000 connections',
    decide: () => inv(facts({ viewer: { connectionCount: 30000 } })),
    unlock: [{ kind: 'remove_connection' }],
  },
  {
    reason: 'recipient_connection_cap',
    status: 403,
    when: 'the invitee has 30,000 connections',
    decide: () => inv(facts({ member: { connectionCount: 30000 } })),
  },
  {
    reason: 'invitation_pending',
    status: 403,
    when: 'the viewer already invited the member',
    decide: () => inv(facts({ rel: { invitation: { direction: 'sent' } } })),
  },
  { reason: 'already_connected', status: 403, when: 'inviting a connection', decide: () => inv(facts({ rel: { degree: 1 } })) },
  {
    reason: 'withdraw_cooldown',
    status: 403,
    when: 'withdrawn 20 days ago',
    decide: () => inv(facts({ rel: { lastWithdrawnAt: ago(20 * DAY) } })),
    unlock: [{ kind: 'wait', until: iso(new Date(NOW.getTime() + DAY)) }],
  },
  {
    reason: 'weekly_invitation_limit',
    status: 429,
    when: '100 invitations in 7 days, the oldest 6 days ago',
    decide: () => inv(facts({ quotas: { invitationsLast7Days: 100, oldestInvitationLast7DaysAt: ago(6 * DAY) } })),
    unlock: [{ kind: 'wait', until: iso(new Date(NOW.getTime() + DAY)) }],
  },
  {
    reason: 'note_limit',
    status: 429,
    when: 'a free member with 5 notes this month adds a note',
    decide: () => inv(facts({ quotas: { notesThisMonth: 5 } }), { note: 'hello' }),
    unlock: [
      { kind: 'upgrade', tier: 'career' },
      { kind: 'wait', until: NEXT_MONTH },
    ],
  },
  { reason: 'note_too_long', status: 400, when: 'a 301-character note', decide: () => inv(facts(), { note: 'x'.repeat(301) }) },
  {
    reason: 'email_required',
    status: 403,
    when: '5 "I don\'t know" reports, no e-mail given',
    decide: () => inv(facts({ quotas: { idkReportsLast90Days: 5 } })),
  },
  { reason: 'pages_cannot_invite', status: 403, when: 'inviting a page', decide: () => inv(facts({ memberIsPage: true })) },
  {
    reason: 'awaiting_response',
    status: 403,
    when: 'a second follow-up on a pending request',
    decide: () =>
      decideReply(
        facts({ rel: { degree: 2, conversation: { state: 'request', startedBy: 'viewer', channel: 'group', followUps: 1, accepted: false } } }),
        {},
        NOW,
      ),
  },
  {
    reason: 'monthly_limit',
    status: 429,
    when: '100 new conversations with non-connections this month',
    decide: () => msg(facts({ viewer: paid('career'), rel: { degree: 2 }, quotas: { nonConnectionConversationsThisMonth: 100 } })),
    unlock: [{ kind: 'wait', until: NEXT_MONTH }, { kind: 'connect' }],
  },
  {
    reason: 'bulk_flagged',
    status: 403,
    when: 'a bulk-flagged sender starts a conversation with a non-connection',
    decide: () => msg(facts({ viewer: { ...paid('career'), bulkFlagged: true }, rel: { degree: 2, invitation: { direction: 'sent' } } })),
  },
  { reason: 'too_long', status: 400, when: 'an 8,001-character body', decide: () => msg(facts({ rel: { degree: 1 } }), { body: 'x'.repeat(8001) }) },
  {
    reason: 'rate_limited',
    status: 429,
    when: '30 messages in the last minute, the oldest 45 s ago',
    decide: () => msg(facts({ rel: { degree: 1 }, quotas: { messagesLastMinute: 30, oldestMessageLastMinuteAt: ago(45_000) } })),
    unlock: [{ kind: 'wait', until: iso(new Date(NOW.getTime() + 15_000)) }],
  },
  {
    reason: 'reblock_cooldown',
    status: 403,
    when: 'blocking again 47 hours after unblocking',
    decide: () => decideBlock(facts({ rel: { lastUnblockedAt: ago(47 * HOUR) } }), NOW),
    unlock: [{ kind: 'wait', until: iso(new Date(NOW.getTime() + HOUR)) }],
  },
  { reason: 'pages_cannot_ignore', status: 403, when: 'a page ignoring a request', decide: () => decideIgnoreRequest(page()) },
  {
    reason: 'request_not_accepted',
    status: 403,
    when: 'the recipient of a pending request writes before accepting',
    decide: () =>
      decideReply(
        facts({ rel: { degree: 2, conversation: { state: 'request', startedBy: 'member', channel: 'tier_reach', followUps: 0, accepted: false } } }),
        { body: 'hi' },
        NOW,
      ),
  },
  {
    reason: 'introductions_paused',
    status: 403,
    when: 'the asked member declined 3 asks from the asker in 30 days',
    decide: () =>
      decideIntroductionAsk(
        facts({ rel: { degree: 2 } }),
        {
          via: facts().member,
          viaConnectedToViewer: true,
          viaConnectedToMember: true,
          viaDegree: 1,
          openAsk: false,
          asksThisMonth: 0,
          declinesByVia: [ago(2 * DAY), ago(DAY), NOW],
          otherVias: [],
        },
        null,
        NOW,
      ),
    unlock: [{ kind: 'wait', until: iso(new Date(NOW.getTime() + 90 * DAY)) }],
  },
  {
    reason: 'premium_only',
    status: 403,
    when: 'a free member turns Open Profile on',
    decide: () => decideSettingsChange({ kind: 'person', tier: 'free', tierUntil: null }, { openProfile: true }, NOW),
    unlock: [{ kind: 'upgrade', tier: 'career' }],
  },
];

describe('settings only premium members may turn on (DOMAIN.md 7)', () => {
  it('Open Profile: on for a premium member, off for anyone, left alone when not in the change; a lapsed tier is free', () => {
    const member = (tier: 'free' | 'career', tierUntil: Date | null) => ({ kind: 'person' as const, tier, tierUntil });
    expect(decideSettingsChange(member('career', new Date(NOW.getTime() + DAY)), { openProfile: true }, NOW).allowed).toBe(true);
    expect(decideSettingsChange(member('career', ago(DAY)), { openProfile: true }, NOW).reason).toBe('premium_only');
    expect(decideSettingsChange(member('free', null), { openProfile: false }, NOW).allowed).toBe(true);
    expect(decideSettingsChange(member('free', null), {}, NOW).allowed).toBe(true);
  });
});

describe('every reason code is reachable', () => {
  it.each(ROWS)('$reason ($status): $when', (row) => {
    const d = row.decide();
    expect(d.reason).toBe(row.reason);
    expect(d.allowed).toBe(row.reason === 'ok');
    expect(REASON_HTTP_STATUS[d.reason]).toBe(row.status);
    expect(d.unlock).toEqual(row.unlock ?? []);
  });

  it('the table has one row for every reason code, and every code has a status', () => {
    expect(new Set(ROWS.map((r) => r.reason))).toEqual(new Set(REASONS));
    expect(Object.keys(REASON_HTTP_STATUS).sort()).toEqual([...REASONS].sort());
  });

  it('holds every reason code of API.md', () => {
    const api =
      'ok self sender_restricted sender_inactive recipient_unavailable recipient_settings not_in_reach no_inmail_credits inmail_not_accepted connection_cap recipient_connection_cap invitation_pending already_connected withdraw_cooldown weekly_invitation_limit note_limit note_too_long email_required pages_cannot_invite awaiting_response monthly_limit bulk_flagged too_long rate_limited reblock_cooldown pages_cannot_ignore';
    for (const code of api.split(' ')) expect(REASONS).toContain(code);
  });

  it('follow has only the shared denials', () => {
    expect(decideFollow(facts(), NOW)).toEqual({ allowed: true, reason: 'ok', unlock: [] });
    expect(decideFollow(facts({ memberIsPage: true }), NOW).allowed).toBe(true);
    expect(decideFollow(selfFacts(), NOW).reason).toBe('self');
    expect(decideFollow(facts({ viewer: { status: 'restricted' } }), NOW).reason).toBe('ok'); // DOMAIN.md 1: a restricted member may follow
    expect(decideFollow(facts({ viewer: { status: 'closed' } }), NOW).reason).toBe('sender_inactive');
    expect(decideFollow(facts({ rel: { blockedByMember: true } }), NOW).reason).toBe('recipient_unavailable');
  });

  it('the minute window of rate_limited is one minute', () => {
    const d = msg(facts({ rel: { degree: 1 }, quotas: { messagesLastMinute: 31, oldestMessageLastMinuteAt: ago(MIN) } }));
    expect(d.unlock).toEqual([{ kind: 'wait', until: NOW.toISOString() }]);
  });
});
