/**
 * Statement texts built with less work: drizzle turns a `sql` template into text and parameters by
 * walking its tree and testing every chunk against its entity classes with `is()`, which walks the
 * chunk's prototype chain for every class it is not (a nested template fails two tests before it
 * matches, a Date parameter ten), and merges one small result object per chunk. A send's
 * statements are trees of a few hundred chunks, nested five deep, and building them was about a
 * fifth of the server's CPU in a send (bench/RESULTS.md "Message sends"). `buildQuery` builds them
 * in one walk with plain `instanceof` and `typeof` tests: text, nested templates, arrays, plain
 * values, and the entities a service's statements hold (tables and columns in no schema, parameters
 * encoded by their column, each column's typing asked of the dialect once); the rest (identifiers,
 * placeholders, tables in a schema, templates whose parameters are inlined, …) goes to drizzle's
 * own code, chunk by chunk. The text, parameters and typings are the same as drizzle's
 * (test/store/flatten.test.ts compares them).
 */
import { Column, Param, Placeholder, SQL, StringChunk, Table } from 'drizzle-orm';

/** What drizzle keeps on a template beyond its chunks (its declarations mark them private or internal). */
interface SqlFields {
  queryChunks: unknown[];
  shouldInlineParams: boolean;
}
const fields = (q: SQL) => q as unknown as SqlFields;

/** The building configuration drizzle's dialect hands a template (PgDialect.sqlToQuery). */
interface BuildConfig {
  escapeParam: (num: number, value: unknown) => string;
  escapeName?: (name: string) => string;
  casing?: { getColumnCasing(column: Column): string };
  prepareTyping?: (encoder: unknown) => unknown;
  invokeSource?: unknown;
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

/** drizzle's mark of its entity classes (drizzle-orm/entity.js: `is()` reads it from the constructor). */
const ENTITY_KIND = Symbol.for('drizzle:entityKind');

/**
 * A value drizzle binds as a parameter as it is: an object that is none of drizzle's entities
 * (tables, columns, names, encoded parameters, placeholders, views, subqueries, aliases: their
 * classes carry drizzle's mark; a subquery or view seen through a selection's proxy has no `getSQL`,
 * so the mark on its prototype is what tells it) nor anything else with `getSQL`. An object without a prototype goes
 * to drizzle, which refuses it.
 */
function plainValue(c: object): boolean {
  if (typeof (c as { getSQL?: unknown }).getSQL === 'function') return false;
  // the prototype's constructor, not `c.constructor`: a selection's proxy answers fields of its own
  const proto = Object.getPrototypeOf(c) as { constructor?: { [ENTITY_KIND]?: unknown } } | null;
  return proto !== null && proto.constructor?.[ENTITY_KIND] === undefined;
}

/** What drizzle keeps on a table under its symbols (its declarations mark them internal). */
type TableFields = Record<symbol, unknown>;
const NAME = (Table as unknown as { Symbol: { Name: symbol } }).Symbol.Name;
const SCHEMA = (Table as unknown as { Symbol: { Schema: symbol } }).Symbol.Schema;

/** A table's name as drizzle writes it in a statement, when it is in no schema (an alias too: its own name); else undefined. */
function plainTableName(t: object): string | undefined {
  const f = t as TableFields;
  return f[SCHEMA] === undefined ? (f[NAME] as string) : undefined;
}

/**
 * A table, or a column of a table, in no schema as drizzle writes it in a statement ("table",
 * "table"."column"); undefined for anything else (drizzle's own code builds it).
 */
function tableOrColumnText(c: object, config: BuildConfig): string | undefined {
  const { escapeName, casing } = config;
  if (!escapeName) return undefined;
  if (c instanceof Table) {
    const name = plainTableName(c);
    return name === undefined ? undefined : escapeName(name);
  }
  if (c instanceof Column && casing && config.invokeSource !== 'indexes') {
    const name = plainTableName(c.table as object);
    return name === undefined ? undefined : escapeName(name) + '.' + escapeName(casing.getColumnCasing(c as Column));
  }
  return undefined;
}

/**
 * Each encoder's (column's) typing, as a dialect's prepareTyping answers it (it tests the encoder's
 * class against seven), kept per prepareTyping; an encoder that is not an object is asked each time.
 */
const typingsByDialect = new WeakMap<object, WeakMap<object, unknown>>();
function typing(prepare: (encoder: unknown) => unknown, encoder: unknown): unknown {
  if (typeof encoder !== 'object' || encoder === null) return prepare(encoder);
  let of = typingsByDialect.get(prepare);
  if (of === undefined) typingsByDialect.set(prepare, (of = new WeakMap()));
  let t = of.get(encoder);
  if (t === undefined) of.set(encoder, (t = prepare(encoder)));
  return t;
}

/**
 * A statement's text, parameters and typings, as drizzle's own building answers them
 * (test/store/flatten.test.ts compares the two), in one walk: text and nested templates are
 * joined, arrays listed, plain values bound as parameters, each with plain `instanceof` and
 * `typeof` tests, and so are tables, columns and encoded parameters as drizzle writes them; its
 * other entities (a placeholder, a table in a schema, a template whose parameters are inlined, …)
 * are built by drizzle's code, one chunk at a time, numbering their parameters on from ours.
 */
export function buildQuery(query: SQL, base: BuildConfig): Built {
  if (fields(query).shouldInlineParams) return (query as unknown as { toQuery(c: BuildConfig): Built }).toQuery(base);
  const index = { value: 0 };
  const config: BuildConfig = { ...base, inlineParams: false, paramStartIndex: index };
  const escapeParam = config.escapeParam;
  let text = '';
  const params: unknown[] = [];
  let typings: unknown[] | undefined;
  let entity: string | undefined;
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
      } else if ((entity = tableOrColumnText(c, config)) !== undefined) {
        text += entity;
      } else if (c instanceof Param && !(c.value instanceof Placeholder) && config.prepareTyping) {
        // a parameter with its column's encoder (query builders' values): the driver's value, the column's typing
        const value: unknown = c.value === null ? null : c.encoder.mapToDriverValue(c.value);
        if (value instanceof SQL) walk([value]);
        else {
          text += escapeParam(index.value++, value);
          params.push(value);
          (typings ??= []).push(typing(config.prepareTyping, c.encoder));
        }
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
  casing: BuildConfig['casing'];
  escapeName: BuildConfig['escapeName'];
  escapeParam: BuildConfig['escapeParam'];
  escapeString: unknown;
  prepareTyping: BuildConfig['prepareTyping'];
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
