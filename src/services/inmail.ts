/** InMail credits: an append-only ledger (grant, spend, refund, expire). */
import { sql } from 'drizzle-orm';
import type { Policy } from '../policy/policy.js';
import type { Runner } from '../store/db.js';
import type { MemberRecord } from './members.js';

/** The member's spendable balance as of `now` (the ledger sum). */
export async function inmailBalance(db: Runner, member: MemberRecord, _now: Date, _policy: Policy): Promise<number> {
  const res = (await db.execute(
    sql`select coalesce(sum(amount), 0)::int as n from inmail_ledger where member_id = ${member.id}`,
  )) as unknown as { rows: { n: unknown }[] };
  return Number(res.rows[0]?.n ?? 0);
}
