/** The data invariants every test in test/security checks after hammering the server. */
import { sql } from 'drizzle-orm';
import type { Tx } from '../../src/store/db.js';
import { citusUrl, type Harness } from '../helpers/harness.js';

/** The tables the checks read. */
const TABLES = [
  'members',
  'connections',
  'follows',
  'blocks',
  'invitations',
  'inmail_ledger',
  'conversations',
  'conversation_members',
  'messages',
  'group_members',
  'group_requests',
  'groups',
  'page_admins',
  'introductions',
];

/**
 * Returns the violations found (empty when all hold). The checks join whole tables across members
 * and conversations; on Citus (which runs such joins only between co-located tables) they read a
 * copy of each table made on the coordinator for this check (temporary tables come first in the
 * search path), in one transaction.
 */
export async function invariantViolations(h: Harness): Promise<string[]> {
  return h.inst.store.transaction(async (tx) => {
    if (citusUrl) for (const t of TABLES) await tx.execute(sql.raw(`create temporary table ${t} on commit drop as select * from public.${t}`));
    return check(tx);
  });
}

async function check(tx: Tx): Promise<string[]> {
  const out: string[] = [];
  const bad = async (what: string, q: ReturnType<typeof sql>) => {
    const r = ((await tx.execute(q)) as unknown as { rows: Record<string, unknown>[] }).rows;
    if (r.length) out.push(`${what}: ${JSON.stringify(r.slice(0, 5))}`);
  };
  await bad(
    'connection not stored as a<b between two existing members',
    sql`select c.a, c.b from connections c
         left join members ma on ma.id = c.a left join members mb on mb.id = c.b
        where not (c.a < c.b) or ma.id is null or mb.id is null`,
  );
  await bad('InMail balance below zero', sql`select member_id, sum(amount)::int as balance from inmail_ledger group by member_id having sum(amount) < 0`);
  await bad(
    'conversation without exactly its two participants',
    sql`select c.id, count(cm.member_id)::int as n from conversations c
          left join conversation_members cm on cm.conversation_id = c.id
         group by c.id
        having count(cm.member_id) <> 2
            or count(*) filter (where cm.member_id in (c.starter_id, c.recipient_id)) <> 2`,
  );
  await bad(
    'more than one open invitation for a pair',
    sql`select least(from_id, to_id) as a, greatest(from_id, to_id) as b, count(*)::int as n from invitations
         where status in ('pending','ignored') group by 1, 2 having count(*) > 1`,
  );
  await bad('an invitation to oneself', sql`select id from invitations where from_id = to_id`);
  await bad(
    'a connection and an active block between the same pair',
    sql`
    select c.a, c.b from connections c join blocks b
      on b.unblocked_at is null and ((b.blocker = c.a and b.blocked = c.b) or (b.blocker = c.b and b.blocked = c.a))`,
  );
  await bad(
    'a follow and an active block between the same pair',
    sql`
    select f.follower, f.followee from follows f join blocks b
      on b.unblocked_at is null and ((b.blocker = f.follower and b.blocked = f.followee) or (b.blocker = f.followee and b.blocked = f.follower))`,
  );
  await bad(
    'an open ask through a connection that is gone (asker and introducer, or introducer and target)',
    sql`
    select i.id from introductions i
     where i.status = 'asked'
       and (not exists (select 1 from connections c where c.a = least(i.asker_id, i.via_id) and c.b = greatest(i.asker_id, i.via_id))
         or not exists (select 1 from connections c where c.a = least(i.via_id, i.target_id) and c.b = greatest(i.via_id, i.target_id)))`,
  );
  await bad(
    'a message in a conversation its sender is not part of',
    sql`
    select m.id from messages m join conversations c on c.id = m.conversation_id
     where m.sender_id not in (c.starter_id, c.recipient_id)`,
  );
  // DOMAIN.md 1, 5 and 6 (issue 14)
  await bad(
    'an InMail pool below zero',
    sql`select member_id, pool, sum(amount)::int as balance from inmail_ledger group by member_id, pool having sum(amount) < 0`,
  );
  await bad(
    'a live conversation between a pair with an active block',
    sql`
    select c.id from conversations c join blocks b on b.unblocked_at is null
        and least(b.blocker, b.blocked) = least(c.starter_id, c.recipient_id) and greatest(b.blocker, b.blocked) = greatest(c.starter_id, c.recipient_id)
     where c.ended_at is null and b.created_at >= c.created_at`,
  );
  await bad(
    'a closed member holding a connection, a follow, a group, a join request, a page or an open invitation',
    sql`
    select m.id from members m where m.status = 'closed' and (
      exists (select 1 from connections c where m.id in (c.a, c.b))
      or exists (select 1 from follows f where m.id in (f.follower, f.followee))
      or exists (select 1 from group_members g where g.member_id = m.id)
      or exists (select 1 from group_requests r where r.member_id = m.id)
      or exists (select 1 from page_admins pa where pa.member_id = m.id)
      or exists (select 1 from invitations i where m.id in (i.from_id, i.to_id) and i.status in ('pending','ignored')))`,
  );
  // DOMAIN.md 2: the last admin cannot leave; switching to open approves what is pending
  await bad('a group with members and no admin', sql`select group_id from group_members group by group_id having count(*) filter (where admin) = 0`);
  await bad(
    'a join request pending in an open group',
    sql`select r.group_id, r.member_id from group_requests r join groups g on g.id = r.group_id where g.join_policy = 'open'`,
  );
  await bad('a request both accepted and pending', sql`select id from conversations where accepted and state = 'request'`);
  return out;
}
