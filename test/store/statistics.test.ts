/**
 * The planner's statistics kept current where nothing else does (src/store/statistics.ts): a table
 * that grew past the threshold since its last ANALYZE is analyzed again; one that did not is left;
 * the housekeeping pass does it on PGlite only (PostgreSQL has autovacuum).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openStore, selectRows, type Store } from '../../src/store/db.js';
import { analyzeGrown } from '../../src/store/statistics.js';
import { harness, scratchDatabase, storageKind, type Harness } from '../helpers/harness.js';

describe(`statistics of tables that grew (${storageKind})`, () => {
  let store: Store;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (storageKind === 'postgres') {
      const db = await scratchDatabase();
      drop = db.drop;
      store = await openStore({ databaseUrl: db.url, dataDir: '' });
    } else store = await openStore({ dataDir: `memory://statistics-${process.pid}` });
    await store.db.execute(sql`create table grows (id int primary key, pad text) with (autovacuum_enabled = false)`);
    await store.db.execute(sql`create table "Stays Small" (id int primary key)`);
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });
  const reltuples = async () => Number((await selectRows<{ n: number }>(store.db, sql`select reltuples::int as n from pg_class where relname = 'grows'`))[0].n);

  it('analyzes a table that grew, answers its name, and leaves it until it grows again', async () => {
    await store.db.execute(sql`insert into grows select g, repeat('x', 100) from generate_series(1, 5000) g`);
    await store.db.execute(sql`insert into "Stays Small" values (1)`);
    expect(await analyzeGrown(store.db)).toEqual(['grows']);
    expect(await reltuples()).toBe(5000);
    expect(await analyzeGrown(store.db)).toEqual([]);
    // 15% more: under the threshold (20%)
    await store.db.execute(sql`insert into grows select g, repeat('x', 100) from generate_series(5001, 5750) g`);
    expect(await analyzeGrown(store.db)).toEqual([]);
    expect(await reltuples()).toBe(5000);
    await store.db.execute(sql`insert into grows select g, repeat('x', 100) from generate_series(5751, 9000) g`);
    expect(await analyzeGrown(store.db)).toEqual(['grows']);
    expect(await reltuples()).toBe(9000);
  });

  it('a name that needs quoting is analyzed too, whatever the search_path', async () => {
    await store.db.execute(sql`insert into "Stays Small" select g from generate_series(2, 20000) g`);
    await store.transaction(async (tx) => {
      await tx.execute(sql`set local search_path = pg_catalog`);
      expect(await analyzeGrown(tx)).toEqual(['Stays Small']);
    });
    expect(await analyzeGrown(store.db)).toEqual([]);
  });
});

describe(`the housekeeping pass analyzes on PGlite only (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a grown table is analyzed by the pass on PGlite; on PostgreSQL autovacuum does it', async () => {
    const db = h.inst.deps.store.db;
    await db.execute(sql`create table grown_here (id int primary key, pad text) with (autovacuum_enabled = false)`);
    await db.execute(sql`insert into grown_here select g, repeat('x', 100) from generate_series(1, 5000) g`);
    const report = await h.inst.housekeeper.runOnce();
    expect(report.analyzed.includes('grown_here')).toBe(storageKind === 'pglite');
    await db.execute(sql`drop table grown_here`);
  });
});
