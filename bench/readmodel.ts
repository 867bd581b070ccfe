/**
 * bench:readmodel — what the read model (src/services/cache.ts) costs in memory per member: a
 * seeded network on embedded PGlite, every member loaded through the loader the read paths use
 * (membersByIds) into a read model of its own, and for active viewers a session, a roster of pair
 * rows and a counter row, each kind in a read model of its own (a session keyed as the sign-in keys
 * it: the hash of a real token, with a real public id); then the store is closed and each
 * kind is measured by the heap it gives back when dropped (after full collections), divided by its
 * entries.
 * Env: BENCH_READMODEL_MEMBERS (100000), BENCH_READMODEL_VIEWERS (2000), BENCH_READMODEL_DEGREE (10: the
 * seed's connections a member on average; no figure here depends on it, the seed's time does).
 * Run with --expose-gc (npm run bench:readmodel does).
 */
import { sql } from 'drizzle-orm';
import { seed } from '../src/cli/seed.js';
import { resolvePolicy } from '../src/policy/policy.js';
import { hashToken, newSessionId, newToken } from '../src/services/accounts.js';
import { MemberCache, sessionKeyOfHash } from '../src/services/cache.js';
import type { Deps } from '../src/services/context.js';
import { loadRoster, quotasOfViewer } from '../src/services/facts.js';
import { membersByIds } from '../src/services/members.js';
import { openStore, selectRows } from '../src/store/db.js';
import { machine, writeSection } from './lib.js';

const N = Number(process.env.BENCH_READMODEL_MEMBERS ?? 100_000);
const VIEWERS = Number(process.env.BENCH_READMODEL_VIEWERS ?? 2000);
const DEGREE = Number(process.env.BENCH_READMODEL_DEGREE ?? 10);
/** The read models' time to live here: loading a million members takes longer than the default minute. */
const DAY = 86_400_000;
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
  const seeded = await seed(store, { members: N, avgDegree: DEGREE, seed: 7, prefix: 'r' });
  log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s`);
  const ids = (await selectRows<{ id: unknown }>(store.db, sql`select id from members order by id`)).map((r) => Number(r.id));
  const deps = { store, policy: resolvePolicy({}), clock: { now: () => new Date() } } as unknown as Deps;
  const now = new Date();
  const viewers = ids.slice(0, VIEWERS);

  // Everything is loaded first, straight into one read model per kind; then the store is closed,
  // and each read model is measured by what the heap gives back when it is dropped (the other
  // kinds, the store and the load's garbage are out of the figure).
  const models: Record<'members' | 'sessions' | 'rosters' | 'counters', MemberCache | null> = {
    members: new MemberCache({ maxEntries: ids.length * 2, ttlMs: DAY }),
    sessions: new MemberCache({ maxEntries: ids.length * 2, ttlMs: DAY }),
    rosters: new MemberCache({ maxEntries: ids.length * 20, ttlMs: DAY }),
    counters: new MemberCache({ maxEntries: ids.length * 2, ttlMs: DAY }),
  };
  const m = models.members!;
  for (let i = 0; i < ids.length; i += 5000) for (const rec of (await membersByIds(store.db, ids.slice(i, i + 5000))).values()) m.put(rec, m.stamp());
  // a session for every member (cheap to make; the figure is steadier over 100,000 entries than 2,000)
  for (const v of ids)
    models.sessions!.putSession(
      sessionKeyOfHash(hashToken(newToken())),
      { memberId: v, sessionId: newSessionId(), lastUsedAt: Date.now() },
      models.sessions!.sessionStamp(),
    );
  for (const v of viewers) models.rosters!.putRoster(v, await loadRoster(deps, store.db, v, now), models.rosters!.stamp());
  for (const v of viewers) await quotasOfViewer(deps, store.db, m.member(v)!, now, models.counters!);
  await store.close();

  const dropped = (kind: keyof typeof models, count: number) => {
    const before = heap();
    models[kind] = null;
    return (before - heap()) / count;
  };
  const sessionBytes = dropped('sessions', ids.length);
  const rosterBytes = dropped('rosters', viewers.length);
  const quotaBytes = dropped('counters', viewers.length);
  const memberAllBytes = dropped('members', ids.length);
  const perActive = sessionBytes + rosterBytes + quotaBytes;
  const kb = (b: number) => `${Math.round(b)} B`;
  const body = [
    `${machine()}. \`npm run bench:readmodel\`: ${N.toLocaleString('en-US')} seeded members on PGlite (the seed's names, headlines and default settings), loaded by the read paths' loader (\`membersByIds\`); the heap given back when each kind is dropped (after full collections, the store closed), divided by its entries.`,
    '',
    '| what | bytes each | note |',
    '|---|---|---|',
    `| a member (its record as the read paths load it, by id and by handle) | ${kb(memberAllBytes)} | settings shared by the members who have the same |`,
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
