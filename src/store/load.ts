/**
 * Bulk loads (liaison seed, liaison import) through COPY, inside one Store.bulk transaction.
 *
 * Into empty tables (a seed or an import into a new database) a load is "fresh": it takes the tables
 * exclusively, drops their secondary indexes, primary keys (except the members' own, which others
 * reference) and foreign keys, truncates the tables nothing references so COPY can write frozen
 * rows, and after the rows are in, writes the search words of every member in one pass (liaison_words,
 * as src/store/search-words.ts splits them), then re-creates every index and constraint from the
 * definitions it read from the catalog (re-adding a key validates every row, as inserting did). All
 * of it is one transaction: a load that fails leaves the schema and the tables as they were.
 *
 * Into tables that hold rows, nothing is dropped: rows are copied with every index and constraint
 * live, exactly as the row-by-row inserts were checked, and the search words of the new members are
 * written at finish by the statements every writer of a member uses (src/store/search-words.ts).
 */
import type { BulkSession } from './db.js';
import { writeSearchWordsWith, type SearchWordSource } from './search-words.js';

/** The tables a seed or an import writes. */
export const LOAD_TABLES = [
  'members',
  'member_handles',
  'member_emails',
  'settings',
  'subscriptions',
  'credentials',
  'connections',
  'follows',
  'search_words',
  'search_vocabulary',
  'page_admins',
  'group_members',
] as const;
export type LoadTable = (typeof LOAD_TABLES)[number];

/** Tables whose primary key is dropped and re-added (nothing references them; their keys arrive unsorted). */
const PK_REBUILT = new Set<string>(['member_handles', 'member_emails', 'connections', 'follows', 'search_words', 'group_members', 'page_admins']);
/** The tables whose rows come from member rows alone (Load.finishMembers). */
const MEMBER_SIDE = new Set<string>([
  'members',
  'member_handles',
  'member_emails',
  'settings',
  'subscriptions',
  'credentials',
  'search_words',
  'search_vocabulary',
]);

interface Definition {
  table: string;
  name: string;
  /** `alter table … add constraint …` or `create index …` */
  create: string;
  drop: string;
}

export interface Load {
  /** Whether the tables were empty: indexes and constraints are rebuilt at finish. */
  readonly fresh: boolean;
  /** Whether COPY into `table` may write frozen rows (the table was truncated in this transaction). */
  freeze(table: LoadTable): boolean;
  /** `n` new member ids, ascending. */
  memberIds(n: number): Promise<number[]>;
  /**
   * Once every member row is in (fresh): sends, as one message, the search words and the rebuild of
   * the tables about members alone (members, lookups, settings, tiers, credentials, search), so the
   * server works on them while the caller computes the rest (seed: the graph). Nothing when not fresh.
   */
  finishMembers(): Promise<void>;
  /** Writes what is left (fresh): search words, keys, indexes; `step` reports each statement done. */
  finish(step?: (done: number, total: number) => void): Promise<void>;
}

const quoteIdent = (s: string) => '"' + s.replace(/"/g, '""') + '"';

async function allEmpty(s: BulkSession, tables: readonly string[]): Promise<boolean> {
  const probe = tables.map((t) => `not exists (select 1 from ${quoteIdent(t)})`).join(' and ');
  const [row] = await s.query<{ empty: boolean }>(`select ${probe} as empty`);
  return row?.empty === true;
}

/**
 * Starts a load of `tables`. Fresh only when `rebuild` is allowed, every one of `tables` is empty and
 * the database is not Citus (whose distributed tables keep their indexes).
 */
export async function beginLoad(s: BulkSession, tables: readonly LoadTable[], opts: { rebuild?: boolean } = {}): Promise<Load> {
  const seq = (await s.query<{ seq: string }>(`select pg_get_serial_sequence('members', 'id') as seq`))[0].seq;
  const ids = async (n: number): Promise<number[]> => {
    if (n === 0) return [];
    const [row] = await s.query<{ ids: string | null }>(`select string_agg(nextval($1::regclass)::text, ',') as ids from generate_series(1, $2::int)`, [
      seq,
      n,
    ]);
    return (row?.ids ?? '')
      .split(',')
      .map(Number)
      .sort((x, y) => x - y);
  };
  // Not fresh: the members given ids get their search words once their rows are in.
  const given: number[] = [];
  let worded = false;
  const words = async () => {
    if (worded || given.length === 0) return;
    worded = true;
    for (let i = 0; i < given.length; i += 5000) {
      const rows = await s.query<SearchWordSource>(`select id, name, handle, headline, status from members where id = any($1::bigint[]) order by id`, [
        `{${given.slice(i, i + 5000).join(',')}}`,
      ]);
      await writeSearchWordsWith(
        (text, params) => s.query(text, params),
        rows.map((r) => ({ ...r, id: Number(r.id) })),
        { replace: false },
      );
    }
  };
  const plain: Load = {
    fresh: false,
    freeze: () => false,
    memberIds: async (n) => {
      const got = await ids(n);
      given.push(...got);
      return got;
    },
    finishMembers: words,
    finish: async () => words(),
  };

  const citus = (await s.query(`select 1 from pg_extension where extname = 'citus'`)).length > 0;
  // On Citus a load writes distributed tables, then reference tables (groups, their members, page
  // admins) in the same transaction: Citus allows that only when the distributed writes went one
  // shard connection at a time.
  if (citus) await s.query(`set local citus.multi_shard_modify_mode to 'sequential'`);
  if (citus || opts.rebuild === false || !(await allEmpty(s, tables))) return plain;
  // Exclusive from here to the commit; a writer that came in between the probe and the lock wins.
  await s.query(`lock table ${tables.map(quoteIdent).join(', ')} in access exclusive mode`);
  if (!(await allEmpty(s, tables))) return plain;

  const names = [...tables];
  const constraints = await s.query<{ tbl: string; name: string; type: string; def: string }>(
    `select c.conrelid::regclass::text as tbl, c.conname as name, c.contype as type, pg_get_constraintdef(c.oid) as def
       from pg_constraint c join pg_class r on r.oid = c.conrelid join pg_namespace n on n.oid = r.relnamespace
      where n.nspname = current_schema() and r.relname = any($1::text[]) and c.contype in ('p', 'f')
      order by c.conname`,
    [`{${names.join(',')}}`],
  );
  const pks: Definition[] = [];
  const fks: Definition[] = [];
  for (const c of constraints) {
    if (c.type === 'p' && !PK_REBUILT.has(c.tbl)) continue;
    const d = {
      table: c.tbl,
      name: c.name,
      create: `alter table ${quoteIdent(c.tbl)} add constraint ${quoteIdent(c.name)} ${c.def}`,
      drop: `alter table ${quoteIdent(c.tbl)} drop constraint ${quoteIdent(c.name)}`,
    };
    (c.type === 'p' ? pks : fks).push(d);
  }
  const indexes = (
    await s.query<{ tbl: string; name: string; def: string }>(
      `select tablename as tbl, indexname as name, indexdef as def from pg_indexes
        where schemaname = current_schema() and tablename = any($1::text[])
          and indexname not in (select conname from pg_constraint where contype in ('p', 'u', 'x'))
        order by indexname`,
      [`{${names.join(',')}}`],
    )
  ).map((i) => ({ table: i.tbl, name: i.name, create: i.def, drop: `drop index ${quoteIdent(i.name)}` }));
  // foreign keys first (a primary key may back one), then keys, then the other indexes
  for (const d of [...fks, ...pks, ...indexes]) await s.query(d.drop);
  const membersLoaded = tables.includes('members');

  // COPY … FREEZE needs a table truncated in this transaction: the empty tables no key refers to.
  const referenced = new Set(
    (
      await s.query<{ tbl: string }>(
        `select distinct confrelid::regclass::text as tbl from pg_constraint where contype = 'f' and confrelid = any($1::regclass[])`,
        [`{${names.join(',')}}`],
      )
    ).map((r) => r.tbl),
  );
  const frozen = new Set(tables.filter((t) => !referenced.has(t)));
  if (frozen.size) await s.query(`truncate ${[...frozen].map(quoteIdent).join(', ')}`);

  // What finish runs, in order, each statement naming the table it rebuilds.
  const statements: { table: string; text: string; done?: boolean }[] = [];
  const add = (table: string, text: string) => statements.push({ table, text });
  // index builds, key validations and the vocabulary's distinct words sort in memory, not on disk
  // (PGlite's whole server lives in the process's WebAssembly memory: less there)
  add(
    'members',
    s.kind === 'postgres'
      ? `set local maintenance_work_mem = '1GB'; set local work_mem = '512MB'`
      : `set local maintenance_work_mem = '256MB'; set local work_mem = '128MB'`,
  );
  if (membersLoaded) {
    // The statements of src/store/search-words.ts for every member at once; a headline's words are
    // split once per distinct headline (the same function on the same text).
    add(
      'search_words',
      `insert into search_words (member_id, field, word)
         select m.id, 0, w from members m, liaison_words(m.name || ' ' || m.handle) as w where m.status = 'active'
         union all
         select m.id, 1, h.w from members m
           join (select headline, liaison_words(headline) as w from (select distinct headline from members where status = 'active') d) h
             on h.headline = m.headline
          where m.status = 'active'`,
    );
    // The vocabulary of name, handle and headline split together holds the words of the two fields
    // (a space splits words and NFKC composes nothing across it), as migration 0008 found.
    add('search_vocabulary', `insert into search_vocabulary (word) select distinct word from search_words order by 1 on conflict do nothing`);
  }
  // keys, then foreign keys (each validates every row it covers: with no secondary index to walk,
  // by a scan of the table), then the other indexes
  for (const d of pks) add(d.table, d.create);
  // A foreign key checks its rows with one outer join to the referenced table. On the leading
  // column of the table's key a merge walks that key in order; on another column hashing the
  // referenced table beats sorting tens of millions of rows for a merge (the planner's pick).
  const leading = new Map(pks.map((p) => [p.table, /PRIMARY KEY \(([^,)]+)/.exec(p.create)?.[1]]));
  for (const d of fks) {
    const column = /FOREIGN KEY \(([^,)]+)\)/.exec(d.create)?.[1];
    add(d.table, `set local enable_mergejoin = ${column !== undefined && leading.get(d.table) === column ? 'on' : 'off'}; ${d.create}`);
  }
  for (const d of indexes) add(d.table, d.create);

  return {
    fresh: true,
    freeze: (t) => frozen.has(t),
    memberIds: async (n) => {
      if (n === 0) return [];
      // members is ours until the commit: a contiguous range, reserved in one step
      const [row] = await s.query<{ first: string }>(`select nextval($1::regclass)::text as first`, [seq]);
      const first = Number(row.first);
      await s.query(`select setval($1::regclass, $2::bigint)`, [seq, first + n - 1]);
      return Array.from({ length: n }, (_, i) => first + i);
    },
    finishMembers() {
      // one message of statements: the server works through them while the caller computes
      const batch = statements.filter((st) => !st.done && MEMBER_SIDE.has(st.table));
      for (const st of batch) st.done = true;
      return batch.length ? s.query(batch.map((st) => st.text).join(';\n')).then(() => undefined) : Promise.resolve();
    },
    async finish(step) {
      const rest = statements.filter((st) => !st.done);
      let done = 0;
      for (const st of rest) {
        st.done = true;
        await s.query(st.text);
        step?.(++done, rest.length);
      }
    },
  };
}

/**
 * Rows in COPY's text format, `per` lines a chunk: `line(i)` is row i (without its newline); `done`
 * hears how many rows were handed on so far.
 */
export function* copyLines(n: number, line: (i: number) => string, done?: (rows: number) => void, per = 20_000): Generator<string> {
  for (let start = 0; start < n; start += per) {
    const end = Math.min(n, start + per);
    let chunk = '';
    for (let i = start; i < end; i++) chunk += line(i) + '\n';
    yield chunk;
    done?.(end);
  }
}
