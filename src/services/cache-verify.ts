/**
 * `liaison verify` (issue 17): the instance's read model (src/services/cache.ts) compared with the
 * tables. Every entry a read would be served from now is read again from the tables with the loader
 * the cache fills it with on a miss, at the same `now`, and compared field by field as the read
 * paths use it:
 *
 * - member: the member record (profile fields, status, tier, settings);
 * - handle: a handle cached as naming nobody still names nobody;
 * - session: the session's row still exists, for the same member and public id; its last use is not
 *   later here than in the table (another instance writes a later use without an event: that only
 *   makes this one read the row again sooner). Only sessions a request would be served from (used in
 *   the last minute) are checked;
 * - roster: the viewer's pair rows with everyone, an invitation that expired since its read dropped
 *   (the read path drops it at use);
 * - counters: the viewer's counter row, while it is still in use (until it stops being right);
 * - counter_rows: for the same viewers, their row in member_counters against count(*) over the
 *   history it counts (src/services/counters.ts historyColumns; both read in one statement, one
 *   snapshot): the verbs keep the rows, and this is where a verb that forgot one would show.
 *
 * An entry whose member an event made stale while it was being checked is being refreshed, not
 * wrong: it is skipped and counted as such. A difference found is looked at again after `settleMs`
 * (longer than the catch-up period, 2 s): an event already committed but still on its way here
 * (bus or catch-up) makes the entry stale by then, and it is skipped too; what still differs is
 * reported. Read-only: it fills nothing and marks nothing as used.
 */
import { sql } from '../store/sql.js';
import { READ_MODEL_KINDS, type ReadModelCount, type ReadModelDifference, type ReadModelKind, type ReadModelReport } from '../contract/index.js';
import { INTRODUCTION_DECLINE_WINDOW_MS, INTRODUCTION_PAUSE_MS, introductionExpiryCutoff, invitationExpiryCutoff, startOfMonthUTC } from '../policy/index.js';
import { selectRows } from '../store/db.js';
import { SESSION_TOUCH_MS, sessionsByTokenHash } from './accounts.js';
import { cacheOf, type HeldEntry, type RosterEntry, type RosterPair, type ViewerAsks } from './cache.js';
import type { Deps } from './context.js';
import { compactQuotaRow, loadQuotaRow, loadRoster } from './facts.js';
import { counterColumns, historyColumns, selectJoined, WINDOW_COUNTS } from './counters.js';
import { memberByHandle, membersByIds } from './members.js';

export interface VerifyOptions {
  /** differences listed at most (default 100); all are counted */
  limit?: number;
  /** wait before the second look at suspected differences (default 3000 ms) */
  settleMs?: number;
  /** the wait itself (default: `settleMs` of sleep) */
  settle?: () => Promise<void>;
}

/** The report without `instance` (the HTTP layer names the instance). */
export type VerifyReport = Omit<ReadModelReport, 'instance'>;

type Diff = ReadModelDifference;
/** An entry's outcome: skipped (changed meanwhile or out of use), or its differences ([] = the same). */
type Outcome = 'skipped' | Diff[];

const BATCH = 500;

export async function verifyReadModel(deps: Deps, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const t0 = performance.now();
  const cache = cacheOf(deps);
  const limit = opts.limit ?? 100;
  const start = deps.clock.now();
  const held = cache.held(start.getTime()).filter((h) => inUse(h, start.getTime()));
  const kinds = Object.fromEntries(READ_MODEL_KINDS.map((k) => [k, { checked: 0, differing: 0, skipped: 0 }])) as Record<ReadModelKind, ReadModelCount>;

  const suspects: HeldEntry[] = [];
  for (const [h, out] of await look(deps, held)) {
    if (out === 'skipped') kinds[h.kind].skipped++;
    else if (out.length) suspects.push(h);
    else kinds[h.kind].checked++;
  }

  const differences: Diff[] = [];
  let listedAll = true;
  // the counter rows against their history: tables against tables, no second look
  for (const h of held) {
    if (h.kind !== 'counters') continue;
    const out = await counterRowDiff(deps, h.id, start);
    kinds.counter_rows.checked++;
    if (out.length === 0) continue;
    kinds.counter_rows.differing++;
    for (const d of out) {
      if (differences.length < limit) differences.push(d);
      else listedAll = false;
    }
  }
  if (suspects.length) {
    await (opts.settle ?? (() => new Promise<void>((r) => setTimeout(r, opts.settleMs ?? 3000))))();
    for (const [h, out] of await look(deps, suspects)) {
      if (out === 'skipped') {
        kinds[h.kind].skipped++;
        continue;
      }
      kinds[h.kind].checked++;
      if (out.length === 0) continue;
      kinds[h.kind].differing++;
      for (const d of out) {
        if (differences.length < limit) differences.push(d);
        else listedAll = false;
      }
    }
  }
  await nameMembers(deps, differences);
  return {
    at: start.toISOString(),
    ms: Math.round(performance.now() - t0),
    kinds,
    differences,
    truncated: !listedAll,
  };
}

/** Whether a read would still be served from the entry at `now` (time-bound entries only). */
function inUse(h: HeldEntry, now: number): boolean {
  if (h.kind === 'session') return now - h.value.lastUsedAt < SESSION_TOUCH_MS;
  if (h.kind === 'counters') return now >= h.value.readAt && now < h.value.validUntil;
  return true;
}

/** Reads each entry again from the tables (at one `now`) and compares; in the order given. */
async function look(deps: Deps, entries: HeldEntry[]): Promise<[HeldEntry, Outcome][]> {
  const cache = cacheOf(deps);
  const db = deps.store.db;
  const now = deps.clock.now();
  const out: [HeldEntry, Outcome][] = [];
  /** After the reload: skipped if the entry changed meanwhile or went out of use, else the comparison. */
  const judge = (h: HeldEntry, compare: () => Diff[]) => out.push([h, !cache.stillHeld(h) || !inUse(h, deps.clock.now().getTime()) ? 'skipped' : compare()]);
  const of = <K extends HeldEntry['kind']>(k: K) => entries.filter((h): h is Extract<HeldEntry, { kind: K }> => h.kind === k);

  const members = of('member');
  for (let i = 0; i < members.length; i += BATCH) {
    const batch = members.slice(i, i + BATCH);
    const table = await membersByIds(
      db,
      batch.map((h) => h.id),
    );
    for (const h of batch) judge(h, () => diff('member', h.id, h.value.handle, '', h.value, table.get(h.id) ?? null));
  }

  for (const h of of('handle')) {
    const m = await memberByHandle(db, h.handle);
    judge(h, () => (m ? [{ kind: 'handle', memberId: String(m.id), handle: h.handle, field: 'names', cached: null, table: `member ${m.id}` }] : []));
  }

  const sessions = of('session');
  for (let i = 0; i < sessions.length; i += BATCH) {
    const batch = sessions.slice(i, i + BATCH);
    const table = await sessionsByTokenHash(
      db,
      batch.map((h) => h.tokenHash),
    );
    for (const h of batch) {
      const row = table.get(h.tokenHash);
      const s = h.value;
      judge(h, () => {
        const field = `session ${s.sessionId}`;
        const base = { kind: 'session' as const, memberId: String(s.memberId), handle: null };
        if (!row) return [{ ...base, field, cached: { memberId: String(s.memberId), lastUsedAt: iso(s.lastUsedAt) }, table: null }];
        const d: Diff[] = [];
        if (row.memberId !== s.memberId) d.push({ ...base, field: `${field}.memberId`, cached: String(s.memberId), table: String(row.memberId) });
        if (row.id !== s.sessionId) d.push({ ...base, field: `${field}.id`, cached: s.sessionId, table: row.id });
        if (s.lastUsedAt > row.lastUsedAt.getTime())
          d.push({ ...base, field: `${field}.lastUsedAt`, cached: iso(s.lastUsedAt), table: row.lastUsedAt.toISOString() });
        return d;
      });
    }
  }

  for (const h of of('roster')) {
    const table = await loadRoster(deps, db, h.id, now);
    judge(h, () => rosterDiff(deps, h.id, h.value, table, now));
  }

  for (const h of of('counters')) {
    const table = compactQuotaRow(await loadQuotaRow(db, h.id, now));
    judge(h, () => diff('counters', h.id, null, '', h.value.row, table));
  }
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Member `v`'s counter row against the history it counts, at `now`, in one snapshot (`cached` is the row's count). */
async function counterRowDiff(deps: Deps, v: number, now: Date): Promise<Diff[]> {
  const [r] = await selectRows<{ rows: Record<string, unknown>; hist: Record<string, unknown> }>(
    deps.store.db,
    sql`select (select row_to_json(x) from (${selectJoined(counterColumns(v, now))}) x) as rows, (select row_to_json(y) from (select ${historyColumns(v, now)}) y) as hist`,
  );
  const pick = (o: Record<string, unknown>) =>
    Object.fromEntries(WINDOW_COUNTS.map((k) => [k, o[k] === null ? null : typeof o[k] === 'string' ? new Date(o[k]).toISOString() : o[k]]));
  return diff('counter_rows', v, null, '', pick(r.rows), pick(r.hist));
}

/** JSON-comparable form: dates as ISO strings, maps as objects, keys sorted, undefined fields left out. */
function plain(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Map) return plain(Object.fromEntries(v));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) o[k] = plain(x);
    }
    return o;
  }
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields where `cached` and `table` differ: objects with the same keys field by field (`a.b`),
 * otherwise the value at `path` whole (an object that gained or lost a key, null for nothing).
 */
function diff(kind: ReadModelKind, id: number | null, handle: string | null, path: string, cached: unknown, table: unknown): Diff[] {
  const out: Diff[] = [];
  const walk = (p: string, a: unknown, b: unknown) => {
    if (same(a, b)) return;
    if (isObject(a) && isObject(b) && same(Object.keys(a), Object.keys(b))) {
      for (const k of Object.keys(a)) walk(p ? `${p}.${k}` : k, a[k], b[k]);
      return;
    }
    out.push({ kind, memberId: id === null ? null : String(id), handle, field: p || kind, cached: a, table: b });
  };
  walk(path, plain(cached), plain(table));
  return out;
}

/** A roster as the read path uses it at `now`: an invitation past its expiry is not there (relationshipFromRows). */
function rosterAt(deps: Deps, r: RosterEntry, now: Date): 'big' | Map<number, RosterPair> {
  if (r === 'big') return r;
  const cutoff = invitationExpiryCutoff(now, deps.policy);
  const out = new Map<number, RosterPair>();
  for (const [m, p] of r) {
    let q: RosterPair = p;
    if (p.invitation && !(new Date(String(p.invitation.createdAt)) > cutoff)) {
      const { invitation: _expired, ...rest } = p;
      q = rest;
    }
    // the viewer's asks as the facts read them at `now` (an ask expires, a month ends while cached)
    if (q.asks) {
      const asks = asksAt(deps, q.asks, now);
      const { asks: _before, ...rest } = q;
      q = asks.open.size + asks.declines.size + asks.made.length > 0 ? { ...rest, asks } : rest;
    }
    if (Object.values(q).some((x) => x !== undefined)) out.set(m, q);
  }
  return out;
}

/** A viewer's asks with what `now` has put out of them: expired open asks, declines past 120 days, asks of an earlier month. */
function asksAt(deps: Deps, a: ViewerAsks, now: Date): ViewerAsks {
  const expiry = introductionExpiryCutoff(now, deps.policy).getTime();
  const declinedSince = now.getTime() - INTRODUCTION_DECLINE_WINDOW_MS - INTRODUCTION_PAUSE_MS;
  const month = startOfMonthUTC(now).getTime();
  return {
    open: new Map([...a.open].filter(([, at]) => at > expiry).sort(([x], [y]) => x - y)),
    declines: new Map(
      [...a.declines]
        .map(([via, ts]): [number, number[]] => [via, ts.filter((t) => t >= declinedSince).sort((x, y) => x - y)])
        .filter(([, ts]) => ts.length > 0)
        .sort(([x], [y]) => x - y),
    ),
    made: a.made.filter((t) => t >= month).sort((x, y) => x - y),
  };
}

function rosterDiff(deps: Deps, v: number, cachedRoster: RosterEntry, tableRoster: RosterEntry, now: Date): Diff[] {
  const a = rosterAt(deps, cachedRoster, now);
  const b = rosterAt(deps, tableRoster, now);
  if (a === 'big' || b === 'big') {
    if (a === b) return [];
    const describe = (r: 'big' | Map<number, RosterPair>) => (r === 'big' ? 'read pair by pair (over 2,000 rows)' : `${r.size} pairs`);
    return [{ kind: 'roster', memberId: String(v), handle: null, field: 'roster', cached: describe(a), table: describe(b) }];
  }
  const out: Diff[] = [];
  for (const m of [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y))
    out.push(...diff('roster', v, null, `pairs[${m}]`, a.get(m) ?? null, b.get(m) ?? null));
  return out;
}

/** Fills in the handle of the member each difference is about (from the tables). */
async function nameMembers(deps: Deps, ds: Diff[]): Promise<void> {
  const ids = [...new Set(ds.filter((d) => d.handle === null && d.memberId !== null).map((d) => Number(d.memberId)))];
  if (ids.length === 0) return;
  const byId = await membersByIds(deps.store.db, ids);
  for (const d of ds) if (d.handle === null && d.memberId !== null) d.handle = byId.get(Number(d.memberId))?.handle ?? null;
}
