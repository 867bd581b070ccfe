/**
 * The one schema of Liaison (PostgreSQL; the same on PGlite and a real server).
 * Migrations in ./drizzle are generated from this file by `npm run db:generate`.
 *
 * Concurrency is the database's job: uniqueness and CHECK constraints make wrong states impossible,
 * and services lock the member rows a quota depends on (SELECT … FOR UPDATE, in id order).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Persons and pages. `status` is active | deactivated | closed; `restricted` is the platform's flag. */
export const members = pgTable(
  'members',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
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
    uniqueIndex('members_handle_lower_uq').on(sql`lower(${t.handle})`),
    uniqueIndex('members_email_lower_uq').on(sql`lower(${t.email})`),
    index('members_handle_prefix_idx').on(sql`lower(${t.handle}) text_pattern_ops`),
    index('members_name_prefix_idx').on(sql`lower(${t.name}) text_pattern_ops`),
    check('members_kind_ck', sql`${t.kind} in ('person','page')`),
    check('members_status_ck', sql`${t.status} in ('active','deactivated','closed')`),
  ],
);

export const credentials = pgTable('credentials', {
  memberId: integer('member_id')
    .primaryKey()
    .references(() => members.id),
  passwordHash: text('password_hash').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** Bearer sessions: only the SHA-256 of the token is stored. */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('sessions_member_idx').on(t.memberId)],
);

/** One row per member; columns mirror API.md Settings with its defaults. */
export const settings = pgTable('settings', {
  memberId: integer('member_id')
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
});

/** The paid tier of a person and when it ends (a past `until` means lapsed, i.e. free). */
export const subscriptions = pgTable('subscriptions', {
  memberId: integer('member_id')
    .primaryKey()
    .references(() => members.id),
  tier: text('tier').notNull(),
  until: ts('until'),
  startedAt: ts('started_at').notNull().defaultNow(),
});

/** Idempotency-Key store: written in the same transaction as what the request created. */
export const idempotency = pgTable(
  'idempotency_keys',
  {
    memberId: integer('member_id').notNull(),
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
    memberIds: integer('member_ids').array().notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('events_members_idx').using('gin', t.memberIds)],
);
