/**
 * `liaison seed --members N --avg-degree D --seed S [--prefix P]`: writes a realistic professional
 * network (power-law degrees with clustering, tiers, settings, pages, groups) through COPY, in one
 * transaction (src/store/load.ts: into an empty database the indexes are built after the rows).
 * Deterministic for a given seed. Every seeded person signs in with the password `liaison-seed-pw`
 * (hashed once: every seeded credential holds the same hash).
 */
import { SingleBar, Presets } from 'cli-progress';
import { sql } from 'drizzle-orm';
import { generateEdges, mulberry32 } from '../graph/generate.js';
import { hashPassword } from '../services/accounts.js';
import { copyField } from '../store/copy.js';
import type { Store } from '../store/db.js';
import { beginLoad, copyLines } from '../store/load.js';

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
  /**
   * Into empty tables, drop the secondary indexes and keys and build them after the rows (default
   * true); false copies with every index and trigger live (tests compare both).
   */
  rebuildIndexes?: boolean;
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

function bar(enabled: boolean, label: string, total: number, unit = 'rows') {
  if (!enabled) return { update: (_n: number) => {}, stop: () => {} };
  const b = new SingleBar(
    { format: `${label.padEnd(12)} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration}s`, stream: process.stderr },
    Presets.shades_classic,
  );
  b.start(total, 0);
  return { update: (n: number) => b.update(n), stop: () => b.stop() };
}

const TIERS = ['free', 'career', 'business', 'sales_navigator'] as const;
const FROM = ['anyone', 'connections', 'shared_connections'] as const;

export async function seed(store: Store, o: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const rnd = mulberry32(o.seed ^ 0x5eed);
  const nowMs = (o.now ?? new Date()).getTime();
  const n = o.members;
  const passwordHash = await hashPassword(SEED_PASSWORD);

  // Every person's draws, in the order the generator has always made them (the same seed, the same network).
  const first = new Uint8Array(n);
  const last = new Uint8Array(n);
  const role = new Uint8Array(n);
  const org = new Uint8Array(n);
  const tier = new Uint8Array(n);
  const untilDays = new Uint16Array(n);
  const requestsOff = new Uint8Array(n);
  const openProfile = new Uint8Array(n);
  const from = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    first[i] = Math.floor(rnd() * FIRST.length);
    last[i] = Math.floor(rnd() * LAST.length);
    role[i] = Math.floor(rnd() * ROLES.length);
    org[i] = Math.floor(rnd() * ORGS.length);
    const r = rnd();
    tier[i] = r < 0.85 ? 0 : r < 0.93 ? 1 : r < 0.98 ? 2 : 3;
    if (tier[i] !== 0) untilDays[i] = 30 + Math.floor(rnd() * 335);
    requestsOff[i] = rnd() < 0.05 ? 1 : 0;
    openProfile[i] = tier[i] !== 0 && rnd() < 0.3 ? 1 : 0;
    from[i] = rnd() < 0.05 ? 1 : rnd() < 0.05 ? 2 : 0;
  }
  // Pages (1 per 200 members, each run by a random member) and groups (1 per 100, ~1.5 joins a member).
  const pages = Math.max(1, Math.floor(n / 200));
  const pageAdmin = Array.from({ length: pages }, () => Math.floor(rnd() * n));
  const groups = Math.max(1, Math.floor(n / 100));
  const creators = Array.from({ length: groups }, () => Math.floor(rnd() * n));
  const joinGroup: number[] = [];
  const joinMember: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = rnd() < 0.5 ? 0 : rnd() < 0.6 ? 1 : rnd() < 0.7 ? 2 : 3;
    const seen = new Set<number>();
    for (let j = 0; j < k; j++) {
      const g = Math.floor(rnd() * groups);
      if (seen.has(g)) continue;
      seen.add(g);
      joinGroup.push(g);
      joinMember.push(i);
    }
  }

  return store
    .bulk(async (s) => {
      const load = await beginLoad(
        s,
        [
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
        ],
        {
          rebuild: o.rebuildIndexes,
        },
      );
      const ids = await load.memberIds(n + pages); // persons, then pages
      const handle = (i: number) => (i < n ? `${o.prefix}${i}` : `${o.prefix}page${i - n}`);
      const copy = (table: Parameters<typeof load.freeze>[0], columns: string[], rows: number, line: (i: number) => string, done?: (k: number) => void) =>
        s.copyIn(table, columns, copyLines(rows, line, done), { freeze: load.freeze(table) });

      const m = n + pages;
      const pm = bar(!!o.progress, 'members', 6 * m);
      let base = 0;
      const progress = (k: number) => pm.update(base + k);
      const next = (rows: number) => (base += rows);
      await copy(
        'members',
        ['id', 'handle', 'kind', 'name', 'headline', 'email'],
        m,
        (i) =>
          i < n
            ? `${ids[i]}\t${handle(i)}\tperson\t${copyField(`${FIRST[first[i]]} ${LAST[last[i]]}`)}\t${copyField(`${ROLES[role[i]]} at ${ORGS[org[i]]}`)}\t${handle(i)}@seed.liaison.test`
            : `${ids[i]}\t${handle(i)}\tpage\t${copyField(`${ORGS[(i - n) % ORGS.length]} ${i - n}`)}\tCompany page\t\\N`,
        progress,
      );
      next(m);
      await copy('member_handles', ['handle', 'member_id'], m, (i) => `${handle(i).toLowerCase()}\t${ids[i]}`, progress);
      next(m);
      await copy('member_emails', ['email', 'member_id'], n, (i) => `${handle(i).toLowerCase()}@seed.liaison.test\t${ids[i]}`, progress);
      next(m);
      await copy(
        'settings',
        ['member_id', 'message_requests', 'open_profile', 'messages_from'],
        m,
        (i) => (i < n ? `${ids[i]}\t${requestsOff[i] ? 'off' : 'on'}\t${openProfile[i] ? 't' : 'f'}\t${FROM[from[i]]}` : `${ids[i]}\ton\tf\tanyone`),
        progress,
      );
      next(m);
      await copy(
        'subscriptions',
        ['member_id', 'tier', 'until'],
        m,
        (i) => (i < n && tier[i] !== 0 ? `${ids[i]}\t${TIERS[tier[i]]}\t${new Date(nowMs + untilDays[i] * 86_400_000).toISOString()}` : `${ids[i]}\tfree\t\\N`),
        progress,
      );
      next(m);
      const hash = copyField(passwordHash);
      await copy('credentials', ['member_id', 'password_hash'], n, (i) => `${ids[i]}\t${hash}`, progress);
      pm.update(6 * m);
      pm.stop();
      // The server writes the search words and rebuilds the member tables' keys while the graph is drawn.
      const membersDone = load.finishMembers();
      const edges = generateEdges(n, o.avgDegree, o.seed);
      const E = edges.length / 2;
      await membersDone;

      // Connections (a < b: ids ascend with the generator's indexes, whose pairs come sorted) and the
      // follows both ways that connecting implies, sorted by (follower, followee) so their key builds fast.
      const pc = bar(!!o.progress, 'connections', 3 * E);
      await copy(
        'connections',
        ['a', 'b'],
        E,
        (k) => `${ids[edges[2 * k]]}\t${ids[edges[2 * k + 1]]}`,
        (k) => pc.update(k),
      );
      const start = new Int32Array(n + 1);
      for (let k = 0; k < 2 * E; k++) start[edges[k] + 1]++;
      for (let i = 0; i < n; i++) start[i + 1] += start[i];
      const adj = new Int32Array(2 * E);
      const fill = start.slice(0, n);
      // in the pairs' order each list gets its smaller neighbours ascending, then its larger ones
      for (let k = 0; k < E; k++) {
        const u = edges[2 * k];
        const v = edges[2 * k + 1];
        adj[fill[u]++] = v;
        adj[fill[v]++] = u;
      }
      let x = 0;
      await copy(
        'follows',
        ['follower', 'followee'],
        2 * E,
        (k) => {
          while (start[x + 1] <= k) x++;
          return `${ids[x]}\t${ids[adj[k]]}`;
        },
        (k) => pc.update(E + k),
      );
      pc.stop();

      await copy('page_admins', ['page_id', 'member_id'], pages, (p) => `${ids[n + p]}\t${ids[pageAdmin[p]]}`);
      const groupIds = (
        await s.query<{ id: unknown }>(
          `insert into groups (name, created_by) select 'Group ' || g, c from unnest($1::int[], $2::bigint[]) with ordinality as t(g, c, o) order by o returning id`,
          [`{${creators.map((_, i) => i).join(',')}}`, `{${creators.map((c) => ids[c]).join(',')}}`],
        )
      )
        .map((r) => Number(r.id))
        .sort((x, y) => x - y);
      await copy('group_members', ['group_id', 'member_id'], joinGroup.length, (k) => `${groupIds[joinGroup[k]]}\t${ids[joinMember[k]]}`);

      let pi: ReturnType<typeof bar> | undefined;
      await load.finish((done, total) => {
        pi ??= bar(!!o.progress, 'indexes', total, 'statements');
        pi.update(done);
      });
      pi?.stop();
      return { members: n, connections: E, pages, groups, firstId: ids[0] ?? 0, lastId: ids[n - 1] ?? 0 };
    })
    .then(async (r) => {
      await store.db.execute(sql`analyze`);
      return { ...r, ms: Math.round(performance.now() - started) };
    });
}
