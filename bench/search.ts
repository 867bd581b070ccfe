/**
 * npm run bench:search — search latency at 100,000 and 1,000,000 members: the word search of
 * DOMAIN.md 10 (search_words indexes, the policy's exact rule, ranking by degree) against the prefix
 * search it replaced (a handle or name prefix through text_pattern_ops indexes), measured in the
 * same run on the same rows, by query kind; and the size of each index.
 *
 * Storage: the machine's PostgreSQL (a scratch database per size), or PGlite with
 * BENCH_SEARCH_STORE=pglite (a scratch directory). Loading: members are generated inside the
 * database (one INSERT … SELECT from generate_series a batch of BENCH_SEARCH_BATCH rows, no rows
 * through the client) with the members and search_words indexes dropped;
 * search_words is then filled in one statement (as migration 0008 backfills) and the indexes are
 * built after the load, from their own definitions.
 * BENCH_SEARCH_EXPLAIN=1 prints EXPLAIN ANALYZE of one query of each kind.
 * Writes the section "Search" of bench/RESULTS.md (BENCH_SEARCH_WRITE=0: print only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { resolvePolicy, searchWords } from '../src/policy/index.js';
import type { Deps } from '../src/services/context.js';
import { loadGraph } from '../src/services/graph.js';
import { memberById } from '../src/services/members.js';
import { search, searchCandidates, searchLayers, SEARCH_SETTINGS } from '../src/services/profiles.js';
import { openStore, rowsOf, type Store } from '../src/store/db.js';
import { systemClock } from '../src/util/clock.js';
import { loadConfig } from '../src/config.js';
import { DB_DEFAULTS } from '../src/server.js';
import { machine, pct, ratio, scratchDb, writeSection } from './lib.js';

const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '100000,1000000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 200);
const STORE = process.env.BENCH_SEARCH_STORE === 'pglite' ? 'pglite' : 'postgres';
const BATCH = Number(process.env.BENCH_SEARCH_BATCH ?? 100_000);
const EXPLAIN = process.env.BENCH_SEARCH_EXPLAIN === '1';

const FIRST = [
  'ann',
  'bob',
  'cid',
  'dee',
  'eve',
  'fay',
  'gus',
  'hal',
  'ida',
  'jan',
  'kim',
  'lea',
  'max',
  'ned',
  'ola',
  'pia',
  'quin',
  'rae',
  'sam',
  'tia',
  'uma',
  'vic',
  'wes',
  'xia',
  'yan',
  'zoe',
  'maria',
  'jonas',
  'sofia',
  'lukas',
  'emma',
  'noah',
  'mila',
  'elias',
  'lena',
  'felix',
];
const LAST = [
  'smith',
  'kowalski',
  'johnson',
  'garcia',
  'muller',
  'rossi',
  'dubois',
  'nowak',
  'silva',
  'tanaka',
  'kim',
  'nguyen',
  'larsen',
  'novak',
  'horvat',
  'popescu',
  'ivanov',
  'schmidt',
  'fischer',
  'weber',
  'meyer',
  'wagner',
  'becker',
  'hoffmann',
  'schulz',
  'koch',
  'richter',
  'klein',
  'wolf',
  'neumann',
];
/** Syllables of made-up surnames (two or three of them and an ending: about 120,000 distinct). */
const SYL = [
  'ba',
  'ko',
  'mi',
  'ra',
  'te',
  'lu',
  'sa',
  'no',
  'vi',
  'de',
  'gra',
  'sto',
  'pel',
  'kar',
  'lin',
  'mor',
  'tan',
  'ves',
  'bri',
  'hol',
  'zen',
  'fal',
  'dro',
  'ker',
  'mun',
  'sil',
  'tor',
  'wen',
  'yar',
  'qui',
];
const END = ['', 'son', 'ski', 'ov', 'er', 'ez', 'ini', 'berg', 'ton', 'ic'];
const ROLE = ['engineer', 'designer', 'recruiter', 'manager', 'analyst', 'founder', 'consultant', 'researcher', 'developer', 'architect'];
const ORG = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'vandelay', 'stark', 'wayne', 'tyrell', 'cyberdyne'];

type Kind = 'exact handle' | 'name prefix' | 'misspelt surname' | 'headline words' | 'full name';
const KINDS: Kind[] = ['exact handle', 'name prefix', 'misspelt surname', 'headline words', 'full name'];

function queries(n: number, size: number): { kind: Kind; q: string }[] {
  const out: { kind: Kind; q: string }[] = [];
  const pick = <T>(a: T[], i: number) => a[(i * 7919) % a.length];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[i % KINDS.length];
    const q =
      kind === 'exact handle'
        ? `u${2 + ((i * 104_729 + 4999) % (size - 1))}`
        : kind === 'name prefix'
          ? pick(LAST, i).slice(0, 4)
          : kind === 'misspelt surname'
            ? pick(LAST, i).replace(/[aeiou]/, 'y')
            : kind === 'headline words'
              ? `${pick(ROLE, i)} ${pick(ORG, i + 3)}`
              : `${pick(FIRST, i)} ${pick(LAST, i + 1)}`;
    out.push({ kind, q });
  }
  return out;
}

const arr = (a: string[]) => `{${a.map((s) => `"${s}"`).join(',')}}`;

/** Members generated in the database, `size` of them, indexes dropped, then built. */
async function load(store: Store, size: number): Promise<{ loadS: number; wordsS: number; indexS: number }> {
  const db = store.db;
  const defs = rowsOf(
    await db.execute(sql`select indexname, indexdef from pg_indexes
                          where tablename in ('members', 'search_words', 'search_vocabulary') and indexname not like '%_pkey' and indexname not like '%_pk'`),
  ) as { indexname: string; indexdef: string }[];
  for (const d of defs) await db.execute(sql.raw(`drop index ${d.indexname}`));
  const t0 = performance.now();
  for (let from = 1; from <= size; from += BATCH) {
    const to = Math.min(size, from + BATCH - 1);
    // 30% common surnames (the queries' targets), 70% made up; headlines "Role at Org"
    await db.execute(sql`insert into members (handle, kind, name, headline, email)
      select 'u' || i, 'person',
             initcap((${arr(FIRST)}::text[])[1 + i % ${FIRST.length}]) || ' ' ||
               case when i % 10 < 3 then initcap((${arr(LAST)}::text[])[1 + (i / 7) % ${LAST.length}])
                    else initcap((${arr(SYL)}::text[])[1 + (i / 3) % 30] || (${arr(SYL)}::text[])[1 + (i / 89) % 30]
                                 || case when i % 3 = 0 then (${arr(SYL)}::text[])[1 + (i / 2671) % 30] else '' end
                                 || (${arr(END)}::text[])[1 + (i / 13) % 10]) end,
             initcap((${arr(ROLE)}::text[])[1 + (i / 3) % ${ROLE.length}]) || ' at ' || initcap((${arr(ORG)}::text[])[1 + (i / 11) % ${ORG.length}]),
             'u' || i || '@x.test'
        from generate_series(${from}::int, ${to}::int) i`);
  }
  // the viewer's network: 200 connections, each with 20 of their own (2nd degree)
  await db.execute(sql`insert into connections (a, b)
    select 1, 1 + (j * 4999) % ${size - 1} + 1 from generate_series(1, 200) j on conflict do nothing`);
  await db.execute(sql`insert into connections (a, b)
    select least(c, d), greatest(c, d) from (
      select 1 + (j * 4999) % ${size - 1} + 1 as c, 1 + (j * 7907 + k * 104723) % ${size - 1} + 1 as d
        from generate_series(1, 200) j, generate_series(1, 20) k) x
     where c <> d and c <> 1 and d <> 1 on conflict do nothing`);
  const t1 = performance.now();
  await db.execute(sql`insert into search_words (member_id, field, word)
    select m.id, 0, w from members m, liaison_words(m.name || ' ' || m.handle) as w where m.status = 'active'
    union all
    select m.id, 1, w from members m, liaison_words(m.headline) as w where m.status = 'active'`);
  await db.execute(sql`insert into search_vocabulary (word) select distinct word from search_words`);
  const t2 = performance.now();
  for (const d of defs) await db.execute(sql.raw(d.indexdef));
  await db.execute(sql`vacuum analyze`);
  const t3 = performance.now();
  return { loadS: (t1 - t0) / 1000, wordsS: (t2 - t1) / 1000, indexS: (t3 - t2) / 1000 };
}

async function main() {
  const rows: string[] = [];
  const sizeRows: string[] = [];
  for (const size of SIZES) {
    let dir = '';
    const db0 = STORE === 'postgres' ? await scratchDb('search') : null;
    if (!db0) dir = mkdtempSync(path.join(os.tmpdir(), 'liaison-search-'));
    // prepared statements as `liaison serve` has them (LIAISON_DB_PREPARED_STATEMENTS, default 256)
    const store = await openStore({
      databaseUrl: db0?.url ?? '',
      dataDir: dir,
      preparedStatements: loadConfig().db?.preparedStatements ?? DB_DEFAULTS.preparedStatements,
    });
    try {
      await store.migrate();
      const db = store.db;
      const { loadS, wordsS, indexS } = await load(store, size);
      console.log(`${size}: members ${loadS.toFixed(0)} s, words ${wordsS.toFixed(0)} s, indexes ${indexS.toFixed(0)} s`);
      const { graph } = await loadGraph(db);
      const deps: Deps = { store, policy: resolvePolicy({}), clock: systemClock, graph };
      // the load writes members only (no handle lookup rows): the viewer by its row
      const [first] = rowsOf(await db.execute(sql`select id from members where handle = 'u1'`));
      const viewer = (await memberById(db, Number(first.id)))!;
      const qs = queries(QUERIES, size);
      const now = new Date();
      if (EXPLAIN) {
        for (const kind of KINDS) {
          const { q } = qs.find((x) => x.kind === kind)!;
          const words = [...new Set(searchWords(q))];
          const plan = await db.transaction(async (tx) => {
            await tx.execute(SEARCH_SETTINGS);
            return rowsOf(await tx.execute(sql`explain (analyze, buffers) ${searchCandidates(words, viewer.id, searchLayers(graph, viewer.id, null))}`));
          });
          console.log(`--- ${kind}: ${q}\n${plan.map((r) => Object.values(r)[0]).join('\n')}`);
        }
      }
      const timeIt = async (kind: Kind, fn: (q: string) => Promise<number>) => {
        const mine = qs.filter((x) => x.kind === kind).map((x) => x.q);
        const times: number[] = [];
        let hits = 0;
        for (const q of mine.slice(0, 3)) await fn(q); // warm
        for (const q of mine) {
          const s = performance.now();
          hits += await fn(q);
          times.push(performance.now() - s);
        }
        times.sort((a, b) => a - b);
        return { p50: pct(times, 50), p99: pct(times, 99), hits: hits / mine.length, n: mine.length };
      };
      const prefixSearch = async (q: string) => {
        const p =
          q
            .split(' ')[0]
            .toLowerCase()
            .replace(/[\\%_]/g, '\\$&') + '%';
        const r = rowsOf(
          await db.execute(sql`select id from members where status = 'active' and (lower(handle) like ${p} or lower(name) like ${p}) order by id limit 20`),
        );
        return r.length;
      };
      for (const kind of KINDS) {
        const words = await timeIt(kind, async (q) => (await search(deps, db, viewer, q, null, now, { limit: 20 })).items.length);
        const prefix = await timeIt(kind, prefixSearch);
        const layers = searchLayers(graph, viewer.id, null);
        const candidates = await timeIt(kind, (q) =>
          db.transaction(async (tx) => {
            await tx.execute(SEARCH_SETTINGS);
            return rowsOf(await tx.execute(searchCandidates([...new Set(searchWords(q))].slice(0, 8), viewer.id, layers))).length;
          }),
        );
        const example = qs.find((x) => x.kind === kind)!.q;
        rows.push(
          `| ${size.toLocaleString('en')} | ${kind} (e.g. "${example}") | ${words.p50.toFixed(1)} ms | ${words.p99.toFixed(1)} ms | ${words.hits.toFixed(1)} | ${candidates.p50.toFixed(1)} ms (${candidates.hits.toFixed(0)}) | ${prefix.p50.toFixed(1)} ms | ${prefix.p99.toFixed(1)} ms | ${prefix.hits.toFixed(1)} | ${ratio(words.p50 / prefix.p50)} |`,
        );
        console.log(rows[rows.length - 1]);
      }
      const sizes = rowsOf(
        await db.execute(sql`select c.relname as name, pg_relation_size(c.oid) as bytes from pg_class c
                              where c.relname in ('members', 'search_words', 'search_vocabulary') or c.oid in (select indexrelid from pg_index i join pg_class t on t.oid = i.indrelid where t.relname in ('members', 'search_words', 'search_vocabulary'))
                              order by c.relname`),
      ) as { name: string; bytes: unknown }[];
      const [words] = rowsOf(await db.execute(sql`select (select count(*) from search_words) as n, (select count(*) from search_vocabulary) as v`)) as {
        n: unknown;
        v: unknown;
      }[];
      const mib = (v: unknown) => (Number(v) / 2 ** 20).toFixed(1);
      sizeRows.push(
        `| ${size.toLocaleString('en')} | ${Number(words.n).toLocaleString('en')} (vocabulary ${Number(words.v).toLocaleString('en')}) | ${sizes.map((s) => `${s.name} ${mib(s.bytes)}`).join(', ')} | ${loadS.toFixed(0)} s + words ${wordsS.toFixed(0)} s + indexes ${indexS.toFixed(0)} s |`,
      );
      console.log(sizeRows[sizeRows.length - 1]);
    } finally {
      await store.close();
      if (process.env.BENCH_SEARCH_KEEP === '1') console.log(`kept ${db0?.url ?? dir}`);
      else await db0?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
  const body = [
    `Machine: ${machine()}. Date: ${new Date().toISOString()}. Load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(
        ', ',
      )} (a machine shared with other work: absolute times are inflated, the ratio to the baseline measured in the same run is the comparison). Storage: ${STORE === 'postgres' ? "the machine's PostgreSQL, a scratch database per size" : 'PGlite, a scratch directory per size'}.`,
    `${QUERIES} queries a size, a fifth of each kind, 20 results, one client; the viewer has 200 connections and about 4,000 2nd-degree members.`,
    'Names: 36 first names; 30% of surnames from 30 common ones (the queries aim at those: thousands of matches each), 70% made up of syllables; headlines "Role at Org" (10 × 10).',
    'The baseline is the search it replaced, on the same rows: a prefix of the first query word on handle or name, no typos, no headline, no ranking.',
    '',
    '| members | query kind | word search p50 | p99 | hits | of which candidate query p50 (candidates) | prefix p50 | p99 | hits | p50 ratio |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Sizes (pg_relation_size, MiB) and load time (members generated in the database, indexes built after):',
    '',
    '| members | search_words rows | relation sizes | load |',
    '|---|---|---|---|',
    ...sizeRows,
  ].join('\n');
  if (process.env.BENCH_SEARCH_WRITE !== '0') writeSection(STORE === 'postgres' ? 'Search' : 'Search (PGlite)', body);
  else console.log(body);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
