/**
 * `liaison seed --members N --avg-degree D --seed S [--prefix P]`: writes a realistic professional
 * network (power-law degrees with clustering, tiers, settings, pages, groups) in large batches.
 * Deterministic for a given seed. Every seeded person signs in with the password `liaison-seed-pw`.
 */
import { SingleBar, Presets } from 'cli-progress';
import { sql } from 'drizzle-orm';
import { generateEdges, mulberry32 } from '../graph/generate.js';
import { hashPassword } from '../services/accounts.js';
import type { Store } from '../store/db.js';
import { insertConnections, insertMemberRows, insertMembers, intArray, run, type NewMemberRow } from '../store/bulk.js';

export const SEED_PASSWORD = 'liaison-seed-pw';

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Margaret',
  'Ken',
  'Barbara',
  'Dennis',
  'Frances',
  'Edsger',
  'Radia',
  'Tim',
  'Katherine',
  'John',
  'Hedy',
  'Guido',
  'Anita',
  'Bjarne',
  'Sophie',
  'Donald',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Allen',
  'Dijkstra',
  'Perlman',
  'Berners-Lee',
  'Johnson',
  'McCarthy',
  'Lamarr',
  'van Rossum',
  'Borg',
  'Stroustrup',
  'Wilson',
  'Knuth',
];
const ROLES = ['Software Engineer', 'Product Manager', 'Recruiter', 'Data Scientist', 'Designer', 'Founder', 'Sales Director', 'CTO', 'Student', 'Consultant'];
const ORGS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries', 'Wayne Enterprises', 'Tyrell', 'Cyberdyne', 'Soylent'];

export interface SeedOptions {
  members: number;
  avgDegree: number;
  seed: number;
  prefix: string;
  /** progress bars on stderr */
  progress?: boolean;
  now?: Date;
}

export interface SeedResult {
  members: number;
  connections: number;
  pages: number;
  groups: number;
  firstId: number;
  lastId: number;
  ms: number;
}

function bar(enabled: boolean, label: string, total: number) {
  if (!enabled) return { update: (_n: number) => {}, stop: () => {} };
  const b = new SingleBar(
    { format: `${label.padEnd(12)} [{bar}] {percentage}% | {value}/{total} | {duration}s`, stream: process.stderr },
    Presets.shades_classic,
  );
  b.start(total, 0);
  return { update: (n: number) => b.update(n), stop: () => b.stop() };
}

export async function seed(store: Store, o: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const rnd = mulberry32(o.seed ^ 0x5eed);
  const now = o.now ?? new Date();
  const db = store.db;
  const n = o.members;
  const BATCH = 5000;
  const passwordHash = await hashPassword(SEED_PASSWORD);
  const ids = new Int32Array(n);

  const pm = bar(!!o.progress, 'members', n);
  for (let start = 0; start < n; start += BATCH) {
    const end = Math.min(n, start + BATCH);
    const rows: NewMemberRow[] = [];
    const tiers: string[] = [];
    const until: (Date | null)[] = [];
    const requests: string[] = [];
    const openProfile: boolean[] = [];
    const from: string[] = [];
    for (let i = start; i < end; i++) {
      const handle = `${o.prefix}${i}`;
      rows.push({
        handle,
        kind: 'person',
        name: `${FIRST[Math.floor(rnd() * FIRST.length)]} ${LAST[Math.floor(rnd() * LAST.length)]}`,
        headline: `${ROLES[Math.floor(rnd() * ROLES.length)]} at ${ORGS[Math.floor(rnd() * ORGS.length)]}`,
        email: `${handle}@seed.liaison.test`,
      });
      const r = rnd();
      const tier = r < 0.85 ? 'free' : r < 0.93 ? 'career' : r < 0.98 ? 'business' : 'sales_navigator';
      tiers.push(tier);
      until.push(tier === 'free' ? null : new Date(now.getTime() + (30 + Math.floor(rnd() * 335)) * 86_400_000));
      requests.push(rnd() < 0.05 ? 'off' : 'on');
      openProfile.push(tier !== 'free' && rnd() < 0.3);
      from.push(rnd() < 0.05 ? 'connections' : rnd() < 0.05 ? 'shared_connections' : 'anyone');
    }
    const got = await db.transaction(async (tx) => {
      const batchIds = await insertMembers(tx, rows);
      await insertMemberRows(tx, batchIds, { passwordHash, tiers, until, messageRequests: requests, openProfile, messagesFrom: from });
      return batchIds;
    });
    ids.set(got, start);
    pm.update(end);
  }
  pm.stop();

  const edges = generateEdges(n, o.avgDegree, o.seed);
  const E = edges.length / 2;
  const pc = bar(!!o.progress, 'connections', E);
  const EB = 20000;
  for (let e = 0; e < E; e += EB) {
    const end = Math.min(E, e + EB);
    const pairs = new Int32Array(2 * (end - e));
    for (let k = e; k < end; k++) {
      pairs[2 * (k - e)] = ids[edges[2 * k]]!;
      pairs[2 * (k - e) + 1] = ids[edges[2 * k + 1]]!;
    }
    await insertConnections(db, pairs);
    pc.update(end);
  }
  pc.stop();

  // Pages (1 per 200 members, each run by a random member) and groups (1 per 100, ~1.5 joins a member).
  const pages = Math.max(1, Math.floor(n / 200));
  const pageRows: NewMemberRow[] = [];
  for (let p = 0; p < pages; p++)
    pageRows.push({ handle: `${o.prefix}page${p}`, kind: 'page', name: `${ORGS[p % ORGS.length]} ${p}`, headline: 'Company page', email: null });
  const pageIds = await insertMembers(db, pageRows);
  await insertMemberRows(db, pageIds, {});
  await run(
    db,
    sql`insert into page_admins (page_id, member_id) select * from unnest(${intArray(pageIds)}::int[], ${intArray(pageIds.map(() => ids[Math.floor(rnd() * n)]))}::int[])`,
  );
  const groups = Math.max(1, Math.floor(n / 100));
  const creators = Array.from({ length: groups }, () => ids[Math.floor(rnd() * n)]);
  const groupRows = await run(
    db,
    sql`insert into groups (name, created_by) select 'Group ' || g, c from unnest(${intArray(creators.map((_, i) => i))}::int[], ${intArray(creators)}::int[]) as t(g, c) returning id`,
  );
  const groupIds = groupRows.map((r) => Number(r.id));
  const gm: number[] = [];
  const mm: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = rnd() < 0.5 ? 0 : rnd() < 0.6 ? 1 : rnd() < 0.7 ? 2 : 3;
    const seen = new Set<number>();
    for (let j = 0; j < k; j++) {
      const g = groupIds[Math.floor(rnd() * groupIds.length)];
      if (seen.has(g)) continue;
      seen.add(g);
      gm.push(g);
      mm.push(ids[i]);
    }
  }
  for (let s = 0; s < gm.length; s += 50000)
    await run(
      db,
      sql`insert into group_members (group_id, member_id) select * from unnest(${intArray(gm.slice(s, s + 50000))}::bigint[], ${intArray(mm.slice(s, s + 50000))}::int[]) on conflict do nothing`,
    );
  await run(db, sql`analyze`);
  return { members: n, connections: E, pages, groups, firstId: ids[0] ?? 0, lastId: ids[n - 1] ?? 0, ms: Math.round(performance.now() - started) };
}
