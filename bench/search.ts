/**
 * npm run bench:search — search latency at 100,000 and 1,000,000 members (the machine's PostgreSQL):
 * the word search of DOMAIN.md 10 (trigram candidates, the policy's exact rule, ranking by degree)
 * against the prefix search it replaced (a handle or name prefix through text_pattern_ops indexes),
 * measured in the same run on the same rows; and the size of each index.
 * Writes the section "Search" of bench/RESULTS.md.
 */
import { sql } from 'drizzle-orm';
import { resolvePolicy } from '../src/policy/index.js';
import type { Deps } from '../src/services/context.js';
import { loadGraph } from '../src/services/graph.js';
import { memberByHandle } from '../src/services/members.js';
import { search } from '../src/services/profiles.js';
import { openStore } from '../src/store/db.js';
import { rowsOf } from '../src/store/db.js';
import { systemClock } from '../src/util/clock.js';
import { machine, pct, ratio, scratchDb, writeSection } from './lib.js';

const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '100000,1000000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 200);

const FIRST = ['ann', 'bob', 'cid', 'dee', 'eve', 'fay', 'gus', 'hal', 'ida', 'jan', 'kim', 'lea', 'max', 'ned', 'ola', 'pia', 'quin', 'rae', 'sam', 'tia', 'uma', 'vic', 'wes', 'xia', 'yan', 'zoe', 'maria', 'jonas', 'sofia', 'lukas', 'emma', 'noah', 'mila', 'elias', 'lena', 'felix'];
const LAST = ['smith', 'kowalski', 'johnson', 'garcia', 'muller', 'rossi', 'dubois', 'nowak', 'silva', 'tanaka', 'kim', 'nguyen', 'larsen', 'novak', 'horvat', 'popescu', 'ivanov', 'schmidt', 'fischer', 'weber', 'meyer', 'wagner', 'becker', 'hoffmann', 'schulz', 'koch', 'richter', 'klein', 'wolf', 'neumann'];
const ROLE = ['engineer', 'designer', 'recruiter', 'manager', 'analyst', 'founder', 'consultant', 'researcher', 'developer', 'architect'];
const ORG = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'vandelay', 'stark', 'wayne', 'tyrell', 'cyberdyne'];

function queries(n: number): string[] {
  const out: string[] = [];
  const pick = <T>(a: T[], i: number) => a[(i * 7919) % a.length]!;
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) out.push(pick(LAST, i).slice(0, 4)); // a prefix
    else if (kind === 1) out.push(pick(LAST, i).replace(/[aeiou]/, 'y')); // a misspelt surname
    else if (kind === 2) out.push(`${pick(ROLE, i)} ${pick(ORG, i + 3)}`); // "engineer acme"
    else out.push(`${pick(FIRST, i)} ${pick(LAST, i + 1)}`); // a full name
  }
  return out;
}

const arr = (a: string[]) => `{${a.join(',')}}`;

async function main() {
  const rows: string[] = [];
  for (const size of SIZES) {
    const db0 = await scratchDb('search');
    const store = await openStore({ databaseUrl: db0.url, dataDir: '' });
    try {
      await store.migrate();
      const db = store.db;
      const t0 = performance.now();
      // names, handles and headlines from word lists (SQL arrays indexed by the row number)
      await db.execute(sql`insert into members (handle, kind, name, headline, email)
        select 'u' || i, 'person',
               initcap((${arr(FIRST)}::text[])[1 + i % ${FIRST.length}]) || ' ' || initcap((${arr(LAST)}::text[])[1 + (i / 7) % ${LAST.length}]),
               initcap((${arr(ROLE)}::text[])[1 + (i / 3) % ${ROLE.length}]) || ' at ' || initcap((${arr(ORG)}::text[])[1 + (i / 11) % ${ORG.length}]),
               'u' || i || '@x.test'
          from generate_series(1, ${size}::int) i`);
      await db.execute(sql`analyze members`);
      const loadS = (performance.now() - t0) / 1000;
      const { graph } = await loadGraph(db);
      const deps: Deps = { store, policy: resolvePolicy({}), clock: systemClock, graph };
      const viewer = (await memberByHandle(db, 'u1'))!;
      const qs = queries(QUERIES);
      const now = new Date();
      const timeIt = async (fn: (q: string) => Promise<number>) => {
        const times: number[] = [];
        let hits = 0;
        for (const q of qs.slice(0, 10)) await fn(q); // warm
        for (const q of qs) {
          const s = performance.now();
          hits += await fn(q);
          times.push(performance.now() - s);
        }
        times.sort((a, b) => a - b);
        return { p50: pct(times, 50), p99: pct(times, 99), hits: hits / qs.length };
      };
      const words = await timeIt(async (q) => (await search(deps, db, viewer, q, null, now, { limit: 20 })).items.length);
      const prefix = await timeIt(async (q) => {
        const p = q.split(' ')[0]!.toLowerCase() + '%';
        const r = rowsOf(
          await db.execute(sql`select id from members where status = 'active' and (lower(handle) like ${p} or lower(name) like ${p}) order by id limit 20`),
        );
        return r.length;
      });
      const [sizes] = rowsOf(
        await db.execute(sql`select pg_relation_size('members_search_name_trgm') + pg_relation_size('members_search_headline_trgm') as trgm,
                                    pg_relation_size('members_handle_prefix_idx') + pg_relation_size('members_name_prefix_idx') as prefix,
                                    pg_relation_size('members') as heap`),
      );
      const mib = (v: unknown) => (Number(v) / 2 ** 20).toFixed(1);
      rows.push(
        `| ${size.toLocaleString('en')} | word search (typos, headlines, ranked) | ${words.p50.toFixed(1)} ms | ${words.p99.toFixed(1)} ms | ${words.hits.toFixed(1)} | trigram ${mib(sizes!.trgm)} MiB |`,
        `| ${size.toLocaleString('en')} | prefix search (baseline) | ${prefix.p50.toFixed(1)} ms | ${prefix.p99.toFixed(1)} ms | ${prefix.hits.toFixed(1)} | prefix ${mib(sizes!.prefix)} MiB (table ${mib(sizes!.heap)} MiB) |`,
        `| ${size.toLocaleString('en')} | ratio | ${ratio(words.p50 / prefix.p50)} | ${ratio(words.p99 / prefix.p99)} | | loaded in ${loadS.toFixed(0)} s |`,
      );
      console.log(rows.slice(-3).join('\n'));
    } finally {
      await store.close();
      await db0.drop();
    }
  }
  const body = [
    `Machine: ${machine()}. Date: ${new Date().toISOString()}. Storage: the machine's PostgreSQL, a scratch database per size.`,
    `${QUERIES} queries a size (a quarter each: a surname prefix, a misspelt surname, "role org" headline words, a full name), 20 results, one client.`,
    'The baseline is the search it replaced: a prefix of the handle or name, no typos, no headline, no ranking.',
    '',
    '| members | search | p50 | p99 | hits a query | index size |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  writeSection('Search', body);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
