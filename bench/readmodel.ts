/**
 * bench:readmodel — what the read model (src/services/cache.ts) costs in memory per member: a
 * seeded network on embedded PGlite, every member loaded through the same loader the read paths use
 * (membersByIds), then held (1) in a plain array: the records' own cost, the baseline; (2) in the
 * read model (member by id and by handle); plus each kind of entry the read model keeps per active
 * member (a session, a roster of pair rows, a counter row), each measured as the heap's growth
 * after a full collection, divided by the entries added.
 * Env: BENCH_READMODEL_MEMBERS (100000), BENCH_READMODEL_VIEWERS (2000).
 * Run with --expose-gc (npm run bench:readmodel does).
 */
import { sql } from 'drizzle-orm';
import { seed } from '../src/cli/seed.js';
import { resolvePolicy } from '../src/policy/policy.js';
import { MemberCache } from '../src/services/cache.js';
import type { Deps } from '../src/services/context.js';
import { loadRoster, quotasOfViewer } from '../src/services/facts.js';
import { membersByIds, type MemberRecord } from '../src/services/members.js';
import { openStore, selectRows } from '../src/store/db.js';
import { machine, writeSection } from './lib.js';

const N = Number(process.env.BENCH_READMODEL_MEMBERS ?? 100_000);
const VIEWERS = Number(process.env.BENCH_READMODEL_VIEWERS ?? 2000);
const log = (...a: unknown[]) => console.log(`[bench:readmodel ${new Date().toISOString().slice(11, 19)}]`, ...a);

const gc = (globalThis as { gc?: () => void }).gc;
function heap(): number {
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

export async function runReadModel(): Promise<string> {
  const store = await openStore({ dataDir: 'memory://readmodel' });
  await store.migrate();
  log(`seeding ${N} members on PGlite…`);
  const seeded = await seed(store, { members: N, avgDegree: 10, seed: 7, prefix: 'r' });
  log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s`);
  const ids = (await selectRows<{ id: unknown }>(store.db, sql`select id from members order by id`)).map((r) => Number(r.id));
  const records: MemberRecord[] = [];
  for (let i = 0; i < ids.length; i += 5000) records.push(...(await membersByIds(store.db, ids.slice(i, i + 5000))).values());
  const deps = { store, policy: resolvePolicy({}), clock: { now: () => new Date() } } as unknown as Deps;
  const now = new Date();

  // The loaded records' own cost (a fresh load, held in an array): what any cache of them costs at least.
  let h0 = heap();
  const held: MemberRecord[] = [];
  for (let i = 0; i < ids.length; i += 5000) held.push(...(await membersByIds(store.db, ids.slice(i, i + 5000))).values());
  const recordBytes = (heap() - h0) / held.length;
  held.length = 0;

  const cache = new MemberCache({ maxEntries: ids.length * 2 });
  h0 = heap();
  for (const m of records) cache.put(m, cache.stamp());
  const cachedMemberBytes = (heap() - h0) / records.length; // entries and maps only: the records exist already

  // Fresh records straight into the cache: what a member costs the read model in all.
  const cache2 = new MemberCache({ maxEntries: ids.length * 2 });
  records.length = 0;
  h0 = heap();
  for (let i = 0; i < ids.length; i += 5000) for (const m of (await membersByIds(store.db, ids.slice(i, i + 5000))).values()) cache2.put(m, cache2.stamp());
  const memberAllBytes = (heap() - h0) / ids.length;

  const viewers = ids.slice(0, VIEWERS);
  h0 = heap();
  for (const [i, v] of viewers.entries())
    cache2.putSession(`token-hash-${i.toString(16).padStart(56, '0')}`, { memberId: v, sessionId: `s${i}`, lastUsedAt: Date.now() }, cache2.sessionStamp());
  const sessionBytes = (heap() - h0) / viewers.length;

  h0 = heap();
  for (const v of viewers) cache2.putRoster(v, await loadRoster(deps, store.db, v, now), cache2.stamp());
  const rosterBytes = (heap() - h0) / viewers.length;

  h0 = heap();
  for (const v of viewers) {
    const m = cache2.member(v)!;
    await quotasOfViewer(deps, store.db, m, now, cache2);
  }
  const quotaBytes = (heap() - h0) / viewers.length;
  await store.close();

  const perActive = sessionBytes + rosterBytes + quotaBytes;
  const kb = (b: number) => `${Math.round(b)} B`;
  const body = [
    `${machine()}. \`npm run bench:readmodel\`: ${N.toLocaleString('en-US')} seeded members on PGlite (the seed's names, headlines and default settings), loaded by the read paths' loader (\`membersByIds\`); heap growth after full collections, divided by the entries added.`,
    '',
    '| what | bytes each | note |',
    '|---|---|---|',
    `| a member record as loaded (held in an array: the baseline) | ${kb(recordBytes)} | any cache of members costs this at least |`,
    `| the read model's entries for a member already loaded (by id and by handle) | ${kb(cachedMemberBytes)} | maps and entries, ${((cachedMemberBytes / recordBytes) * 100).toFixed(0)}% of the record |`,
    `| a member in the read model, loaded and cached | ${kb(memberAllBytes)} | |`,
    `| a session of an active member | ${kb(sessionBytes)} | |`,
    `| a roster of an active viewer (their pair rows with everyone; seed: no invitations or conversations) | ${kb(rosterBytes)} | |`,
    `| a counter row of an active viewer | ${kb(quotaBytes)} | |`,
    '',
    `At 1,000,000 members with all of them in the read model (\`LIAISON_CACHE_MEMBERS=1000000\`): about ${Math.round((memberAllBytes * 1e6) / 2 ** 20)} MiB for members, plus ${kb(perActive)} for each active member (session, roster, counters). The default size (200,000 entries of each kind) holds the most recently used fifth: about ${Math.round((memberAllBytes * 2e5) / 2 ** 20)} MiB, ${kb((memberAllBytes * 2e5) / 1e6)} per member of a 1M network.`,
  ].join('\n');
  log(body);
  return body;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const body = await runReadModel();
  writeSection('Read model memory', body);
}
