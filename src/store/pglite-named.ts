/**
 * Prepared statements on PGlite, inside transactions.
 *
 * PGlite's `query` sends every statement unnamed, in five calls into PostgreSQL (Parse, Describe
 * statement, Bind, Describe portal, Execute, then Sync): PostgreSQL parses, analyses and plans the
 * text on every execution. A send's read (5 KB, some twenty subqueries) took 4.5 ms so against
 * 1.1 ms prepared, in a loop on one transaction (bench/RESULTS.md "Message sends"). The handle given
 * to drizzle here names a statement run inside a transaction the second time its text is seen (the
 * same rule and bound as on PostgreSQL: src/store/prepared.ts), prepares it once (Parse and Describe
 * in one call) and then runs it in one call (Bind, Describe portal, Execute, Sync), its answer read
 * by PGlite's own parser with the same parsers and serializers as `query`.
 *
 * Statements outside a transaction, without parameters (as on PostgreSQL), with a blob (COPY) or
 * with parameter types given go through `query` unchanged. A failing statement fails as it would
 * unnamed: PostgreSQL skips the rest up to the Sync, which every call carries, and the error is
 * PGlite's DatabaseError; a statement whose Parse failed is closed and not recorded as prepared.
 * Named statements outlive the transaction that made them (they belong to the one backend), which
 * is what makes them pay.
 */
import { messages, parse, protocol, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';
import type { StatementNames } from './prepared.js';

const { serialize } = protocol;

type QueryFn = <T>(text: string, params?: unknown[], options?: QueryOptions) => Promise<Results<T>>;

/** The PGlite handle drizzle is given: `transaction` hands it a transaction whose `query` names repeated statements. */
export interface NamingPglite {
  query: QueryFn;
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** how many statements are prepared (tests) */
  readonly prepared: number;
  /** Drops every prepared statement (after a schema change: a parameter's type may have changed too). */
  forget(): Promise<void>;
}

export function namingPglite(client: PGlite, names: StatementNames | undefined): NamingPglite {
  /** text → its name and parameter types, once prepared on the backend */
  const prepared = new Map<string, { name: string; types: number[] }>();
  const opts = { syncToFs: false };

  /** Closes a statement on the backend (closing one that is not there is no error; allowed in a failed transaction). */
  const close = (name: string) =>
    client.execProtocolStream(Buffer.concat([serialize.close({ type: 'S', name }), serialize.sync()]), opts).catch(() => undefined);

  /** A failure as PGlite's `query` reports it: PostgreSQL's error with the statement and its parameters. */
  function reported(e: unknown, text: string, params: unknown[], options: QueryOptions | undefined): unknown {
    if (e instanceof messages.DatabaseError) Object.assign(e, { query: text, params, queryOptions: options });
    return e;
  }

  async function run<T>(tx: Transaction, text: string, params: unknown[], options: QueryOptions | undefined, name: string): Promise<Results<T>> {
    if (tx.closed) throw new Error('Transaction is closed');
    return client.runExclusive(async () => {
      let st = prepared.get(text);
      if (!st) {
        let described;
        try {
          described = await client.execProtocolStream(
            Buffer.concat([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]),
            opts,
          );
        } catch (e) {
          // whatever the Parse left on the backend goes
          await close(name);
          throw reported(e, text, params, options);
        }
        st = { name, types: parse.parseDescribeStatementResults(described) };
        prepared.set(text, st);
      }
      const { types } = st;
      const values = params.map((v, i) => {
        if (v === null || v === undefined) return null;
        const s = options?.serializers?.[types[i]] ?? client.serializers[types[i]];
        // as PGlite's `query` does: a type without a serializer is sent as the value's text
        // eslint-disable-next-line @typescript-eslint/no-base-to-string
        return s ? s(v) : String(v);
      });
      let answer;
      try {
        answer = await client.execProtocolStream(
          Buffer.concat([serialize.bind({ statement: name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]),
          opts,
        );
      } catch (e) {
        // A statement whose plan no longer fits the schema (a column added or retyped: "cached plan
        // must not change result type") or that the backend no longer has is prepared again next
        // time; this run fails, as a statement does on PostgreSQL when the schema changes under it.
        const code = (e as { code?: unknown }).code;
        if (code === '0A000' || code === '26000') {
          await close(name);
          prepared.delete(text);
        }
        throw reported(e, text, params, options);
      }
      // PGlite's parser copies its whole table of parsers (some 200 types) into a new object when a
      // query brings parsers of its own, as drizzle's always do; the few it brings go on top of the
      // table instead
      const parsers = options?.parsers ? Object.assign(Object.create(client.parsers) as typeof client.parsers, options.parsers) : client.parsers;
      return parse.parseResults(answer, parsers, options?.parsers ? { ...options, parsers: undefined } : options)[0] as Results<T>;
    });
  }

  const namingTx = (tx: Transaction): Transaction =>
    Object.create(tx, {
      query: {
        value<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
          const name = params?.length && !options?.blob && !options?.paramTypes ? names?.nameFor(text) : undefined;
          return name === undefined ? tx.query<T>(text, params, options) : run<T>(tx, text, params!, options, name);
        },
      },
    }) as Transaction;

  return {
    query: (text, params, options) => client.query(text, params, options),
    transaction: (fn) => client.transaction((tx) => fn(namingTx(tx))),
    get prepared() {
      return prepared.size;
    },
    async forget() {
      prepared.clear();
      await client.exec('deallocate all');
    },
  };
}
