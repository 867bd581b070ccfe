/**
 * The distribution plan for Citus (docs/SCALING.md), in one place: for every table of the schema
 * its placement, and for distributed tables the distribution column and the co-location group.
 * Only Drizzle's own bookkeeping (`drizzle.__drizzle_migrations`, another schema) stays local to
 * the coordinator.
 *
 * `liaison migrate` applies it after the migrations when the database has the citus extension
 * (applyDistribution below); without Citus nothing here runs, so PGlite and plain PostgreSQL keep
 * exactly the schema of the migrations. Applying is idempotent: tables already placed as the plan
 * says are left alone, a table added to the plan later is placed by the next run, and a table the
 * plan now distributes by another column is moved to it (notification_actors, migration 0010).
 *
 * What Citus changes when a table is placed (and only there):
 * - a foreign key Citus cannot enforce is dropped: one between tables of different co-location
 *   groups, one that does not join the two distribution columns, one from a reference table to a
 *   distributed table. Integrity of those references is the services' (members are never deleted;
 *   closing keeps the row).
 * - a primary key or unique index of a distributed table that lacks the distribution column gets it
 *   as its first column: those are identity or random ids (unique by construction) or per-member
 *   facts (a spend or refund row belongs to the sender of its message). Unique facts that cannot
 *   carry the column live in lookup tables (member_handles, member_emails, invitation_open_pairs,
 *   conversation_live_pairs) distributed by their own key. A widened primary key on `id` also gets a
 *   plain index on `id`.
 * - identity columns must be bigint (they are, since migration 0009).
 */

export type Placement = { table: string; kind: 'distributed'; column: string; group: string } | { table: string; kind: 'reference' };

const by = (group: string, column: string, ...tables: string[]): Placement[] => tables.map((table) => ({ table, kind: 'distributed' as const, column, group }));
const reference = (...tables: string[]): Placement[] => tables.map((table) => ({ table, kind: 'reference' as const }));

/**
 * In the order they are placed: reference tables first, then each group with its first table (the
 * group's anchor) before the tables that refer to it.
 */
export const DISTRIBUTION: readonly Placement[] = [
  // small, read everywhere (SCALING.md): a copy on every node
  ...reference('groups', 'group_members', 'group_requests', 'page_admins', 'page_admin_invitations'),
  // everything keyed by a member, on that member's shard: quota locks, the ledger sum, the inbox
  ...by('member', 'id', 'members'),
  ...by('member', 'member_id', 'credentials', 'settings', 'subscriptions', 'notification_marks', 'idempotency_keys', 'member_counters'),
  ...by('member', 'member_id', 'inmail_ledger', 'notifications', 'notification_actors', 'conversation_members', 'search_words'),
  ...by('member', 'a', 'connections'),
  ...by('member', 'follower', 'follows'),
  ...by('member', 'blocker', 'blocks'),
  ...by('member', 'from_id', 'invitations'),
  ...by('member', 'asker_id', 'introductions'),
  ...by('member', 'uploader_id', 'attachments'),
  ...by('member', 'reporter_id', 'reports'),
  // pair lookups on the shard of the pair's smaller id (the same shard as the pair's connection row)
  ...by('member', 'lo', 'invitation_open_pairs', 'conversation_live_pairs'),
  // unique facts by their own key
  ...by('handle', 'handle', 'member_handles'),
  ...by('email', 'email', 'member_emails'),
  // a bearer token is looked up by its hash on every request
  ...by('session', 'token_hash', 'sessions'),
  // a conversation's row, its messages and their pagination on one shard
  ...by('conversation', 'id', 'conversations'),
  ...by('conversation', 'conversation_id', 'messages'),
  ...by('message', 'message_id', 'message_attachments'),
  // the outbox, read in id order by every instance (a deliberate multi-shard read)
  ...by('event', 'id', 'events'),
  // search's vocabulary (every word once): typo lookups scan it whole (a deliberate multi-shard read)
  ...by('word', 'word', 'search_vocabulary'),
];

/** The placement of a table, if the plan has one. */
export function placementOf(table: string): Placement | undefined {
  return DISTRIBUTION.find((p) => p.table === table);
}

/** Runs one statement and answers its rows (node-postgres client or pool, PGlite, ...). */
export type Query = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export interface DistributionReport {
  citus: boolean;
  /** statements run (empty on a second run) */
  applied: string[];
}

/** Whether the database has the citus extension. */
export async function hasCitus(q: Query): Promise<boolean> {
  return (await q(`select 1 from pg_extension where extname = 'citus'`)).length > 0;
}

const ident = (s: string) => '"' + s.replace(/"/g, '""') + '"';

/**
 * Places every table of the plan that is not yet a Citus table, in plan order; answers what it ran.
 * Fails on a table of the schema that the plan does not name (every table needs a placement).
 * Takes the caller's session: run it under the migration lock.
 */
export async function applyDistribution(q: Query): Promise<DistributionReport> {
  if (!(await hasCitus(q))) return { citus: false, applied: [] };
  const applied: string[] = [];
  const run = async (text: string, params?: unknown[]) => {
    applied.push(params ? `${text} -- ${JSON.stringify(params)}` : text);
    await q(text, params);
  };
  const tables = new Set(
    (await q(`select c.relname as t from pg_class c where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r','p')`)).map((r) => String(r.t)),
  );
  const placed = new Map(
    (
      await q(
        `select c.relname as t, p.partmethod as m from pg_dist_partition p join pg_class c on c.oid = p.logicalrelid
          where c.relnamespace = current_schema()::regnamespace`,
      )
    ).map((r) => [String(r.t), String(r.m)]),
  );
  const unplanned = [...tables].filter((t) => !placementOf(t) && !placed.has(t));
  if (unplanned.length) throw new Error(`no placement in src/store/distribution.ts for: ${unplanned.join(', ')}`);
  // Distributed by another column than the plan's (an earlier plan): moved to the plan's column and group.
  const columns = new Map(
    (
      await q(
        `select c.relname as t, column_to_column_name(p.logicalrelid, p.partkey) as col from pg_dist_partition p join pg_class c on c.oid = p.logicalrelid
          where c.relnamespace = current_schema()::regnamespace and p.partmethod = 'h'`,
      )
    ).map((r) => [String(r.t), String(r.col)]),
  );
  for (const p of DISTRIBUTION) {
    if (p.kind !== 'distributed' || !columns.has(p.table) || columns.get(p.table) === p.column) continue;
    const anchor = DISTRIBUTION.find((a) => a.kind === 'distributed' && a.group === p.group)!.table;
    await run(`select alter_distributed_table($1, distribution_column := $2, colocate_with := $3)`, [p.table, p.column, anchor]);
  }
  const pending = DISTRIBUTION.filter((p) => tables.has(p.table) && !placed.has(p.table));
  if (pending.length === 0) return { citus: true, applied };
  const pendingNames = new Set(pending.map((p) => p.table));

  // 1. Foreign keys Citus cannot hold, on (or to) the tables about to be placed.
  const fks = await q(`
    select con.conname as name, src.relname as t, dst.relname as r,
           array(select a.attname::text from unnest(con.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.i) as cols,
           array(select a.attname::text from unnest(con.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.i) as refcols
      from pg_constraint con
      join pg_class src on src.oid = con.conrelid
      join pg_class dst on dst.oid = con.confrelid
     where con.contype = 'f' and src.relnamespace = current_schema()::regnamespace`);
  for (const fk of fks) {
    const t = String(fk.t);
    const r = String(fk.r);
    if (!pendingNames.has(t) && !pendingNames.has(r)) continue;
    if (!foreignKeyFits(t, r, fk.cols as string[], fk.refcols as string[])) {
      await run(`alter table ${ident(t)} drop constraint if exists ${ident(String(fk.name))}`);
    }
  }

  // 2. Unique indexes of distributed tables that lack the distribution column get it.
  for (const p of pending) {
    if (p.kind !== 'distributed') continue;
    const uniques = await q(
      `select i.relname as name, con.conname as con, ix.indisprimary as pk, pg_get_indexdef(ix.indexrelid) as def,
              array(select a.attname::text from unnest(ix.indkey) k(n) join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.n) as cols
         from pg_index ix join pg_class i on i.oid = ix.indexrelid join pg_class t on t.oid = ix.indrelid
         left join pg_constraint con on con.conindid = ix.indexrelid and con.contype in ('p','u')
        where t.relname = $1 and t.relnamespace = current_schema()::regnamespace and ix.indisunique`,
      [p.table],
    );
    for (const u of uniques) {
      const cols = u.cols as string[];
      if (cols.includes(p.column)) continue;
      const name = String(u.name);
      if (u.con) {
        if (u.pk !== true) throw new Error(`unique constraint ${name} on ${p.table} lacks ${p.column}`);
        await run(`alter table ${ident(p.table)} drop constraint ${ident(u.con as string)} cascade`);
        await run(`alter table ${ident(p.table)} add constraint ${ident(u.con as string)} primary key (${[p.column, ...cols].map(ident).join(', ')})`);
        if (cols.length === 1) await run(`create index if not exists ${ident(`${p.table}_${cols[0]}_idx`)} on ${ident(p.table)} (${ident(cols[0])})`);
      } else {
        const def = String(u.def);
        const at = def.indexOf('USING btree (');
        if (at < 0) throw new Error(`unique index ${name} on ${p.table} lacks ${p.column}: ${def}`);
        const widened = def.slice(0, at + 'USING btree ('.length) + ident(p.column) + ', ' + def.slice(at + 'USING btree ('.length);
        await run(`drop index ${ident(name)}`);
        await run(widened);
      }
    }
  }

  // 3. Place them, in plan order. (No table has a trigger: the search words, kept by one until
  //    migration 0010, are written by the services, src/store/search-words.ts.)
  const anchors = new Map<string, string>();
  for (const p of DISTRIBUTION) {
    if (p.kind === 'distributed' && !anchors.has(p.group) && (placed.has(p.table) || pendingNames.has(p.table))) anchors.set(p.group, p.table);
  }
  for (const p of pending) {
    if (p.kind === 'reference') {
      await run(`select create_reference_table($1)`, [p.table]);
    } else {
      const anchor = anchors.get(p.group)!;
      await run(`select create_distributed_table($1, $2, colocate_with => $3)`, [p.table, p.column, anchor === p.table ? 'none' : anchor]);
    }
  }
  return { citus: true, applied };
}

/** Whether Citus can enforce a foreign key from `t` (cols) to `r` (refcols) under the plan. */
export function foreignKeyFits(t: string, r: string, cols: string[], refcols: string[]): boolean {
  const from = placementOf(t);
  const to = placementOf(r);
  if (!from || !to) return false;
  if (to.kind === 'reference') return true;
  if (from.kind === 'reference') return false;
  if (from.group !== to.group) return false;
  const i = cols.indexOf(from.column);
  return i >= 0 && refcols[i] === to.column;
}

/**
 * The statements that reach every shard of a distributed table on purpose. A statement of a hot path
 * that reaches more than two shards and is not named here fails test/store/citus.test.ts. Each entry
 * matches the statement's SQL text and says why the fan-out is accepted.
 */
export const MULTI_SHARD: readonly { name: string; match: RegExp; fanOuts: number; why: string }[] = [
  {
    name: "a viewer's roster of pair rows (src/services/facts.ts loadRoster, the read model)",
    // invitations the viewer received; blocks others hold against the viewer
    match: /where i\.to_id = .*from blocks b where b\.blocked = /s,
    fanOuts: 2,
    why:
      'invitations are distributed by their sender and blocks by their blocker; the invitations a member received and the blocks ' +
      'held against them are on every shard. Read once per viewer into the read model (again only after an event names them), not per view.',
  },
  {
    name: 'the outbox catch-up (src/realtime: every instance reads the events after its cursor, every 2 s)',
    match: /from "events" where "events"\."id" > /,
    fanOuts: 1,
    why: 'events are distributed by id so writes spread; the catch-up reads them in id order from every shard, once per instance every 2 s, not per request.',
  },
];
