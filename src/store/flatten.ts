/**
 * Statement texts built with less work: drizzle turns a `sql` template into text and parameters by
 * walking its tree and testing every chunk against its entity classes with `is()`, which walks the
 * chunk's prototype chain for every class it is not (a nested template fails two tests before it
 * matches, a Date parameter ten), and merges one small result object per chunk. A send's
 * statements are trees of a few hundred chunks, nested five deep, and building them was about a
 * fifth of the server's CPU in a send (bench/RESULTS.md "Message sends"). `buildQuery` builds them
 * in one walk with plain `instanceof` and `typeof` tests, and leaves drizzle's entities (tables,
 * columns, identifiers, encoded parameters, placeholders, templates whose parameters are inlined)
 * to drizzle's own code, chunk by chunk. The text, parameters and typings are the same as drizzle's
 * (test/store/flatten.test.ts compares them).
 */
import { SQL, StringChunk } from 'drizzle-orm';

/** What drizzle keeps on a template beyond its chunks (its declarations mark them private or internal). */
interface SqlFields {
  queryChunks: unknown[];
  shouldInlineParams: boolean;
}
const fields = (q: SQL) => q as unknown as SqlFields;

/** The building configuration drizzle's dialect hands a template (PgDialect.sqlToQuery). */
interface BuildConfig {
  escapeParam: (num: number, value: unknown) => string;
  paramStartIndex?: { value: number };
  inlineParams?: boolean;
  [more: string]: unknown;
}

interface Built {
  sql: string;
  params: unknown[];
  typings?: unknown[];
}

/** drizzle's builder for one list of chunks (SQL.buildQueryFromSourceParams; internal in its declarations). */
type SourceBuilder = { buildQueryFromSourceParams(chunks: unknown[], config: BuildConfig): Built };

/**
 * A value drizzle binds as a parameter as it is: an object that is none of drizzle's entities
 * (tables, columns, names, encoded parameters, placeholders, views, subqueries, aliases: each has
 * `getSQL`) nor anything else with `getSQL`. An object without a prototype goes to drizzle, which
 * refuses it.
 */
function plainValue(c: object): boolean {
  return typeof (c as { getSQL?: unknown }).getSQL !== 'function' && Object.getPrototypeOf(c) !== null;
}

/**
 * A statement's text, parameters and typings, as drizzle's own building answers them
 * (test/store/flatten.test.ts compares the two), in one walk: text and nested templates are
 * joined, arrays listed, plain values bound as parameters, each with plain `instanceof` and
 * `typeof` tests; drizzle's entities (a table, a column, a parameter with an encoder, a template
 * whose parameters are inlined, …) are built by drizzle's code, one chunk at a time, numbering their
 * parameters on from ours.
 */
export function buildQuery(query: SQL, base: BuildConfig): Built {
  if (fields(query).shouldInlineParams) return (query as unknown as { toQuery(c: BuildConfig): Built }).toQuery(base);
  const index = { value: 0 };
  const config: BuildConfig = { ...base, inlineParams: false, paramStartIndex: index };
  const escapeParam = config.escapeParam;
  let text = '';
  const params: unknown[] = [];
  let typings: unknown[] | undefined;
  const walk = (chunks: readonly unknown[]) => {
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      if (c === undefined) continue;
      if (c instanceof StringChunk) {
        text += c.value.length === 1 ? (c.value[0] ?? '') : c.value.join('');
      } else if (c instanceof SQL && !fields(c).shouldInlineParams) {
        walk(c.queryChunks);
      } else if (Array.isArray(c)) {
        // drizzle lists an array's items in parentheses, each built as a chunk of its own
        text += '(';
        for (let k = 0; k < c.length; k++) {
          if (k > 0) text += ', ';
          walk([c[k]]);
        }
        text += ')';
      } else if (c === null || (typeof c !== 'object' && typeof c !== 'function') || (typeof c === 'object' && plainValue(c))) {
        text += escapeParam(index.value++, c);
        params.push(c);
        (typings ??= []).push('none');
      } else {
        const part = (query as unknown as SourceBuilder).buildQueryFromSourceParams([c], config);
        text += part.sql;
        for (const p of part.params) params.push(p);
        if (part.typings?.length) (typings ??= []).push(...part.typings);
      }
    }
  };
  walk(query.queryChunks);
  return typings ? { sql: text, params, typings } : { sql: text, params };
}

interface WithDialect {
  dialect: { sqlToQuery: (query: SQL, invokeSource?: unknown) => unknown };
}

/** The configuration PgDialect.sqlToQuery hands a template's toQuery (drizzle-orm/pg-core/dialect.js). */
interface DialectFields {
  casing: unknown;
  escapeName: unknown;
  escapeParam: BuildConfig['escapeParam'];
  escapeString: unknown;
  prepareTyping: unknown;
}

/** Makes a drizzle database build its statements with buildQuery (every query and builder of it goes through its dialect). */
export function buildFlat<T>(db: T): T {
  const dialect = (db as unknown as WithDialect).dialect as WithDialect['dialect'] & DialectFields;
  dialect.sqlToQuery = (query, invokeSource) =>
    buildQuery(query, {
      casing: dialect.casing,
      escapeName: dialect.escapeName,
      escapeParam: dialect.escapeParam,
      escapeString: dialect.escapeString,
      prepareTyping: dialect.prepareTyping,
      invokeSource,
    });
  return db;
}
