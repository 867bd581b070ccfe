/**
 * InMail credits: an append-only ledger (grant, spend, refund, expire). Nothing runs on a schedule:
 * the monthly grants that fell due up to `now` are computed from the subscription and the ledger.
 *
 * - A grant is due at the start of every UTC month of a paid tier, and when the tier starts
 *   (`subscriptions.started_at`), as long as the tier has not ended at that instant. Its period is
 *   `YYYY-MM:<tier>`; the partial unique index (member_id, period) where kind = 'grant' makes
 *   writing it idempotent (an upgrade within a month grants the new tier's credits at once).
 * - Rollover cap: after a grant the balance is at most `inmailRolloverMonths` months' worth of the
 *   tier's grant; the excess of the carried-over credits is written off by an `expire` row at the
 *   grant's instant.
 * - `inmailBalance` includes the grants due but not yet written (read-only); `ensureGrants` writes
 *   them, under the member's row lock (the caller holds it), before a spend.
 * - A lapsed tier cannot spend (the policy's `spendableCredits`); the balance is kept.
 */
import { sql } from 'drizzle-orm';
import type { Policy, Tier } from '../policy/policy.js';
import type { Runner } from '../store/db.js';
import { inmailLedger } from '../store/schema.js';
import type { MemberRecord } from './members.js';

const DAY = 86_400_000;

type Rows = { rows: Record<string, unknown>[] };

function monthStart(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

function nextMonth(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

function monthKey(d: Date): string {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

interface LedgerState {
  balance: number;
  grantedPeriods: Set<string>;
  tier: Tier;
  until: Date | null;
  startedAt: Date | null;
}

async function ledgerState(db: Runner, memberId: number): Promise<LedgerState> {
  const res = (await db.execute(sql`
    select s.tier, s.until, s.started_at,
      (select coalesce(sum(l.amount), 0) from inmail_ledger l where l.member_id = ${memberId})::int as balance,
      (select coalesce(json_agg(l.period), '[]'::json) from inmail_ledger l where l.member_id = ${memberId} and l.kind = 'grant') as periods
    from (select 1) one left join subscriptions s on s.member_id = ${memberId}
  `)) as unknown as Rows;
  const r = res.rows[0] ?? {};
  const periodsRaw = typeof r.periods === 'string' ? JSON.parse(r.periods) : r.periods;
  const asDate = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));
  return {
    balance: Number(r.balance ?? 0),
    grantedPeriods: new Set(((periodsRaw as unknown[]) ?? []).map(String)),
    tier: ((r.tier as string | null) ?? 'free') as Tier,
    until: asDate(r.until),
    startedAt: asDate(r.started_at),
  };
}

export interface DueGrant {
  period: string;
  at: Date;
  amount: number;
  /** credits written off before this grant to keep the balance within the rollover cap */
  expire: number;
}

/** The grants due by `now` that the ledger does not hold yet, in order, with their expiries. */
function dueGrants(state: LedgerState, now: Date, policy: Policy): { grants: DueGrant[]; balance: number } {
  let balance = state.balance;
  const grants: DueGrant[] = [];
  const monthly = policy.inmailMonthlyCredits[state.tier] ?? 0;
  if (state.tier === 'free' || monthly <= 0 || !state.startedAt) return { grants, balance };
  const cap = Math.max(1, policy.inmailRolloverMonths) * monthly;
  for (let m = monthStart(state.startedAt); m.getTime() <= now.getTime(); m = nextMonth(m)) {
    const at = new Date(Math.max(m.getTime(), state.startedAt.getTime()));
    if (at.getTime() > now.getTime()) break;
    if (state.until && at.getTime() >= state.until.getTime()) break;
    const period = `${monthKey(m)}:${state.tier}`;
    if (state.grantedPeriods.has(period)) continue;
    const over = balance + monthly - cap;
    const expire = over > 0 ? Math.min(Math.max(balance, 0), over) : 0;
    balance = balance - expire + monthly;
    grants.push({ period, at, amount: monthly, expire });
  }
  return { grants, balance };
}

/** Columns of the ledger state, to fold into a larger SELECT (read them back with balanceFromRow). */
export function ledgerColumns(memberId: number) {
  return sql`(select coalesce(sum(l.amount), 0) from inmail_ledger l where l.member_id = ${memberId})::int as ledger_balance,
    (select coalesce(json_agg(l.period), '[]'::json) from inmail_ledger l where l.member_id = ${memberId} and l.kind = 'grant') as ledger_periods,
    (select s.started_at from subscriptions s where s.member_id = ${memberId}) as ledger_started_at`;
}

/** The balance from a row holding ledgerColumns(), with the member's tier as loaded. */
export function balanceFromRow(r: Record<string, unknown>, member: MemberRecord, now: Date, policy: Policy): number {
  if (member.kind !== 'person') return 0;
  const periodsRaw = typeof r.ledger_periods === 'string' ? JSON.parse(r.ledger_periods) : r.ledger_periods;
  const started = r.ledger_started_at;
  const state: LedgerState = {
    balance: Number(r.ledger_balance ?? 0),
    grantedPeriods: new Set(((periodsRaw as unknown[]) ?? []).map(String)),
    tier: member.tier,
    until: member.tierUntil,
    startedAt: started === null || started === undefined ? null : started instanceof Date ? started : new Date(String(started)),
  };
  return dueGrants(state, now, policy).balance;
}

/** The member's balance as of `now` (the ledger sum plus the grants due and not yet written). No write. */
export async function inmailBalance(db: Runner, member: MemberRecord, now: Date, policy: Policy): Promise<number> {
  if (member.kind !== 'person') return 0;
  const state = await ledgerState(db, member.id);
  return dueGrants(state, now, policy).balance;
}

/**
 * Writes the grants (and rollover expiries) due by `now`. Idempotent; the caller holds the
 * member's row lock so two writers cannot compute expiries from the same balance.
 */
export async function ensureGrants(db: Runner, member: MemberRecord, now: Date, policy: Policy): Promise<number> {
  if (member.kind !== 'person') return 0;
  const state = await ledgerState(db, member.id);
  const { grants, balance } = dueGrants(state, now, policy);
  for (const g of grants) {
    const inserted = await db
      .insert(inmailLedger)
      .values({ memberId: member.id, kind: 'grant', amount: g.amount, period: g.period, createdAt: g.at })
      .onConflictDoNothing()
      .returning({ id: inmailLedger.id });
    if (inserted.length > 0 && g.expire > 0)
      await db.insert(inmailLedger).values({ memberId: member.id, kind: 'expire', amount: -g.expire, period: g.period, createdAt: g.at });
  }
  return balance;
}

/** Spends one credit for `messageId` (the caller checked the balance under the member lock). */
export async function spendCredit(db: Runner, memberId: number, messageId: number, now: Date, credits = 1): Promise<void> {
  await db.insert(inmailLedger).values({ memberId, kind: 'spend', amount: -credits, messageId, createdAt: now });
}

/**
 * `replier` wrote into conversation `conversationId`: every InMail the other side spent a credit
 * on in it within `inmailRefundDays` and not yet refunded gets its credit back (once per message).
 */
export async function refundOnReply(db: Runner, conversationId: number, replierId: number, now: Date, policy: Policy): Promise<number> {
  const since = new Date(now.getTime() - policy.inmailRefundDays * DAY);
  const res = (await db.execute(sql`
    insert into inmail_ledger (member_id, kind, amount, message_id, created_at)
    select l.member_id, 'refund', -l.amount, l.message_id, ${now}
      from inmail_ledger l
      join messages m on m.id = l.message_id
     where l.kind = 'spend' and m.conversation_id = ${conversationId} and m.sender_id <> ${replierId}
       and m.created_at >= ${since}
       and not exists (select 1 from inmail_ledger r where r.kind = 'refund' and r.message_id = l.message_id)
    on conflict do nothing
    returning member_id
  `)) as unknown as Rows;
  return res.rows.length;
}
