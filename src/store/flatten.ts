/**
 * Statement texts built with less work: drizzle turns a `sql` template into text and parameters by
 * walking its tree and testing every chunk against its entity classes with `is()`, which walks the
 * chunk's prototype chain for every class it is not (a nested template fails two tests before it
 * matches, a Date parameter ten). A send's statements are trees of a few hundred chunks, nested
 * five deep, and building them was about a fifth of the server's CPU in a send (bench/RESULTS.md
 * "Message sends"). `flattenSql` first inlines the nested templates and merges adjacent text, with
 * plain `instanceof` tests, so drizzle then walks one flat list; everything else (parameters,
 * tables, columns, identifiers, placeholders, arrays, templates whose parameters are inlined) is
 * left to drizzle as it was. The text and parameters are the same as drizzle's own
 * (test/store/flatten.test.ts compares them).
 */
import { SQL, StringChunk } from 'drizzle-orm';

/** What drizzle keeps on a template beyond its chunks (its declarations mark them private or internal). */
interface SqlFields {
  queryChunks: unknown[];
  shouldInlineParams: boolean;
  usedTables: string[];
}
const fields = (q: SQL) => q as unknown as SqlFields;

/** The same statement as one flat list of chunks: nested templates inlined, adjacent text merged. */
export function flattenSql(query: SQL): SQL {
  if (fields(query).shouldInlineParams) return query;
  const out: unknown[] = [];
  let text = '';
  const walk = (chunks: readonly unknown[]) => {
    for (const c of chunks) {
      if (c instanceof StringChunk) {
        text += c.value.length === 1 ? (c.value[0] ?? '') : c.value.join('');
      } else if (c instanceof SQL && !fields(c).shouldInlineParams) {
        walk(c.queryChunks);
      } else if (c !== undefined) {
        if (text !== '') {
          out.push(new StringChunk(text));
          text = '';
        }
        out.push(c);
      }
    }
  };
  walk(query.queryChunks);
  if (text !== '') out.push(new StringChunk(text));
  // Built empty, then given its chunks: SQL's constructor tests each chunk for a table (one `is()` each).
  const flat = new SQL([]);
  fields(flat).queryChunks = out;
  fields(flat).usedTables = fields(query).usedTables;
  return flat;
}

interface WithDialect {
  dialect: { sqlToQuery: (query: SQL, invokeSource?: unknown) => unknown };
}

/** Makes a drizzle database build its statements from flattened templates (every query and builder of it goes through its dialect). */
export function buildFlat<T>(db: T): T {
  const dialect = (db as unknown as WithDialect).dialect;
  const build = dialect.sqlToQuery.bind(dialect);
  dialect.sqlToQuery = (query, invokeSource) => build(flattenSql(query), invokeSource);
  return db;
}
