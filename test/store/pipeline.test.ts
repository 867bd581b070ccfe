/**
 * A transaction's BEGIN and COMMIT sent with its first and last statements (src/store/pipeline.ts):
 * fewer round trips, and the same transaction — a statement never runs outside it, a failure
 * anywhere commits nothing, and the last statement's promise settles only once COMMIT answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { commitWithNext, openStore, runWithNext, selectRows, type Store, type Tx } from '../../src/store/db.js';
import { roundTrips } from '../../src/store/pipeline.js';
import { scratchDatabase, storageKind } from '../helpers/harness.js';

describe.skipIf(storageKind !== 'postgres')('BEGIN and COMMIT pipelined on PostgreSQL', () => {
  let store: Store;
  let drop: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    const db = await scratchDatabase();
    drop = db.drop;
    url = db.url;
    // one connection: every statement below shares it, so a transaction left open would show
    store = await openStore({ databaseUrl: db.url, dataDir: '', poolSize: 1, preparedStatements: 8 });
    await store.db.execute(sql`create table t (id int not null, constraint t_once unique (id) deferrable initially deferred)`);
    await store.db.execute(sql`create table u (id int not null, constraint u_once unique (id))`);
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  const ids = async () => (await selectRows<{ id: number }>(store.db, sql`select id from t order by id`)).map((r) => r.id);
  const insert = (tx: Tx, id: number) => tx.execute(sql`insert into t (id) values (${id})`);
  /** What a rejected promise failed with: PostgreSQL's message (drizzle wraps it) or the error's own. */
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: Error & { cause?: Error }) => e.cause?.message ?? e.message,
    );
  const counted = async <T>(fn: () => Promise<T>) => {
    const before = roundTrips.count;
    const out = await fn();
    return { out, trips: roundTrips.count - before };
  };

  it('BEGIN goes with the first statement and COMMIT with the last: two statements, two round trips, both committed', async () => {
    await store.db.execute(sql`truncate t`);
    const { trips } = await counted(() =>
      store.transaction(async (tx) => {
        await insert(tx, 1);
        commitWithNext(tx);
        await insert(tx, 2);
      }),
    );
    expect(trips).toBe(2);
    expect(await ids()).toEqual([1, 2]);
  });

  it('without commitWithNext COMMIT is its own round trip; a transaction with no statement sends nothing', async () => {
    await store.db.execute(sql`truncate t`);
    expect((await counted(() => store.transaction((tx) => insert(tx, 3)))).trips).toBe(2);
    expect(await ids()).toEqual([3]);
    expect((await counted(() => store.transaction(() => Promise.resolve(7)))).trips).toBe(0);
  });

  it('the statements run inside one transaction: they see one snapshot and txid', async () => {
    const rows = await store.transaction(async (tx) => {
      const [a] = await selectRows<{ x: string }>(tx, sql`select txid_current()::text as x, ${1}::int as one`);
      commitWithNext(tx);
      const [b] = await selectRows<{ x: string }>(tx, sql`select txid_current()::text as x, ${2}::int as two`);
      return [a.x, b.x];
    });
    expect(rows[0]).toBe(rows[1]);
  });

  it('a failing first statement: nothing runs outside the transaction, nothing commits, the connection serves on', async () => {
    await store.db.execute(sql`truncate t`);
    expect(
      await failure(
        store.transaction(async (tx) => {
          await tx.execute(sql`insert into t (id) values (${1} / 0)`);
        }),
      ),
    ).toMatch(/division by zero/);
    expect(
      await failure(
        store.transaction(async (tx) => {
          await insert(tx, 1);
          commitWithNext(tx);
          await tx.execute(sql`insert into t (id) values (${1} / 0)`);
        }),
      ),
    ).toMatch(/division by zero/);
    expect(await ids()).toEqual([]);
    // the one connection is idle and usable: a new transaction commits
    await store.transaction(async (tx) => {
      commitWithNext(tx);
      await insert(tx, 5);
    });
    expect(await ids()).toEqual([5]);
  });

  it('COMMIT failing (a deferred constraint) rejects the last statement: nothing committed, nothing acknowledged', async () => {
    await store.db.execute(sql`truncate t`);
    let lastAnswered = false;
    expect(
      await failure(
        store.transaction(async (tx) => {
          await insert(tx, 9);
          commitWithNext(tx);
          await insert(tx, 9); // accepted by the statement; the unique constraint is checked at COMMIT
          lastAnswered = true;
        }),
      ),
    ).toMatch(/t_once/);
    expect(lastAnswered).toBe(false);
    expect(await ids()).toEqual([]);
  });

  it('nothing may run after the statement that committed', async () => {
    await store.db.execute(sql`truncate t`);
    expect(
      await failure(
        store.transaction(async (tx) => {
          commitWithNext(tx);
          await insert(tx, 1);
          await insert(tx, 2);
        }),
      ),
    ).toMatch(/after the transaction's last/);
    expect(await ids()).toEqual([1]);
  });

  it('a named statement that failed to parse with BEGIN is parsed again next time (not taken for prepared)', async () => {
    const read = () => store.transaction((tx) => selectRows(tx, sql`select id from later where id = ${1}`));
    // named at its second sighting (prepared.ts); each time the transaction's first statement, after BEGIN
    for (let i = 0; i < 3; i++) expect(await failure(read())).toMatch(/relation "later" does not exist/);
    await store.db.execute(sql`create table later (id int)`);
    expect(await read()).toEqual([]);
  });

  it('a named statement that failed when it ran, first or last in its transaction, runs again as prepared (no second Parse refused)', async () => {
    await store.db.execute(sql`truncate t`);
    // named at their second sighting (prepared.ts): the third run binds the prepared statements
    for (let i = 0; i < 3; i++) {
      expect(await failure(store.transaction((tx) => tx.execute(sql`insert into t (id) values (${i} / 0)`)))).toMatch(/division by zero/);
      expect(
        await failure(
          store.transaction(async (tx) => {
            await insert(tx, 1);
            commitWithNext(tx);
            await tx.execute(sql`insert into t (id) values (${i} / 0 + 1)`);
          }),
        ),
      ).toMatch(/division by zero/);
    }
    expect(await ids()).toEqual([]);
  });

  it('a statement sent while the one carrying COMMIT is in flight is refused, not run outside the transaction', async () => {
    await store.db.execute(sql`truncate t`);
    expect(
      await failure(
        store.transaction(async (tx) => {
          commitWithNext(tx);
          await Promise.all([insert(tx, 1), insert(tx, 2)]);
        }),
      ),
    ).toMatch(/after the transaction's last/);
    expect(await ids()).toEqual([1]);
  });

  it('a plain text query while BEGIN is held is refused (it would run outside the transaction)', async () => {
    await store.db.execute(sql`truncate t`);
    // drizzle always sends a query config; a caller reaching the connection itself could send text
    const client = (tx: Tx) => (tx as unknown as { session: { client: { query(text: string): Promise<unknown> } } }).session.client;
    expect(await failure(store.transaction((tx) => client(tx).query('select 1')))).toMatch(/cannot go with the transaction's BEGIN/);
    // after the first statement it runs as pg runs it, inside the transaction
    expect(
      await store.transaction(async (tx) => {
        await insert(tx, 1);
        return ((await client(tx).query('select 2 as n')) as { rows: { n: number }[] }).rows[0].n;
      }),
    ).toBe(2);
  });

  it('a savepoint inside works as before (a unique violation caught, the transaction goes on)', async () => {
    await store.db.execute(sql`truncate u`);
    await store.transaction(async (tx) => {
      await tx.execute(sql`insert into u (id) values (${1})`);
      expect(await failure(tx.transaction((sp) => sp.execute(sql`insert into u (id) values (${1})`)))).toMatch(/u_once/);
      commitWithNext(tx);
      await tx.execute(sql`insert into u (id) values (${2})`);
    });
    expect((await selectRows<{ id: number }>(store.db, sql`select id from u order by id`)).map((r) => r.id)).toEqual([1, 2]);
  });

  describe('a statement held for the next (runWithNext)', () => {
    it('goes with the next statement, BEGIN and COMMIT in one round trip; its rows are set aside, the next answers its own', async () => {
      await store.db.execute(sql`truncate t`);
      const { out, trips } = await counted(() =>
        store.transaction(async (tx) => {
          await runWithNext(tx, sql`select ${1}::int as held, ${'x'}::text as s, ${true}::bool as b, ${null}::int as n`);
          await runWithNext(tx, sql`insert into t (id) values (${5})`);
          commitWithNext(tx);
          return selectRows<{ id: number }>(tx, sql`select id, ${2}::int as two from t`);
        }),
      );
      expect(trips).toBe(1);
      expect(out).toEqual([{ id: 5, two: 2 }]);
      expect(await ids()).toEqual([5]);
    });

    it("the next statement's snapshot is taken after the held one ran: a lock waited for shows the writer's commit", async () => {
      await store.db.execute(sql`truncate t`);
      await store.db.execute(sql`insert into t (id) values (1)`);
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        await other.query('begin');
        await other.query('select pg_advisory_xact_lock(42)');
        await other.query('insert into t (id) values (2)');
        const reading = store.transaction(async (tx) => {
          await runWithNext(tx, sql`select pg_advisory_xact_lock(${42})`);
          return (await selectRows<{ id: number }>(tx, sql`select id from t where id > ${0} order by id`)).map((r) => r.id);
        });
        await new Promise((r) => setTimeout(r, 200));
        await other.query('commit');
        expect(await reading).toEqual([1, 2]);
      } finally {
        await other.end();
      }
    });

    it('a held statement that fails: the next statement rejects with its error and does not run; nothing commits', async () => {
      await store.db.execute(sql`truncate t`);
      expect(
        await failure(
          store.transaction(async (tx) => {
            await runWithNext(tx, sql`select ${1}::int / 0`);
            commitWithNext(tx);
            await insert(tx, 9);
          }),
        ),
      ).toMatch(/division by zero/);
      expect(await ids()).toEqual([]);
      // the connection serves on
      await store.transaction((tx) => insert(tx, 3));
      expect(await ids()).toEqual([3]);
    });

    it('one seen again is prepared once on the connection, under a name of its own; after a failed sequence it is prepared again', async () => {
      const lockThen = (n: number, next: ReturnType<typeof sql>) =>
        store.transaction(async (tx) => {
          await runWithNext(tx, sql`select pg_advisory_xact_lock(${n}::int, ${77}::int) as held_lock`);
          return selectRows<{ x: number }>(tx, next);
        });
      for (let i = 0; i < 4; i++) expect(await lockThen(i, sql`select ${i}::int as x`)).toEqual([{ x: i }]);
      const prepared = async () =>
        (await selectRows<{ name: string }>(store.db, sql`select name from pg_prepared_statements where statement like ${'%held_lock%'}`)).map((r) => r.name);
      expect(await prepared()).toEqual([expect.stringMatching(/^h/)]);
      // the sequence fails after the held statement ran: whether its Parse went through is unknown to the client
      expect(await failure(lockThen(5, sql`select ${1}::int / 0 as x`))).toMatch(/division by zero/);
      // closed and parsed again (a second Parse of an existing name would fail)
      expect(await lockThen(6, sql`select ${6}::int as x`)).toEqual([{ x: 6 }]);
      expect(await lockThen(7, sql`select ${7}::int as x`)).toEqual([{ x: 7 }]);
      expect(await prepared()).toHaveLength(1);
    });

    it("one held after statements already sent goes with the next (no BEGIN in that trip); its failure is the next one's", async () => {
      await store.db.execute(sql`truncate t`);
      const { out, trips } = await counted(() =>
        store.transaction(async (tx) => {
          await insert(tx, 1);
          await runWithNext(tx, sql`insert into t (id) values (${2})`);
          const seen = await selectRows<{ id: number }>(tx, sql`select id from t where id > ${0} order by id`);
          await runWithNext(tx, sql`select ${1}::int / 0`);
          return { seen: seen.map((r) => r.id), after: await failure(tx.execute(sql`select ${1}::int as x`)) };
        }),
      );
      expect(out).toEqual({ seen: [1, 2], after: expect.stringMatching(/division by zero/) });
      expect(trips).toBe(4); // BEGIN + insert; held + select; held + select (failed); COMMIT (answered as ROLLBACK)
      expect(await ids()).toEqual([]);
    });

    it('a COMMIT with a held statement nothing followed is refused (nothing commits); a rollback drops it; a parameter of another kind is refused', async () => {
      await store.db.execute(sql`truncate t`);
      expect(await failure(store.transaction((tx) => runWithNext(tx, sql`insert into t (id) values (${1})`)))).toMatch(/none after it/);
      expect(
        await failure(
          store.transaction(async (tx) => {
            await insert(tx, 2);
            await runWithNext(tx, sql`insert into t (id) values (${3})`);
          }),
        ),
      ).toMatch(/none after it/);
      expect(await ids()).toEqual([]);
      const { trips } = await counted(() =>
        failure(
          store.transaction(async (tx) => {
            await runWithNext(tx, sql`insert into t (id) values (${1})`);
            throw new Error('the caller gave up');
          }),
        ),
      );
      expect(trips).toBe(0);
      expect(await ids()).toEqual([]);
      expect(await failure(store.transaction((tx) => runWithNext(tx, sql`select ${new Date(0)}::timestamptz`)))).toMatch(/numbers, strings/);
      // the connection serves on
      await store.transaction((tx) => insert(tx, 4));
      expect(await ids()).toEqual([4]);
    });
  });
});
