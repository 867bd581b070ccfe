/**
 * The one schema of Liaison (PostgreSQL; the same on PGlite and a real server).
 * Migrations in ./drizzle are generated from this file by `npm run db:generate`.
 *
 * Concurrency is the database's job: uniqueness and CHECK constraints make wrong states impossible,
 * and services lock the member rows a quota depends on (SELECT … FOR UPDATE, in id order).
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, customType, index, integer, jsonb, pgSequence, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { formatSpans, parseSpans, type Span } from './spans.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Persons and pages. `status` is active | deactivated | closed; `restricted` is the platform's flag. */
export const members = pgTable(
  'members',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    handle: text('handle').notNull(),
    kind: text('kind').notNull().$type<'person' | 'page'>(),
    name: text('name').notNull(),
    headline: text('headline').notNull().default(''),
    about: text('about').notNull().default(''),
    email: text('email'),
    status: text('status').notNull().default('active').$type<'active' | 'deactivated' | 'closed'>(),
    restricted: boolean('restricted').notNull().default(false),
    bulkFlagged: boolean('bulk_flagged').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    // Unique handles and e-mails live in member_handles and member_emails (below).
    index('members_email_lower_idx').on(sql`lower(${t.email})`),
    index('members_handle_prefix_idx').on(sql`lower(${t.handle}) text_pattern_ops`),
    index('members_name_prefix_idx').on(sql`lower(${t.name}) text_pattern_ops`),
    check('members_kind_ck', sql`${t.kind} in ('person','page')`),
    check('members_status_ck', sql`${t.status} in ('active','deactivated','closed')`),
  ],
);

/**
 * Unique facts that cannot carry a member's id (the distribution column on Citus, docs/SCALING.md)
 * live in lookup tables keyed by the fact itself, written in the same transaction as the row they
 * guard: a handle (lower case, forever: a closed member keeps theirs), an e-mail (lower case).
 * No foreign keys: on Citus each is distributed by its own key, away from members.
 */
export const memberHandles = pgTable('member_handles', {
  handle: text('handle').primaryKey(),
  memberId: bigint('member_id', { mode: 'number' }).notNull(),
});

export const memberEmails = pgTable('member_emails', {
  email: text('email').primaryKey(),
  memberId: bigint('member_id', { mode: 'number' }).notNull(),
});

/**
 * One open (pending or ignored) invitation per unordered pair (lo < hi): a row while the invitation
 * `invitation_id` is open, removed when it is accepted, withdrawn or expired. Distributed by `lo`.
 */
export const invitationOpenPairs = pgTable(
  'invitation_open_pairs',
  {
    lo: bigint('lo', { mode: 'number' }).notNull(),
    hi: bigint('hi', { mode: 'number' }).notNull(),
    invitationId: bigint('invitation_id', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.lo, t.hi] }), check('invitation_open_pairs_order_ck', sql`${t.lo} < ${t.hi}`)],
);

/**
 * One live (not ended) conversation per unordered pair (lo < hi): a row while `conversation_id` is
 * live, removed when a block ends it. Distributed by `lo`.
 */
export const conversationLivePairs = pgTable(
  'conversation_live_pairs',
  {
    lo: bigint('lo', { mode: 'number' }).notNull(),
    hi: bigint('hi', { mode: 'number' }).notNull(),
    conversationId: bigint('conversation_id', { mode: 'number' }),
  },
  (t) => [primaryKey({ columns: [t.lo, t.hi] }), check('conversation_live_pairs_order_ck', sql`${t.lo} < ${t.hi}`)],
);

export const credentials = pgTable('credentials', {
  memberId: bigint('member_id', { mode: 'number' })
    .primaryKey()
    .references(() => members.id),
  passwordHash: text('password_hash').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * Bearer sessions: only the SHA-256 of the token is stored. `id` is a separate random public id
 * (GET /v1/me/sessions names sessions by it, never by the token's hash); `last_used_at` is touched
 * at most once a minute and ends the session after the policy's sessionIdleDays without use.
 */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    id: text('id')
      .notNull()
      .default(sql`gen_random_uuid()::text`),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at').notNull().defaultNow(),
  },
  (t) => [index('sessions_member_idx').on(t.memberId), uniqueIndex('sessions_id_uq').on(t.id)],
);

/** One row per member; columns mirror API.md Settings with its defaults. */
export const settings = pgTable('settings', {
  memberId: bigint('member_id', { mode: 'number' })
    .primaryKey()
    .references(() => members.id),
  primaryAction: text('primary_action').notNull().default('connect'),
  messageRequests: text('message_requests').notNull().default('on'),
  openProfile: boolean('open_profile').notNull().default(false),
  acceptInMail: boolean('accept_inmail').notNull().default(true),
  messagesFrom: text('messages_from').notNull().default('anyone'),
  profileVisibility: text('profile_visibility').notNull().default('everyone'),
  readReceipts: boolean('read_receipts').notNull().default(true),
  typingIndicators: boolean('typing_indicators').notNull().default(true),
  /** openTo (DOMAIN.md 7): shown on the profile to viewers within profileVisibility. */
  openToJobs: boolean('open_to_jobs').notNull().default(false),
  openToMentoring: boolean('open_to_mentoring').notNull().default(false),
  /** requestFilters (DOMAIN.md 9): all off by default. */
  filterNewAccounts: boolean('filter_new_accounts').notNull().default(false),
  filterNoSharedConnections: boolean('filter_no_shared_connections').notNull().default(false),
  filterNotFollowed: boolean('filter_not_followed').notNull().default(false),
  /** The notification kinds turned off (Settings.notifications: every kind on by default). */
  notificationsOff: text('notifications_off')
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
});

/** The paid tier of a person and when it ends (a past `until` means lapsed, i.e. free). */
export const subscriptions = pgTable('subscriptions', {
  memberId: bigint('member_id', { mode: 'number' })
    .primaryKey()
    .references(() => members.id),
  tier: text('tier').notNull(),
  until: ts('until'),
  /** When the current paid run started (a renewal or a downgrade keeps it). */
  startedAt: ts('started_at').notNull().defaultNow(),
  /**
   * When the row last changed: the tier's monthly grants up to this instant were written at that
   * change, so the grants still due are the 1sts of month after it (see services/inmail.ts).
   */
  changedAt: ts('changed_at').notNull().defaultNow(),
});

/** A rolling window's instants: a timestamptz[] column, empty by default. */
const instants = (name: string) =>
  ts(name)
    .array()
    .notNull()
    .default(sql`'{}'`);

/**
 * Each member's counters behind the sender quotas (DOMAIN.md 3, 8; issue 17): written by the verb
 * that makes what they count, in its transaction, and read by the next one under the member's row
 * lock, so a quota never counts over history. Rolling windows keep the instants still inside them
 * (trimmed at each write: at most the quota's size), calendar months a month and a count. No row:
 * nothing counted yet (seeded and imported members start without one).
 */
export const memberCounters = pgTable('member_counters', {
  memberId: bigint('member_id', { mode: 'number' })
    .primaryKey()
    .references(() => members.id),
  /** when each invitation sent in the last 7 days was sent */
  invitationsAt: instants('invitations_at'),
  /** the calendar month (its first instant, UTC) `notes` counts in */
  notesMonth: ts('notes_month'),
  /** invitations sent with a note in `notes_month` */
  notes: integer('notes').notNull().default(0),
  /** when each of the member's invitations reported "I don't know this person" in the last 90 days was reported */
  reportedAt: instants('reported_at'),
  /** when each message sent in the last minute was sent */
  messagesAt: instants('messages_at'),
  /** the calendar month `non_connection` and `group` count in */
  conversationsMonth: ts('conversations_month'),
  /** conversations started with a non-connection (channel other than direct) in `conversations_month` */
  nonConnection: integer('non_connection').notNull().default(0),
  /** conversations started on the group channel in `conversations_month` */
  group: integer('group').notNull().default(0),
});

/** Idempotency-Key store: written in the same transaction as what the request created. */
export const idempotency = pgTable(
  'idempotency_keys',
  {
    memberId: bigint('member_id', { mode: 'number' }).notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code'),
    response: jsonb('response'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.memberId, t.key] }), index('idempotency_created_idx').on(t.createdAt)],
);

/** The outbox: every committed change that others must learn about (graph index, sockets). */
export const events = pgTable(
  'events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    type: text('type').notNull(),
    memberIds: bigint('member_ids', { mode: 'number' }).array().notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('events_members_idx').using('gin', t.memberIds)],
);

/** Connections are undirected: stored once per pair with a < b. */
export const connections = pgTable(
  'connections',
  {
    a: bigint('a', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    b: bigint('b', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.a, t.b] }), index('connections_b_idx').on(t.b, t.a), check('connections_order_ck', sql`${t.a} < ${t.b}`)],
);

export const follows = pgTable(
  'follows',
  {
    follower: bigint('follower', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    followee: bigint('followee', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.follower, t.followee] }), index('follows_followee_idx').on(t.followee)],
);

/** A block is active while `unblocked_at` is null; the row remembers the last unblock (re-block cooldown). */
export const blocks = pgTable(
  'blocks',
  {
    blocker: bigint('blocker', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    blocked: bigint('blocked', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
    unblockedAt: ts('unblocked_at'),
  },
  (t) => [primaryKey({ columns: [t.blocker, t.blocked] }), index('blocks_blocked_idx').on(t.blocked)],
);

/**
 * Invitations. An ignored invitation still reads as pending to its sender, so "one open invitation
 * per unordered pair" covers pending and ignored (invitation_open_pairs makes a second impossible).
 */
export const invitations = pgTable(
  'invitations',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    fromId: bigint('from_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    toId: bigint('to_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    note: text('note'),
    email: text('email'),
    status: text('status').notNull().default('pending').$type<'pending' | 'accepted' | 'ignored' | 'withdrawn' | 'expired'>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    respondedAt: ts('responded_at'),
    reportedAt: ts('reported_at'),
  },
  (t) => [
    // the pair's uniqueness: invitation_open_pairs
    index('invitations_open_pair_idx')
      .on(sql`least(${t.fromId}, ${t.toId})`, sql`greatest(${t.fromId}, ${t.toId})`)
      .where(sql`${t.status} in ('pending','ignored')`),
    index('invitations_from_idx').on(t.fromId, t.createdAt),
    index('invitations_to_idx').on(t.toId, t.status),
    check('invitations_status_ck', sql`${t.status} in ('pending','accepted','ignored','withdrawn','expired')`),
    check('invitations_not_self_ck', sql`${t.fromId} <> ${t.toId}`),
  ],
);

export const groups = pgTable(
  'groups',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    /** open: anyone joins at once; approval: an admin approves each request (DOMAIN.md 2). */
    joinPolicy: text('join_policy').notNull().default('open').$type<'open' | 'approval'>(),
    createdBy: bigint('created_by', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [check('groups_join_policy_ck', sql`${t.joinPolicy} in ('open','approval')`)],
);

/** Requests to join a group that requires approval; a member only once approved (then in group_members). */
export const groupRequests = pgTable(
  'group_requests',
  {
    groupId: bigint('group_id', { mode: 'number' })
      .notNull()
      .references(() => groups.id),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.memberId] })],
);

export const groupMembers = pgTable(
  'group_members',
  {
    groupId: bigint('group_id', { mode: 'number' })
      .notNull()
      .references(() => groups.id),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    /** The creator is the first admin; admins add admins from the members. */
    admin: boolean('admin').notNull().default(false),
    joinedAt: ts('joined_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.memberId] }), index('group_members_member_idx').on(t.memberId)],
);

export const pageAdmins = pgTable(
  'page_admins',
  {
    pageId: bigint('page_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.pageId, t.memberId] }), index('page_admins_member_idx').on(t.memberId)],
);

/** A page admin's invitation to a person: they become an admin only when they accept it. */
export const pageAdminInvitations = pgTable(
  'page_admin_invitations',
  {
    pageId: bigint('page_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    invitedBy: bigint('invited_by', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.pageId, t.memberId] }), index('page_admin_invitations_member_idx').on(t.memberId)],
);

/** One conversation per unordered pair of members (a page counts as one member). */
export const conversations = pgTable(
  'conversations',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    starterId: bigint('starter_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    recipientId: bigint('recipient_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    state: text('state').notNull().$type<'open' | 'request'>(),
    channel: text('channel').notNull(),
    followUps: integer('follow_ups').notNull().default(0),
    /**
     * DOMAIN.md 5.1: the recipient let the sender in (accepted the request, or replied while the two
     * were not connected). Ends when either side removes the connection; a block ends the thread.
     */
    accepted: boolean('accepted').notNull().default(false),
    /** A block ended the thread: it stays gone for both, and a new message starts a new one. */
    endedAt: ts('ended_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastMessageAt: ts('last_message_at').notNull().defaultNow(),
    lastMessageId: bigint('last_message_id', { mode: 'number' }),
  },
  (t) => [
    // the pair's uniqueness: conversation_live_pairs
    index('conversations_live_pair_idx')
      .on(sql`least(${t.starterId}, ${t.recipientId})`, sql`greatest(${t.starterId}, ${t.recipientId})`)
      .where(sql`${t.endedAt} is null`),
    index('conversations_starter_idx').on(t.starterId, t.createdAt),
    check('conversations_state_ck', sql`${t.state} in ('open','request')`),
  ],
);

/** Spans of message ids (int8multirange), read as `Span[]` (src/store/spans.ts). */
const messageSpans = customType<{ data: Span[]; driverData: string }>({
  dataType: () => 'int8multirange',
  toDriver: (v) => formatSpans(v),
  fromDriver: (v) => parseSpans(v),
});

/** Each side of a conversation: its folder, unread count, read mark, and whether it hid or ignored it. */
export const conversationMembers = pgTable(
  'conversation_members',
  {
    conversationId: bigint('conversation_id', { mode: 'number' })
      .notNull()
      .references(() => conversations.id),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    folder: text('folder').notNull().$type<'inbox' | 'requests' | 'filtered'>(),
    unread: integer('unread').notNull().default(0),
    lastReadMessageId: bigint('last_read_message_id', { mode: 'number' }),
    /** The conversation's last message when this side last had activity (the list's tie-break, read without the conversation row). */
    lastMessageId: bigint('last_message_id', { mode: 'number' }),
    hidden: boolean('hidden').notNull().default(false),
    ignored: boolean('ignored').notNull().default(false),
    lastActivityAt: ts('last_activity_at').notNull().defaultNow(),
    /** The first message of the last request this side received in the thread (set when a request begins or begins again). */
    requestFrom: bigint('request_from', { mode: 'number' }),
    /**
     * Messages gone for this side: a request the member ignored (or a page deleted) is deleted for
     * them (DOMAIN.md 5), so when the thread comes back to them (they write into it, or the sender
     * writes again) the request and what followed it unseen stay gone (deletedOnReturn, src/policy/block.ts).
     */
    deletedSpans: messageSpans('deleted_spans')
      .notNull()
      .default(sql`'{}'`),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.memberId] }),
    index('conversation_members_list_idx').on(t.memberId, t.folder, t.lastActivityAt),
    /** GET /v1/me unread counts read only the sides with unread messages. */
    index('conversation_members_unread_idx')
      .on(t.memberId, t.folder)
      .where(sql`${t.unread} > 0 and not ${t.hidden} and not ${t.ignored}`),
    check('conversation_members_unread_ck', sql`${t.unread} >= 0`),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    conversationId: bigint('conversation_id', { mode: 'number' })
      .notNull()
      .references(() => conversations.id),
    senderId: bigint('sender_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    /** the person who wrote it when the sender is a page */
    authorId: bigint('author_id', { mode: 'number' }).references(() => members.id),
    body: text('body').notNull(),
    subject: text('subject'),
    channel: text('channel').notNull(),
    /** sha-256 of the normalized body (case, whitespace) for bulk detection */
    bodyHash: text('body_hash').notNull(),
    toNonConnection: boolean('to_non_connection').notNull().default(false),
    /** The forwarded introduction this message delivers (channel `introduction`, DOMAIN.md 11). */
    introductionId: bigint('introduction_id', { mode: 'number' }),
    recipientId: bigint('recipient_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('messages_conversation_idx').on(t.conversationId, t.id),
    index('messages_sender_idx').on(t.senderId, t.createdAt),
    index('messages_bulk_idx').on(t.senderId, t.bodyHash, t.createdAt),
  ],
);

export const attachments = pgTable(
  'attachments',
  {
    id: text('id').primaryKey(),
    uploaderId: bigint('uploader_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    sha256: text('sha256').notNull(),
    name: text('name').notNull(),
    type: text('type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('attachments_uploader_idx').on(t.uploaderId), index('attachments_uploader_created_idx').on(t.uploaderId, t.createdAt)],
);

export const messageAttachments = pgTable(
  'message_attachments',
  {
    messageId: bigint('message_id', { mode: 'number' })
      .notNull()
      .references(() => messages.id),
    attachmentId: text('attachment_id')
      .notNull()
      .references(() => attachments.id),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.attachmentId] }), index('message_attachments_att_idx').on(t.attachmentId)],
);

/**
 * The InMail ledger, append-only (DOMAIN.md 1 and 5): grant (+, tier pool, at most one per member and
 * period), purchase (+, purchased pool), spend (-1 from one pool), refund (+1 to the spend's pool, one
 * per spent message). A balance is the sum; a pool's balance the sum of its rows. Writers lock the
 * member row first.
 */
export const inmailLedger = pgTable(
  'inmail_ledger',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    kind: text('kind').notNull().$type<'grant' | 'purchase' | 'spend' | 'refund'>(),
    pool: text('pool').notNull().default('tier').$type<'tier' | 'purchased'>(),
    amount: integer('amount').notNull(),
    /** a grant's period: `YYYY-MM` (the 1st of a month), `start:<iso>` or `upgrade:<iso>` */
    period: text('period'),
    messageId: bigint('message_id', { mode: 'number' }),
    note: text('note'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('inmail_ledger_member_idx').on(t.memberId, t.createdAt),
    uniqueIndex('inmail_ledger_grant_uq')
      .on(t.memberId, t.period)
      .where(sql`${t.kind} = 'grant'`),
    uniqueIndex('inmail_ledger_refund_uq')
      .on(t.messageId)
      .where(sql`${t.kind} = 'refund'`),
    uniqueIndex('inmail_ledger_spend_uq')
      .on(t.messageId)
      .where(sql`${t.kind} = 'spend'`),
    check('inmail_ledger_kind_ck', sql`${t.kind} in ('grant','purchase','spend','refund')`),
    check('inmail_ledger_pool_ck', sql`${t.pool} in ('tier','purchased')`),
  ],
);

export const reports = pgTable(
  'reports',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    reporterId: bigint('reporter_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    /**
     * The person who made the report when it was made as a page they administer (null: the
     * reporter themself): distinct reporters toward restriction are distinct persons, so that one
     * person's pages count once (found by a reviewer: three new pages restricted a member).
     */
    authorId: bigint('author_id', { mode: 'number' }),
    reportedId: bigint('reported_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    conversationId: bigint('conversation_id', { mode: 'number' }),
    reason: text('reason').notNull(),
    /** Decided by the policy when the report is made: does it count toward restriction (DOMAIN.md 5)? */
    counts: boolean('counts').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('reports_reported_idx').on(t.reportedId, t.createdAt)],
);

/**
 * Warm introductions (DOMAIN.md 11): A (asker) asks B (via) to introduce them to C (target).
 * `status` asked | forwarded | declined; an ask older than introductionExpiryDays reads as expired
 * (computed from now, no job). One open ask per (asker, target): a partial unique index, with lapsed
 * asks marked expired before a new one is written.
 */
export const introductions = pgTable(
  'introductions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    askerId: bigint('asker_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    viaId: bigint('via_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    targetId: bigint('target_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    note: text('note'),
    forwardNote: text('forward_note'),
    status: text('status').notNull().default('asked').$type<'asked' | 'forwarded' | 'declined' | 'expired'>(),
    conversationId: bigint('conversation_id', { mode: 'number' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    respondedAt: ts('responded_at'),
  },
  (t) => [
    uniqueIndex('introductions_open_uq')
      .on(t.askerId, t.targetId)
      .where(sql`${t.status} = 'asked'`),
    index('introductions_asker_idx').on(t.askerId, t.createdAt),
    index('introductions_via_idx').on(t.viaId, t.status),
    check('introductions_status_ck', sql`${t.status} in ('asked','forwarded','declined','expired')`),
  ],
);

/**
 * Notifications (DOMAIN.md 9): one row per group (kind and UTC day for invitation.* and
 * credits.granted, kind and conversation or page otherwise), written in the transaction of the event
 * that causes it. `seq` (from notifications_seq) is taken again at every update: the list is ordered
 * by it and the member's read mark is a seq. `count` counts every event of the group; `credits` sums
 * a credits.granted group's credits.
 */
export const notificationsSeq = pgSequence('notifications_seq');

export const notifications = pgTable(
  'notifications',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    kind: text('kind').notNull(),
    groupKey: text('group_key').notNull(),
    conversationId: bigint('conversation_id', { mode: 'number' }),
    invitationId: bigint('invitation_id', { mode: 'number' }),
    pageId: bigint('page_id', { mode: 'number' }),
    count: integer('count').notNull().default(1),
    credits: integer('credits').notNull().default(0),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('notifications_group_uq').on(t.memberId, t.kind, t.groupKey),
    index('notifications_list_idx').on(t.memberId, t.seq),
    index('notifications_conversation_idx').on(t.conversationId),
    index('notifications_updated_idx').on(t.updatedAt),
  ],
);

/**
 * Who caused a notification group: one row per actor, with their events and their last update.
 * `member_id` is the group's recipient (notifications.member_id): the actors sit beside their group,
 * on the recipient's shard on Citus (migration 0010).
 */
export const notificationActors = pgTable(
  'notification_actors',
  {
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    notificationId: bigint('notification_id', { mode: 'number' })
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    actorId: bigint('actor_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    count: integer('count').notNull().default(1),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.memberId, t.notificationId, t.actorId] })],
);

/** A member's notification read mark: everything with a seq at or below it is read. */
export const notificationMarks = pgTable('notification_marks', {
  memberId: bigint('member_id', { mode: 'number' })
    .primaryKey()
    .references(() => members.id),
  readSeq: bigint('read_seq', { mode: 'number' }).notNull().default(0),
});

/**
 * Search words (DOMAIN.md 10): one row per distinct word of an active member's name and handle
 * (field 0) or headline (field 1), as src/policy/search.ts searchWords splits them (NFKC, lower
 * case, runs of letters and digits). Written by every writer of a member's name, handle, headline
 * or status in the same transaction (src/store/search-words.ts: sign-up, pages, profile edits,
 * deactivate, reactivate, close, import, seed; a trigger until migration 0010). `word` is `text collate "C"` in both
 * tables (migration 0008: Drizzle does not declare collations), so a btree range finds a prefix;
 * exact words and prefixes are an index-only scan (the index carries member and field).
 */
export const searchWords = pgTable(
  'search_words',
  {
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    field: integer('field').notNull().$type<0 | 1>(),
    word: text('word').notNull(),
  },
  (t) => [primaryKey({ columns: [t.memberId, t.field, t.word] }), index('search_words_word_idx').on(t.word, t.memberId, t.field)],
);

/**
 * Every word search_words has held, once (rows are never removed: a word no member has any more
 * matches nobody). Typos are looked up here, a distinct word at a time: one letter off through a
 * prefix or a suffix (reverse) of half the word, two letters off through trigrams, one-letter
 * queries through the short words; levenshtein_less_equal then applies the policy's rule.
 */
export const searchVocabulary = pgTable('search_vocabulary', { word: text('word').primaryKey() }, (t) => [
  // the primary key serves prefixes; the reverse index carries the word (migration 0008: INCLUDE)
  index('search_vocabulary_reverse_idx').on(sql`reverse(${t.word})`),
  index('search_vocabulary_trgm_idx').using('gin', sql`${t.word} gin_trgm_ops`),
  index('search_vocabulary_short_idx')
    .on(t.word)
    .where(sql`char_length(${t.word}) <= 2`),
]);
