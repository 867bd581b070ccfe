/**
 * The planner's statistics on PGlite. PostgreSQL's autovacuum analyzes a table once enough of it
 * changed; PGlite runs no autovacuum, so without this its statistics stay as the last ANALYZE left
 * them (the seed's, or none): a prepared statement's generic plan, made while a table was small,
 * keeps scanning it whole as it grows (bench/RESULTS.md "Message sends": a send's read went from
 * index lookups to scans of every conversation and counter row). ANALYZE also makes PGlite plan the
 * prepared statements again.
 */
import { selectRows, type Db } from './db.js';
import { sql } from './sql.js';

/** A table is analyzed again when it has grown this much (its pages) since the last ANALYZE… */
export const GROWTH = 1.2;
/** …and by at least this many pages (8 KiB each): small tables are planned alike at any size. */
export const MIN_PAGES = 8;

/** Analyzes the application's tables that grew past GROWTH since their last ANALYZE; answers their names. */
export async function analyzeGrown(db: Db): Promise<string[]> {
  const grown = await selectRows<{ name: string; qualified: string }>(
    db,
    sql`select c.relname as name, format('%I.%I', n.nspname, c.relname) as qualified from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'r'
           and pg_relation_size(c.oid) / current_setting('block_size')::int > greatest(c.relpages, 0) * ${GROWTH}::float8 + ${MIN_PAGES}
         order by c.relname`,
  );
  // names from the catalog, quoted by format('%I'), with their schema (whatever the search_path)
  for (const { qualified } of grown) await db.execute(sql.raw(`analyze ${qualified}`));
  return grown.map((g) => g.name);
}
