/**
 * InMail credits: an append-only ledger with two pools (DOMAIN.md 1 and 5). The service counts; the
 * policy (src/policy/credits.ts) decides what is granted, when, how much, and which pool a spend uses.
 *
 * - A balance is the ledger's sum (a pool's balance the sum of its rows); nothing is recomputed
 *   from the subscription, so a change or renewal of tier never takes back a credit.
 * - Grants at a change of subscription (start, upgrade) are written by the admin verb in the same
 *   transaction (src/services/admin.ts). Monthly grants need no job: `subscriptions.changed_at` is
 *   when the subscription became what it is, so the grants still due are the 1sts of month after
 *   it (and after the last monthly grant written) at which the tier was paid (`monthlyGrantDates`).
 *   They are written under the member's row lock before a spend, and by the reads that show the
 *   member their notifications (GET /v1/me, GET /v1/notifications, GET /v1/me/credits: each grant
 *   written has its credits.granted notification, src/services/notifications.ts writeDueGrants);
 *   other reads project them without writing.
 * - Grant periods are unique per member (`YYYY-MM`, `start:<iso>`, `upgrade:<iso>`): writing one
 *   twice is a no-op, so concurrent writers cannot grant twice.
 */
import { sql } from '../store/sql.js';
import { grantInmailCredits, inmailRefund, monthlyGrantDates, spendPool, type CreditPool, type Policy, type Tier, type TierHolder } from '../policy/index.js';
import type { Runner } from '../store/db.js';
import { rowsOf, rowDate, rowDateOf } from '../store/db.js';
import { inmailLedger } from '../store/schema.js';
import { selectJoined, type JoinedColumns } from './counters.js';
import type { MemberRecord } from './members.js';

export interface Pools {
  tier: number;
  purchased: number;
}

/** What the ledger and the subscription say, before any due grant is written. */
export interface LedgerFacts {
  pools: Pools;
  /** The subscription as it has been since `since` (null: never subscribed). */
  holder: TierHolder | null;
  /** Monthly grants are due for the 1sts of month after this instant. */
  since: Date | null;
}

const monthKey = (d: Date) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

/** The names of ledgerColumns' columns. */
export const LEDGER_KEYS = ['ledger_tier', 'ledger_purchased', 'ledger_last_month', 'ledger_sub_tier', 'ledger_sub_until', 'ledger_sub_changed'] as const;

/**
 * Columns of the ledger facts of `memberId`, to fold into a larger SELECT with its joins (read back
 * with ledgerFromRow): the member's ledger rows summed in one pass, their subscription row once.
 */
export function ledgerColumns(memberId: number): JoinedColumns {
  return {
    columns: sql`ledger_sums.ledger_tier, ledger_sums.ledger_purchased, ledger_sums.ledger_last_month, subscription.tier as ledger_sub_tier, subscription.until as ledger_sub_until, subscription.changed_at as ledger_sub_changed`,
    joins: sql`cross join lateral (select coalesce(sum(l.amount) filter (where l.pool = 'tier'), 0)::int as ledger_tier,
        coalesce(sum(l.amount) filter (where l.pool = 'purchased'), 0)::int as ledger_purchased,
        max(l.period) filter (where l.kind = 'grant' and l.period ~ '^[0-9]{4}-[0-9]{2}$') as ledger_last_month
      from inmail_ledger l where l.member_id = ${memberId}) as ledger_sums
      left join lateral (select s.tier, s.until, s.changed_at from subscriptions s where s.member_id = ${memberId}) as subscription on true`,
  };
}

export function ledgerFromRow(r: Record<string, unknown>, member: Pick<MemberRecord, 'kind'>): LedgerFacts {
  const pools = { tier: Number(r.ledger_tier ?? 0), purchased: Number(r.ledger_purchased ?? 0) };
  const changed = rowDate(r.ledger_sub_changed);
  if (member.kind !== 'person' || changed === null || r.ledger_sub_tier === null || r.ledger_sub_tier === undefined)
    return { pools, holder: null, since: null };
  const holder: TierHolder = { kind: 'person', tier: r.ledger_sub_tier as Tier, tierUntil: rowDate(r.ledger_sub_until) };
  const lastMonth = typeof r.ledger_last_month === 'string' ? new Date(`${r.ledger_last_month}-01T00:00:00Z`) : null;
  const since = lastMonth && lastMonth.getTime() > changed.getTime() ? lastMonth : changed;
  return { pools, holder, since };
}

export interface DueGrant {
  at: Date;
  period: string;
  amount: number;
}

/** The monthly grants due by `now` and the tier pool after them (the policy decides each amount). */
export function dueGrants(facts: LedgerFacts, now: Date, policy: Policy): { grants: DueGrant[]; pools: Pools } {
  const grants: DueGrant[] = [];
  if (facts.holder === null || facts.since === null) return { grants, pools: facts.pools };
  let tier = facts.pools.tier;
  for (const at of monthlyGrantDates(facts.holder, facts.since, now)) {
    const after = grantInmailCredits(facts.holder, tier, at, policy);
    grants.push({ at, period: monthKey(at), amount: after - tier });
    tier = after;
  }
  return { grants, pools: { tier, purchased: facts.pools.purchased } };
}

/** The pools as of `now`, the monthly grants due included (no write). */
export function balancesFromRow(r: Record<string, unknown>, member: Pick<MemberRecord, 'kind'>, now: Date, policy: Policy): Pools {
  return dueGrants(ledgerFromRow(r, member), now, policy).pools;
}

async function ledgerFacts(db: Runner, member: MemberRecord): Promise<LedgerFacts> {
  const [row] = rowsOf(await db.execute(selectJoined(ledgerColumns(member.id))));
  return ledgerFromRow(row ?? {}, member);
}

/**
 * Writes the monthly grants due by `now` and returns the pools. The caller holds the member's row
 * lock, so two writers cannot grant from the same balance; the unique period makes a repeat a no-op.
 */
export async function ensureGrants(
  db: Runner,
  member: MemberRecord,
  now: Date,
  policy: Policy,
  /** told of each grant written (its credits.granted notification) */
  onGrant?: (g: DueGrant) => Promise<unknown>,
): Promise<Pools> {
  if (member.kind !== 'person') return { tier: 0, purchased: 0 };
  const { grants, pools } = dueGrants(await ledgerFacts(db, member), now, policy);
  for (const g of grants) {
    const written = await db
      .insert(inmailLedger)
      .values({ memberId: member.id, kind: 'grant', pool: 'tier', amount: g.amount, period: g.period, createdAt: g.at })
      .onConflictDoNothing()
      .returning({ id: inmailLedger.id });
    if (written.length && onGrant) await onGrant(g);
  }
  return pools;
}

/** Whether monthly grants are due for the member (one read; nothing written). */
export async function grantsDue(db: Runner, member: MemberRecord, now: Date, policy: Policy): Promise<boolean> {
  if (member.kind !== 'person') return false;
  return dueGrants(await ledgerFacts(db, member), now, policy).grants.length > 0;
}

/** A grant at a change of subscription (`start` or `upgrade`), on top of `tierPool`. Returns the amount. */
export async function grantOnChange(
  db: Runner,
  memberId: number,
  holder: TierHolder,
  kind: 'start' | 'upgrade',
  tierPool: number,
  now: Date,
  policy: Policy,
): Promise<number> {
  const amount = grantInmailCredits(holder, tierPool, now, policy) - tierPool;
  await db
    .insert(inmailLedger)
    .values({ memberId, kind: 'grant', pool: 'tier', amount, period: `${kind}:${now.toISOString()}`, createdAt: now })
    .onConflictDoNothing();
  return amount;
}

/** Purchased credits (an operator's grant of the second pool): never capped, never expiring. */
export async function purchaseCredits(db: Runner, memberId: number, credits: number, note: string | null, now: Date): Promise<void> {
  await db.insert(inmailLedger).values({ memberId, kind: 'purchase', pool: 'purchased', amount: credits, note, createdAt: now });
}

/**
 * Spends `credits` for `messageId` from the pool the policy names (tier credits first while the tier
 * lasts). The caller checked the decision under the member lock; `null` means nothing to spend.
 */
export async function spendCredit(db: Runner, member: MemberRecord, pools: Pools, messageId: number, now: Date, credits = 1): Promise<CreditPool | null> {
  const pool = spendPool(member, pools, now);
  if (pool === null) return null;
  await db.insert(inmailLedger).values({ memberId: member.id, kind: 'spend', pool, amount: -credits, messageId, createdAt: now });
  return pool;
}

/**
 * `replier` wrote into conversation `conversationId`: every InMail the other side spent a credit on
 * in it that the policy refunds (sent within `inmailRefundDays`) and that was not refunded yet gets
 * its credit back, to the pool it came from (once per message: a unique index).
 */
export async function refundOnReply(db: Runner, conversationId: number, replierId: number, now: Date, policy: Policy): Promise<number> {
  // Two reads, each by its distribution column on Citus: the other side's InMail messages of the
  // conversation, then their spends not yet refunded in their senders' ledgers.
  const sent = rowsOf(
    await db.execute(sql`
      select m.id, m.sender_id, m.created_at from messages m
       where m.conversation_id = ${conversationId} and m.sender_id <> ${replierId} and m.channel = 'inmail'`),
  );
  if (sent.length === 0) return 0;
  const at = new Map(sent.map((m) => [Number(m.id), rowDateOf(m.created_at)]));
  const ids = `{${[...at.keys()].join(',')}}`;
  const senders = `{${[...new Set(sent.map((m) => Number(m.sender_id)))].join(',')}}`;
  const spends = rowsOf(
    await db.execute(sql`
      select l.member_id, l.pool, l.amount, l.message_id from inmail_ledger l
       where l.member_id = any(${senders}::bigint[]) and l.kind = 'spend' and l.message_id = any(${ids}::bigint[])
         and not exists (select 1 from inmail_ledger r where r.member_id = l.member_id and r.kind = 'refund' and r.message_id = l.message_id)`),
  );
  let n = 0;
  for (const s of spends) {
    const credits = Math.min(-Number(s.amount), inmailRefund(at.get(Number(s.message_id))!, now, policy));
    if (credits <= 0) continue;
    const done = await db
      .insert(inmailLedger)
      .values({ memberId: Number(s.member_id), kind: 'refund', pool: s.pool as CreditPool, amount: credits, messageId: Number(s.message_id), createdAt: now })
      .onConflictDoNothing()
      .returning({ id: inmailLedger.id });
    n += done.length;
  }
  return n;
}

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { CreditEntry as ApiCreditEntry } from '../contract/index.js';
export type { ApiCreditEntry };

/** The ledger's history, newest first (keyset on id), with the balance after each entry. */
export async function creditHistory(
  db: Runner,
  memberId: number,
  before: number | null,
  limit: number,
): Promise<{ items: ApiCreditEntry[]; nextCursor: string | null }> {
  const rows = rowsOf(
    await db.execute(sql`
      select * from (
        select l.id, l.kind, l.amount, l.note, l.created_at, sum(l.amount) over (order by l.id)::int as balance_after
          from inmail_ledger l where l.member_id = ${memberId} and l.amount <> 0
      ) h
      where ${before === null ? sql`true` : sql`h.id < ${before}`}
      order by h.id desc limit ${limit + 1}`),
  );
  const page = rows.slice(0, limit);
  const items = page.map((r) => ({
    id: String(r.id),
    kind: r.kind as ApiCreditEntry['kind'],
    credits: Number(r.amount),
    balanceAfter: Number(r.balance_after),
    createdAt: rowDateOf(r.created_at).toISOString(),
    ...(typeof r.note === 'string' ? { note: r.note } : {}),
  }));
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > limit && last ? String(last.id) : null };
}
