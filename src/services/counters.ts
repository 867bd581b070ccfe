/**
 * The sender quotas' counts from each member's counter row (`member_counters`, issue 17), not from
 * count(*) over their invitations, messages and conversations. The verb that makes what a quota
 * counts writes the row in its own transaction (`countersBump`, an upsert deferred to the verb's
 * last statement); the next verb of the same member reads it (`counterColumns`) after taking the
 * member's row lock, which every writer of the member's own counts holds, so the count it decides
 * on is exact. Rolling windows keep the instants still inside them, trimmed at each write (so a
 * row holds at most a quota's worth); calendar months keep the month and its count. Which window
 * and which month are the policy's (src/policy/limits.ts, time.ts); what counts is what DOMAIN.md
 * and the model of it (test/model) count: invitations sent, notes sent, "I don't know this person"
 * reports received (once an invitation), messages sent, conversations started (a new thread, or one
 * begun again after it ended) on a channel other than direct, and on the group channel.
 */
import { type SQL } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { IDK_REPORT_WINDOW_MS, INVITATION_WINDOW_MS, MESSAGE_RATE_WINDOW_MS, startOfMonthUTC } from '../policy/index.js';
import type { Channel } from '../policy/types.js';

const before = (now: Date, ms: number) => new Date(now.getTime() - ms);

/** What one verb adds to a member's counters. */
export interface CounterBump {
  /** an invitation sent, with a note or not */
  invitation?: { note: boolean };
  /** one of the member's invitations reported "I don't know this person" (the first report of it) */
  reported?: true;
  /** a message sent */
  message?: true;
  /** a conversation this send starts (or begins again), on this channel */
  started?: Channel;
}

/** Columns read through joins: `columns` for a select list, `joins` for its from clause (`fromJoins`). */
export interface JoinedColumns {
  columns: SQL;
  joins: SQL;
}

/**
 * The from clause of a statement whose select list holds JoinedColumns: one row, with each part's
 * row (or nulls) joined to it.
 */
export const fromJoins = (...parts: JoinedColumns[]) =>
  sql`from (select) as one ${sql.join(
    parts.map((p) => p.joins),
    sql` `,
  )}`;

/** A statement of one row: the parts' columns. */
export const selectJoined = (...parts: JoinedColumns[]) =>
  sql`select ${sql.join(
    parts.map((p) => p.columns),
    sql`, `,
  )} ${fromJoins(...parts)}`;

/** One rolling window's instants, from `col` of the counter row `mc`: count and oldest. */
function inWindow(col: string, after: Date, name: string) {
  const t = sql`from unnest(mc.${sql.raw(col)}) t where t > ${after}`;
  return sql`(select count(*) ${t})::int as ${sql.raw(name)}, (select min(t) ${t}) as ${sql.raw(`${name}_oldest`)}`;
}

/**
 * The quota counts of member `v` at `now`, as the columns the facts statements read (the same names
 * and meanings as QuotaFacts' counts: src/services/facts.ts quotasFromRow). No row: all zero. Their
 * counter row is read once (a join), its windows counted from its arrays.
 */
export function counterColumns(v: number, now: Date): JoinedColumns {
  const month = startOfMonthUTC(now);
  const monthly = (count: string, monthCol: string, name: string) =>
    sql`case when mc.${sql.raw(monthCol)} = ${month} then mc.${sql.raw(count)} else 0 end as ${sql.raw(name)}`;
  const joins = sql`left join lateral (select
      ${inWindow('invitations_at', before(now, INVITATION_WINDOW_MS), 'inv7')},
      ${monthly('notes', 'notes_month', 'notes')},
      ${inWindow('reported_at', before(now, IDK_REPORT_WINDOW_MS), 'idk')},
      ${inWindow('messages_at', before(now, MESSAGE_RATE_WINDOW_MS), 'msg1m')},
      ${monthly('non_connection', 'conversations_month', 'noncon')},
      ${monthly('"group"', 'conversations_month', 'grp')}
    from member_counters mc where mc.member_id = ${v}) as counter_row on true`;
  return { columns: COUNTER_SELECT, joins };
}

/**
 * The counts of counterColumns that the history gives too (`historyColumns`): invitations, notes,
 * reports and messages; not the conversations started (see historyColumns).
 */
export const WINDOW_COUNTS = ['inv7', 'inv7_oldest', 'notes', 'idk', 'idk_oldest', 'msg1m', 'msg1m_oldest'] as const;

/** The names of counterColumns' columns. */
export const COUNTER_KEYS = [...WINDOW_COUNTS, 'noncon', 'grp'] as const;

/** counterColumns' select list: the counts 0 when the member has no counter row, the instants null. */
const COUNTER_SELECT = sql.raw(COUNTER_KEYS.map((c) => (c.endsWith('_oldest') ? `counter_row.${c}` : `coalesce(counter_row.${c}, 0)::int as ${c}`)).join(', '));

/**
 * The counts of `WINDOW_COUNTS` for member `v` at `now` from their history (count(*) over their
 * invitations and messages): what the counter row must agree with, for `liaison verify` and the
 * tests. (Conversations started are left out: a thread keeps only its current starter and channel.)
 */
export function historyColumns(v: number, now: Date): SQL {
  const month = startOfMonthUTC(now);
  const week = before(now, INVITATION_WINDOW_MS);
  const days90 = before(now, IDK_REPORT_WINDOW_MS);
  const minute = before(now, MESSAGE_RATE_WINDOW_MS);
  return sql`
      (select count(*) from invitations where from_id = ${v} and created_at > ${week})::int as inv7,
      (select min(created_at) from invitations where from_id = ${v} and created_at > ${week}) as inv7_oldest,
      (select count(*) from invitations where from_id = ${v} and note is not null and created_at >= ${month})::int as notes,
      (select count(*) from invitations where from_id = ${v} and reported_at > ${days90})::int as idk,
      (select min(reported_at) from invitations where from_id = ${v} and reported_at > ${days90}) as idk_oldest,
      (select count(*) from messages where sender_id = ${v} and created_at > ${minute})::int as msg1m,
      (select min(created_at) from messages where sender_id = ${v} and created_at > ${minute}) as msg1m_oldest`;
}

/**
 * The write that counts `b` for member `v` at `now`: one upsert of their counter row, which trims
 * each window it appends to. Defer it with `Uow.later` (a verb counts a member once: two upserts of
 * one row in one statement would lose one).
 */
export function countersBump(v: number, now: Date, b: CounterBump): SQL {
  const month = startOfMonthUTC(now);
  const cols: string[] = [];
  const values: SQL[] = [];
  const sets: SQL[] = [];
  const appendTo = (col: string, windowMs: number) => {
    cols.push(col);
    values.push(sql`array[${now}::timestamptz]`);
    sets.push(sql`${sql.raw(col)} = array(select t from unnest(c.${sql.raw(col)}) t where t > ${before(now, windowMs)}) || ${now}::timestamptz`);
  };
  const addInMonth = (col: string, monthCol: string, n: number) => {
    cols.push(col);
    values.push(sql`${n}`);
    sets.push(sql`${sql.raw(col)} = case when c.${sql.raw(monthCol)} = ${month} then c.${sql.raw(col)} else 0 end + ${n}`);
  };
  const monthOf = (monthCol: string) => {
    cols.push(monthCol);
    values.push(sql`${month}::timestamptz`);
    sets.push(sql`${sql.raw(monthCol)} = ${month}::timestamptz`);
  };
  if (b.invitation) {
    appendTo('invitations_at', INVITATION_WINDOW_MS);
    if (b.invitation.note) {
      addInMonth('notes', 'notes_month', 1);
      monthOf('notes_month');
    }
  }
  if (b.reported) appendTo('reported_at', IDK_REPORT_WINDOW_MS);
  if (b.message) appendTo('messages_at', MESSAGE_RATE_WINDOW_MS);
  if (b.started !== undefined && b.started !== 'direct') {
    addInMonth('non_connection', 'conversations_month', 1);
    // the group count too, 0 when this one is not a group's: the month column moves for both (a
    // group count of last month read as this month's once another conversation began it: found by a reviewer)
    addInMonth('"group"', 'conversations_month', b.started === 'group' ? 1 : 0);
    monthOf('conversations_month');
  }
  if (!cols.length) throw new Error('countersBump: nothing to count');
  return sql`insert into member_counters as c (member_id, ${sql.raw(cols.join(', '))}) values (${v}, ${sql.join(values, sql`, `)})
    on conflict (member_id) do update set ${sql.join(sets, sql`, `)}`;
}
