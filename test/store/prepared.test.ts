/**
 * Prepared statements on PostgreSQL (src/store/prepared.ts): a parameterized statement is named the
 * second time its text is seen and then parsed once per connection; the names are bounded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openStore, selectRows, type Store } from '../../src/store/db.js';
import { statementNames } from '../../src/store/prepared.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { scratchDatabase, storageKind } from '../helpers/harness.js';

describe('statement names', () => {
  it('names a text at its second sighting, the same name after, and the same on every instance', () => {
    const a = statementNames(4, 16);
    expect(a.nameFor('select $1')).toBeUndefined();
    const name = a.nameFor('select $1');
    expect(name).toMatch(/^l[\w-]+$/);
    expect(a.nameFor('select $1')).toBe(name);
    const b = statementNames(4, 16);
    b.nameFor('select $1');
    expect(b.nameFor('select $1')).toBe(name);
    expect(a.named).toBe(1);
  });

  it('names at most maxNames texts; the rest run unnamed', () => {
    const n = statementNames(3, 100);
    for (let i = 0; i < 10; i++) for (let k = 0; k < 3; k++) n.nameFor(`select ${i}, $1`);
    expect(n.named).toBe(3);
    expect(n.nameFor('select 9, $1')).toBeUndefined();
    expect(n.nameFor('select 0, $1')).toBeDefined();
  });

  it('forgets the texts seen once in bulk past maxSeen (a text seen once between two resets is never named)', () => {
    const n = statementNames(100, 4);
    n.nameFor('x $1');
    for (let i = 0; i < 4; i++) n.nameFor(`filler ${i} $1`);
    expect(n.nameFor('x $1')).toBeUndefined();
    expect(n.nameFor('x $1')).toBeDefined();
  });
});

describe('LIAISON_DB_PREPARED_STATEMENTS', () => {
  it('sets how many texts a connection keeps prepared; 0 turns it off; anything else is refused', () => {
    expect(loadConfig({ LIAISON_DB_PREPARED_STATEMENTS: '0' }).db?.preparedStatements).toBe(0);
    expect(loadConfig({ LIAISON_DB_PREPARED_STATEMENTS: '64' }).db?.preparedStatements).toBe(64);
    expect(loadConfig({}).db?.preparedStatements).toBeUndefined();
    expect(() => loadConfig({ LIAISON_DB_PREPARED_STATEMENTS: 'many' })).toThrow(ConfigError);
  });
});

describe.skipIf(storageKind !== 'postgres')('prepared statements on a PostgreSQL connection', () => {
  const drops: (() => Promise<void>)[] = [];
  const stores: Store[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const d of drops) await d();
  });
  async function open(preparedStatements: number) {
    const db = await scratchDatabase();
    drops.push(db.drop);
    const store = await openStore({ databaseUrl: db.url, dataDir: '', poolSize: 1, preparedStatements });
    stores.push(store);
    return store;
  }
  const ours = (store: Store) =>
    store.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        const [r] = await selectRows<{ n: number }>(tx, sql`select ${i}::int + 1 as n`);
        expect(r.n).toBe(i + 1);
      }
      return selectRows<{ name: string; statement: string }>(tx, sql`select name, statement from pg_prepared_statements where statement like ${'%as n'}`);
    });

  it('a statement run again is prepared once on the connection and answers the same', async () => {
    const rows = await ours(await open(8));
    expect(rows).toHaveLength(1);
    expect(rows[0].name).toMatch(/^l/);
    expect(rows[0].statement).toBe('select $1::int + 1 as n');
  });

  it('none with LIAISON_DB_PREPARED_STATEMENTS=0', async () => {
    expect(await ours(await open(0))).toEqual([]);
  });
});
