/**
 * The search words of members (DOMAIN.md 10, schema.ts searchWords / searchVocabulary), written by
 * every writer of a member's name, handle, headline or status in the same transaction as the row
 * (sign-up, pages, profile edits, deactivate, reactivate, close, bulk inserts and loads). Migration
 * 0008 kept them by a trigger on members; migration 0010 dropped it: on Citus the trigger ran on the
 * member row's shard and wrote the other shards from there (a nested distributed write), which Citus
 * does not commit with the row's two-phase commit (docs/SCALING.md, "What ran").
 *
 * The words are split by the database's own liaison_words (migration 0008) from the values given as
 * parameters, as the trigger split them, so the same member gets the same words on every storage;
 * no statement here reads another table (on Citus each is planned on the coordinator and its rows
 * routed to the shards of their member and of each word).
 */
import { type SQL } from 'drizzle-orm';
import { sql } from './sql.js';
import type { Runner } from './db.js';

/** What the words come from: the member row as written. */
export interface SearchWordSource {
  id: number;
  name: string;
  handle: string;
  headline: string | null;
  status: string;
}

/** Runs one statement with $n parameters (a drizzle runner or a bulk session). */
export type Exec = (text: string, params: unknown[]) => Promise<unknown>;

const arrayLiteral = (values: readonly (string | null)[]) =>
  '{' + values.map((v) => (v === null ? 'NULL' : '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"')).join(',') + '}';

/** The rows, as unnest() of parallel arrays: t(id, name, handle, headline). */
const ROWS = `unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) as t(id, name, handle, headline)`;

/** How many members one statement takes (a bulk load writes in batches of this). */
const BATCH = 5000;

/**
 * Writes the search words of `rows` (the trigger's statements: the words of name and handle, field 0;
 * of the headline, field 1; every word once in the vocabulary). `replace`: the member's old words go
 * first (an edit, a status change); a new member has none. Only active members have words.
 */
export async function writeSearchWordsWith(exec: Exec, rows: readonly SearchWordSource[], opts: { replace: boolean }): Promise<void> {
  if (rows.length === 0) return;
  if (opts.replace) {
    const ids = rows.map((r) => r.id);
    if (ids.length === 1) await exec(`delete from search_words where member_id = $1`, [ids[0]]);
    else await exec(`delete from search_words where member_id = any($1::bigint[])`, [`{${ids.join(',')}}`]);
  }
  const active = rows.filter((r) => r.status === 'active');
  for (let i = 0; i < active.length; i += BATCH) {
    const batch = active.slice(i, i + BATCH);
    const params = [
      `{${batch.map((r) => r.id).join(',')}}`,
      arrayLiteral(batch.map((r) => r.name)),
      arrayLiteral(batch.map((r) => r.handle)),
      arrayLiteral(batch.map((r) => r.headline)),
    ];
    await exec(
      `insert into search_words (member_id, field, word)
         select t.id, 0, w from ${ROWS}, liaison_words(t.name || ' ' || t.handle) as w
         union all
         select t.id, 1, w from ${ROWS}, liaison_words(t.headline) as w`,
      params,
    );
    // in word order, so two writers of the same new words take their index entries in one order
    await exec(
      `insert into search_vocabulary (word)
         select distinct w from ${ROWS}, liaison_words(t.name || ' ' || t.handle || ' ' || t.headline) as w
          order by 1
         on conflict do nothing`,
      params,
    );
  }
}

/** A statement with $n parameters as drizzle SQL. */
function statement(text: string, params: unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = parts.map((p, i) => (i % 2 ? sql`${params[Number(p) - 1]}` : sql.raw(p)));
  return sql.join(chunks, sql.raw(''));
}

/** writeSearchWordsWith on a drizzle runner (a service's transaction). */
export async function writeSearchWords(db: Runner, rows: readonly SearchWordSource[], opts: { replace: boolean }): Promise<void> {
  await writeSearchWordsWith((text, params) => db.execute(statement(text, params)), rows, opts);
}
