/**
 * Prepared statements on PostgreSQL, for every statement the services run more than once.
 *
 * The data layer sends each statement as its text with `$n` parameters. Unnamed, PostgreSQL parses,
 * analyses and plans that text on every execution; for a send's statement that reads every row it
 * decides from (5 KB of SQL, some twenty subqueries) that is most of what the statement costs the
 * server (bench/RESULTS.md "Message sends": 2.2 ms unnamed against 0.9 ms prepared, measured by
 * running it in a loop). The pool's connections (src/store/pipeline.ts, its Client class) name a
 * statement the second time its text is seen, so each connection parses it once and reuses it after.
 *
 * Bounded: statements whose text carries values (an `in (…)` list of varying length) are as many
 * texts as there are shapes; at most `maxNames` texts get a name, and the texts counted while
 * waiting for their second sighting are forgotten in bulk past `maxSeen`. A text never named runs
 * unnamed, as before. Statements without parameters (several statements in one) stay on the simple
 * protocol unless they go with a transaction's BEGIN or COMMIT (pipeline.ts); a Submittable (COPY)
 * passes through.
 *
 * Named statements live on the server connection: a pooler in transaction mode in front of
 * PostgreSQL (PgBouncer before 1.21) would need `LIAISON_DB_PREPARED_STATEMENTS=0` (docs/OPERATIONS.md). A
 * statement's plan is PostgreSQL's to keep or redo: a schema change re-plans it, except one that
 * changes the statement's result columns, which fails it ("cached plan must not change result
 * type", 0A000) on every connection that prepared it. Migrations run before an instance serves and
 * only add columns, which change no statement's result but a `select *` (docs/OPERATIONS.md, upgrades).
 * PGlite's named statements (pglite-named.ts) are prepared again after such a failure.
 */
import { createHash } from 'node:crypto';

export interface StatementNames {
  /** The name for this text, or undefined to run it unnamed. */
  nameFor(text: string): string | undefined;
  readonly named: number;
}

export function statementNames(maxNames = 256, maxSeen = 4096): StatementNames {
  const names = new Map<string, string>();
  let seen = new Set<string>();
  return {
    nameFor(text) {
      const known = names.get(text);
      if (known !== undefined) return known;
      if (names.size >= maxNames) return undefined;
      if (!seen.has(text)) {
        if (seen.size >= maxSeen) seen = new Set();
        seen.add(text);
        return undefined;
      }
      seen.delete(text);
      // the text's digest: the same text has the same name on every connection and instance
      const name = `l${createHash('sha1').update(text).digest('base64url')}`;
      names.set(text, name);
      return name;
    },
    get named() {
      return names.size;
    },
  };
}
