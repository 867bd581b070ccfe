/**
 * drizzle's `sql` template tag, made cheaper: drizzle's SQL constructor tests every chunk of a
 * template for a table with `is()`, which walks the chunk's prototype chain (three steps for each
 * piece of text), to list the tables a statement uses for its query cache (which Liaison does not
 * use). A send builds some hundred templates; this tag makes the same SQL object, its text and
 * parameters as drizzle's tag puts them, its used tables found with `instanceof` (the parameters
 * are the only chunks that can be tables). test/store/flatten.test.ts compares the two.
 * The services import `sql` from here; drizzle's own helpers (`sql.raw`, `sql.join`, …) come along.
 */
import { sql as drizzleSql, SQL, StringChunk, Table } from 'drizzle-orm';

const tableName = (t: object): string => {
  const sym = (Table as unknown as { Symbol: { Name: symbol; Schema: symbol } }).Symbol;
  const { [sym.Schema]: schema, [sym.Name]: name } = t as unknown as Record<symbol, string | undefined>;
  return schema === undefined ? name! : `${schema}.${name}`;
};

function template(strings: TemplateStringsArray, ...params: unknown[]): SQL {
  const chunks: unknown[] = [];
  if (params.length > 0 || (strings.length > 0 && strings[0] !== '')) chunks.push(new StringChunk(strings[0]));
  for (let i = 0; i < params.length; i++) chunks.push(params[i], new StringChunk(strings[i + 1]));
  // built empty (its constructor then tests nothing), then given its chunks
  const q = new SQL([]);
  (q as unknown as { queryChunks: unknown[] }).queryChunks = chunks;
  for (const p of params) if (p instanceof Table) (q as unknown as { usedTables: string[] }).usedTables.push(tableName(p));
  return q;
}

export const sql = Object.assign(template, drizzleSql) as unknown as typeof drizzleSql;
