/**
 * The plain snapshot of facts the policy decides on. The service layer gathers it from the store
 * and the graph index (with its own `now`) and the policy answers: no I/O, no clock here.
 *
 * Everything is seen from the **viewer** (the member acting: sender, inviter, follower, blocker)
 * towards the **member** (the one acted upon: recipient, invitee, profile owner).
 * Facts describe only what the viewer may know; hidden things (an ignored request or invitation)
 * stay as they look to the viewer (still pending).
 */
import type { Tier } from './policy.js';
import type { Channel, Degree, MemberKind, MemberStatus, Settings } from './types.js';

/** One member as the rules see it. */
export interface MemberFacts {
  id: string;
  handle: string;
  kind: MemberKind;
  /** The tier on record; see `effectiveTier` for the tier the rules use. Pages count as free. */
  tier: Tier;
  /**
   * End of a paid tier (exclusive: from this instant on the member is free again).
   * `null` means no end date (a paid tier without end never lapses).
   */
  tierUntil: Date | null;
  status: MemberStatus;
  settings: Settings;
  connectionCount: number;
  /** Flagged as bulk sender (DOMAIN.md 5) until a moderator reviews it. */
  bulkFlagged?: boolean;
}

/** The conversation between viewer and member, if there is one. */
export interface ConversationFacts {
  /** `open` = an accepted request or any conversation between connections; `request` = pending. */
  state: 'open' | 'request';
  /** Who started it (sent the request). */
  startedBy: 'viewer' | 'member';
  /** The channel its first message travelled on (a follow-up keeps it). */
  channel: Channel;
  /** Messages the starter sent after the first one while the request is pending. */
  followUps: number;
  /**
   * DOMAIN.md 5.1: the recipient let the sender in (accepted the request, or replied while the two
   * were not connected). Ends when either side removes the connection.
   */
  accepted: boolean;
}

/** Everything between the viewer and the member. */
export interface RelationshipFacts {
  /** 1 = connected, 2, 3, or `null` (out of network). "Connected" is exactly `degree === 1`. */
  degree: Degree;
  /** The pending invitation between them, if any, and who sent it. */
  invitation: { direction: 'sent' | 'received' } | null;
  /** The viewer has blocked the member. */
  blockedByViewer: boolean;
  /** The member has blocked the viewer. */
  blockedByMember: boolean;
  /** Number of groups both belong to. */
  sharedGroups: number;
  conversation: ConversationFacts | null;
  /** Last time the viewer withdrew an invitation to this member. */
  lastWithdrawnAt: Date | null;
  /** Last time the viewer unblocked this member. */
  lastUnblockedAt: Date | null;
  /**
   * Introduction paths to offer (degree 2 or 3): each a list of handles from the viewer's side to
   * the member's side, e.g. `[['ann']]` (2nd degree) or `[['ann', 'bob']]` (3rd degree). The
   * service chooses how many to give; the policy offers all of them.
   */
  introductions: string[][];
  /**
   * For each path of `introductions` (same order), what the viewer's own asks say about asking its
   * first step now (DOMAIN.md 11): a path whose ask would be refused (an ask to its next member
   * open, asks paused by that step, the month's asks used up) is not offered as a way in. Absent:
   * not gathered (the paths are offered as found).
   */
  introductionAsks?: AskState[];
}

/** The viewer's asks as they bear on one ask: to the path's next member, of its first step (DOMAIN.md 11). */
export interface AskState {
  /** An ask from the viewer about the same member is open (asked, not expired). */
  openAsk: boolean;
  /** Asks the viewer made this calendar month (UTC). */
  asksThisMonth: number;
  /** When the step asked declined asks from the viewer, newest last (the last 120 days are enough). */
  declinesByVia: Date[];
}

/** The viewer's counters, computed by the service from timestamps and its `now`. */
export interface QuotaFacts {
  /** Invitations the viewer sent in the rolling 7 days before now, and the oldest of them. */
  invitationsLast7Days: number;
  oldestInvitationLast7DaysAt: Date | null;
  /** Invitations with a note the viewer sent this calendar month (UTC). */
  notesThisMonth: number;
  /** "I don't know this person" reports on the viewer's invitations in the last 90 days. */
  idkReportsLast90Days: number;
  /** Messages the viewer sent in the 60 seconds before now, and the oldest of them. */
  messagesLastMinute: number;
  oldestMessageLastMinuteAt: Date | null;
  /** Conversations the viewer started with non-connections this calendar month (UTC). */
  nonConnectionConversationsThisMonth: number;
  /** Conversations the viewer started on channel `group` this calendar month (UTC). */
  groupConversationsThisMonth: number;
  /** InMail credits on the viewer's ledger, both pools (a lapsed tier cannot spend its tier credits). */
  inmailBalance: number;
  /** The purchased part of `inmailBalance`: spendable on any tier, never expiring. */
  inmailPurchased: number;
}

/** The full snapshot. `member: null` is an unknown handle. */
export interface Facts {
  viewer: MemberFacts;
  member: MemberFacts | null;
  relationship: RelationshipFacts;
  quotas: QuotaFacts;
}

/** What the sender asks for when sending (or what the "why" answer assumes: nothing). */
export interface MessageAttempt {
  /** Ask for an InMail explicitly: the only way a credit is ever spent. */
  channel?: 'inmail';
  body?: string;
  subject?: string | null;
}

/** What the inviter sends. */
export interface InvitationAttempt {
  note?: string | null;
  /** The inviter gave the member's e-mail address and it matches (the service compares). */
  emailMatches?: boolean;
}

/** No relationship at all, with any fields overridden. */
export function relationshipFacts(over: Partial<RelationshipFacts> = {}): RelationshipFacts {
  return {
    degree: null,
    invitation: null,
    blockedByViewer: false,
    blockedByMember: false,
    sharedGroups: 0,
    conversation: null,
    lastWithdrawnAt: null,
    lastUnblockedAt: null,
    introductions: [],
    ...over,
  };
}

/** All counters at zero, with any fields overridden. */
export function quotaFacts(over: Partial<QuotaFacts> = {}): QuotaFacts {
  return {
    invitationsLast7Days: 0,
    oldestInvitationLast7DaysAt: null,
    notesThisMonth: 0,
    idkReportsLast90Days: 0,
    messagesLastMinute: 0,
    oldestMessageLastMinuteAt: null,
    nonConnectionConversationsThisMonth: 0,
    groupConversationsThisMonth: 0,
    inmailBalance: 0,
    inmailPurchased: 0,
    ...over,
  };
}
