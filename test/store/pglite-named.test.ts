/**
 * Prepared statements on PGlite (src/store/pglite-named.ts): a statement run again inside a
 * transaction is prepared once and answers exactly what it answers unnamed; a failing statement
 * fails as it would unnamed and leaves the backend and its record of statements right.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { openStore, selectRows, type Store } from '../../src/store/db.js';
import { pgCode } from '../../src/services/uow.js';
import { storageKind } from '../helpers/harness.js';

const things = pgTable('things', { id: integer('id').primaryKey(), label: text('label').notNull(), at: timestamp('at', { withTimezone: true, mode: 'date' }) });

/** A text[] literal (parameters reach the driver as text; drizzle expands a JS array into a list). */
const pgArray = (xs: string[]) => `{${xs.map((x) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

describe.skipIf(storageKind === 'postgres')('prepared statements on PGlite', () => {
  let named: Store;
  let plain: Store;
  beforeAll(async () => {
    named = await openStore({ dataDir: `memory://named-${process.pid}`, preparedStatements: 8 });
    plain = await openStore({ dataDir: `memory://plain-${process.pid}`, preparedStatements: 0 });
    for (const s of [named, plain]) await s.db.execute(sql`create table things (id int primary key, label text not null, at timestamptz)`);
  });
  afterAll(async () => {
    await named?.close();
    await plain?.close();
  });

  const preparedNames = async (s: Store) =>
    (await selectRows<{ name: string }>(s.db, sql`select name from pg_prepared_statements order by name`)).map((r) => r.name);
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: Error & { cause?: Error }) => e.cause?.message ?? e.message,
    );

  it('a statement run again in a transaction is prepared once, and only with a bound above zero', async () => {
    const q = (n: number) => sql`select ${n}::int + 1 as v`;
    for (const s of [named, plain])
      await s.transaction(async (tx) => {
        for (let i = 0; i < 4; i++) expect(await selectRows<{ v: number }>(tx, q(i))).toEqual([{ v: i + 1 }]);
      });
    expect((await preparedNames(named)).length).toBe(1);
    expect(await preparedNames(plain)).toEqual([]);
  });

  it('answers what the unnamed statement answers: every type, both row modes, nulls', async () => {
    const value = fc.record({
      t: fc.option(fc.string({ unit: 'grapheme', maxLength: 30 })),
      i: fc.option(fc.integer()),
      d: fc.option(fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })),
      j: fc.option(fc.jsonValue({ maxDepth: 2 })),
      ints: fc.option(fc.array(fc.integer(), { maxLength: 4 })),
      texts: fc.option(fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 })),
      b: fc.option(fc.boolean()),
      big: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)),
    });
    const q = (v: {
      t: string | null;
      i: number | null;
      d: Date | null;
      j: unknown;
      ints: number[] | null;
      texts: string[] | null;
      b: boolean | null;
      big: string | null;
    }) =>
      sql`select ${v.t}::text as t, ${v.i}::int as i, ${v.d}::timestamptz as d, ${v.j === null ? null : JSON.stringify(v.j)}::jsonb as j,
                 ${v.ints && `{${v.ints.join(',')}}`}::int[] as ints, ${v.texts && pgArray(v.texts)}::text[] as texts, ${v.b}::bool as b, ${v.big}::bigint as big, now() as n`;
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 4 }), async (vs) => {
        const run = (s: Store) =>
          s.transaction(async (tx) => {
            const out: unknown[] = [];
            for (const v of vs) {
              const [r] = await selectRows<Record<string, unknown>>(tx, q(v));
              out.push({ ...r, n: typeof r!.n });
            }
            return out;
          });
        expect(await run(named)).toEqual(await run(plain));
      }),
      { numRuns: 60 },
    );
    // a query builder's rows (drizzle reads them as arrays and maps the columns)
    for (const s of [named, plain])
      await s.db
        .insert(things)
        .values({ id: 1, label: 'one', at: new Date('2026-03-10T12:00:00.123Z') })
        .onConflictDoNothing();
    const rows = (s: Store) =>
      s.transaction(async (tx) => [
        await tx
          .select()
          .from(things)
          .where(sql`${things.id} = ${1}`),
        await tx
          .select()
          .from(things)
          .where(sql`${things.id} = ${1}`),
      ]);
    const [a, b] = await rows(named);
    expect(a).toEqual([{ id: 1, label: 'one', at: new Date('2026-03-10T12:00:00.123Z') }]);
    expect(b).toEqual(a);
    expect(await rows(plain)).toEqual([a, b]);
  });

  it('a named statement that fails when run fails as unnamed, commits nothing, and runs again after', async () => {
    const add = (id: number) => sql`insert into things (id, label) values (${id}, ${'x'})`;
    await named.transaction(async (tx) => {
      await tx.execute(add(10));
      await tx.execute(add(11)); // named from here
    });
    const err = await named
      .transaction(async (tx) => {
        await tx.execute(add(12));
        await tx.execute(add(10)); // a unique violation, named
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(pgCode(err)).toBe('23505');
    await named.transaction(async (tx) => {
      await tx.execute(add(12));
      await tx.execute(add(13));
    });
    const ids = await selectRows<{ id: number }>(named.db, sql`select id from things where id >= 10 order by id`);
    expect(ids.map((r) => r.id)).toEqual([10, 11, 12, 13]);
  });

  it('a statement that fails to parse fails every time, leaves nothing prepared, and the transaction after it works', async () => {
    const before = await preparedNames(named);
    const bad = sql`select no_such_column from things where id = ${1}`;
    for (let i = 0; i < 3; i++) {
      const msg = await failure(named.transaction((tx) => selectRows(tx, bad)));
      expect(msg).toMatch(/no_such_column/);
    }
    // run twice in one transaction: the second is the named attempt, after the first failed
    const twice = await failure(
      named.transaction(async (tx) => {
        await selectRows(tx, bad).catch(() => undefined);
        await selectRows(tx, bad);
      }),
    );
    expect(twice).toMatch(/no_such_column|aborted/);
    expect(await preparedNames(named)).toEqual(before);
    await named.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) expect(await selectRows<{ v: number }>(tx, sql`select ${i}::int as v`)).toEqual([{ v: i }]);
    });
  });

  it('a named statement whose plan the schema outgrew fails once, then is prepared again; its errors name the statement', async () => {
    await named.db.execute(sql`create table grows (id int primary key, label text)`);
    await named.db.execute(sql`insert into grows values (1, 'a')`);
    const read = sql`select * from grows where id = ${1}`;
    for (let i = 0; i < 3; i++) expect(await named.transaction((tx) => selectRows(tx, read))).toEqual([{ id: 1, label: 'a' }]);
    await named.db.execute(sql`alter table grows add column extra int`);
    const err = await named
      .transaction((tx) => selectRows(tx, read))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(pgCode(err)).toBe('0A000');
    expect((err as { cause?: { query?: string; params?: unknown[] } }).cause).toMatchObject({ query: expect.stringContaining('grows'), params: [1] });
    expect(await named.transaction((tx) => selectRows(tx, read))).toEqual([{ id: 1, label: 'a', extra: null }]);
  });

  it('a transaction that ended refuses its statements', async () => {
    let kept: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
    await named.transaction(async (tx) => {
      kept = tx;
      await selectRows(tx, sql`select ${1}::int as v`);
      await selectRows(tx, sql`select ${1}::int as v`);
    });
    expect(await failure(selectRows(kept!, sql`select ${1}::int as v`))).toMatch(/closed/i);
  });
});
