/**
 * Bulk writes for seeding and importing: rows travel as PostgreSQL array literals and are expanded
 * with unnest(), one statement per batch, on PGlite and on a server alike.
 */
import { sql, type SQL } from 'drizzle-orm';
import { selectRows, type Runner } from './db.js';
import { claimMemberKeysOf } from './lookups.js';
import { writeSearchWords } from './search-words.js';

function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** A text[] literal. */
export function textArray(values: readonly (string | null)[]): string {
  return '{' + values.map((v) => (v === null ? 'NULL' : quote(v))).join(',') + '}';
}

/** An int[] literal. */
export function intArray(values: ArrayLike<number>): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) s += (i ? ',' : '') + String(values[i] | 0);
  return s + '}';
}

export function boolArray(values: readonly boolean[]): string {
  return '{' + values.map((v) => (v ? 't' : 'f')).join(',') + '}';
}

export async function run(db: Runner, q: SQL): Promise<Record<string, unknown>[]> {
  return selectRows(db, q);
}

export interface NewMemberRow {
  handle: string;
  kind: 'person' | 'page';
  name: string;
  headline: string;
  email: string | null;
}

/** Inserts members; returns their ids in the order given. */
export async function insertMembers(db: Runner, rows: NewMemberRow[]): Promise<number[]> {
  const out = await run(
    db,
    sql`insert into members (handle, kind, name, headline, email)
        select * from unnest(${textArray(rows.map((r) => r.handle))}::text[], ${textArray(rows.map((r) => r.kind))}::text[],
                             ${textArray(rows.map((r) => r.name))}::text[], ${textArray(rows.map((r) => r.headline))}::text[],
                             ${textArray(rows.map((r) => r.email))}::text[])
        returning id, handle`,
  );
  const byHandle = new Map(out.map((r) => [String(r.handle), Number(r.id)]));
  const ids = rows.map((r) => byHandle.get(r.handle)!);
  await claimMemberKeysOf(db, ids);
  await writeSearchWords(
    db,
    rows.map((r, i) => ({ id: ids[i], name: r.name, handle: r.handle, headline: r.headline, status: 'active' })),
    { replace: false },
  );
  return ids;
}

/** Settings (defaults unless given), a free or paid subscription and credentials for each member. */
export async function insertMemberRows(
  db: Runner,
  ids: number[],
  opts: {
    passwordHash?: string | null;
    tiers?: string[];
    until?: (Date | null)[];
    messageRequests?: string[];
    openProfile?: boolean[];
    messagesFrom?: string[];
  },
): Promise<void> {
  const idLit = intArray(ids);
  await run(
    db,
    sql`insert into settings (member_id, message_requests, open_profile, messages_from)
        select * from unnest(${idLit}::int[],
          ${textArray(opts.messageRequests ?? ids.map(() => 'on'))}::text[],
          ${boolArray(opts.openProfile ?? ids.map(() => false))}::boolean[],
          ${textArray(opts.messagesFrom ?? ids.map(() => 'anyone'))}::text[])`,
  );
  await run(
    db,
    sql`insert into subscriptions (member_id, tier, until)
        select * from unnest(${idLit}::int[], ${textArray(opts.tiers ?? ids.map(() => 'free'))}::text[],
          ${textArray((opts.until ?? ids.map(() => null)).map((d) => (d ? d.toISOString() : null)))}::timestamptz[])`,
  );
  if (opts.passwordHash) await run(db, sql`insert into credentials (member_id, password_hash) select unnest(${idLit}::int[]), ${opts.passwordHash}`);
}

/** Connections (a < b enforced here) and the follows both ways that connecting implies. */
export async function insertConnections(db: Runner, pairs: ArrayLike<number>): Promise<void> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const x = pairs[i];
    const y = pairs[i + 1];
    if (x === y) continue;
    a.push(Math.min(x, y));
    b.push(Math.max(x, y));
  }
  if (a.length === 0) return;
  const A = intArray(a);
  const B = intArray(b);
  await run(db, sql`insert into connections (a, b) select * from unnest(${A}::int[], ${B}::int[]) on conflict do nothing`);
  await run(
    db,
    sql`insert into follows (follower, followee)
        select * from unnest(${A}::int[] || ${B}::int[], ${B}::int[] || ${A}::int[]) on conflict do nothing`,
  );
}
