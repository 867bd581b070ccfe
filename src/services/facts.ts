/**
 * Gathers the plain snapshot the policy decides on (src/policy/facts.ts) from the store and the
 * graph index, for one viewer and one member, at one `now`. In a write's transaction: one statement
 * for the pair's relationship and the viewer's counters together, plus the pair's live conversation.
 * On read paths (`cached`): from the instance's read model (src/services/cache.ts) where it can, the
 * viewer's roster of pair rows and counter row loaded on a miss.
 */
import { type SQL } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { relationshipFacts, type AskState, type Facts, type MemberFacts, type QuotaFacts, type RelationshipFacts } from '../policy/facts.js';
import {
  IDK_REPORT_WINDOW_MS,
  INTRODUCTION_DECLINE_WINDOW_MS,
  INTRODUCTION_PAUSE_MS,
  INVITATION_WINDOW_MS,
  askStatePasses,
  introductionExpiryCutoff,
  invitationExpiryCutoff,
  mayIntroduceThrough,
  MESSAGE_RATE_WINDOW_MS,
  startOfMonthUTC,
  startOfNextMonthUTC,
} from '../policy/index.js';
import { COUNTER_KEYS, counterColumns, fromJoins, selectJoined, type JoinedColumns } from './counters.js';
import { TIERS } from '../policy/policy.js';
import type { Channel } from '../policy/types.js';
import { selectRows, type Runner, rowDate } from '../store/db.js';
import type { Deps } from './context.js';
import { balancesFromRow, LEDGER_KEYS, ledgerColumns } from './inmail.js';
import { cacheOf, type MemberCache, type PairRows, type Roster, type RosterEntry, type RosterPair, type ViewerAsks } from './cache.js';
import { apiStatus, cachedMembersByIds, membersByIds, type MemberRecord } from './members.js';
import { word } from './records.js';

export function toMemberFacts(deps: Deps, m: MemberRecord, connectionCount?: number): MemberFacts {
  return {
    id: String(m.id),
    handle: m.handle,
    kind: m.kind,
    tier: m.tier,
    tierUntil: m.tierUntil,
    status: apiStatus(m),
    settings: m.settings,
    connectionCount: connectionCount ?? deps.graph.connectionCount(m.id),
    bulkFlagged: m.bulkFlagged,
  };
}

/** The open (pending or ignored) invitation between two members, if any, not expired. */
export interface OpenInvitation {
  id: number;
  fromId: number;
  toId: number;
  status: 'pending' | 'ignored';
  createdAt: Date;
}

/**
 * Each subquery filters by its table's distribution column (docs/SCALING.md): on Citus each is
 * routed to the shard of one member of the pair (the open invitation: to the two senders' shards;
 * the connection and the live conversation's lookup row: to the shard of the smaller id).
 */
export function relationshipColumns(deps: Deps, v: number, m: number, now: Date) {
  const expiry = invitationExpiryCutoff(now, deps.policy);
  const lo = Math.min(v, m);
  const hi = Math.max(v, m);
  return sql`
      (select json_build_object('id', i.id, 'fromId', i.from_id, 'toId', i.to_id, 'status', i.status, 'createdAt', i.created_at)
         from invitations i
        where ((i.from_id = ${v} and i.to_id = ${m}) or (i.from_id = ${m} and i.to_id = ${v}))
          and i.status in ('pending','ignored') and i.created_at > ${expiry}
        limit 1) as inv,
      (select max(i.responded_at) from invitations i where i.from_id = ${v} and i.to_id = ${m} and i.status = 'withdrawn') as last_withdrawn,
      (select b.unblocked_at from blocks b where b.blocker = ${v} and b.blocked = ${m}) as last_unblocked,
      exists(select 1 from blocks b where b.blocker = ${v} and b.blocked = ${m} and b.unblocked_at is null) as blocked_by_viewer,
      exists(select 1 from blocks b where b.blocker = ${m} and b.blocked = ${v} and b.unblocked_at is null) as blocked_by_member,
      exists(select 1 from connections c where c.a = ${lo} and c.b = ${hi}) as connected,
      (select p.conversation_id from conversation_live_pairs p where p.lo = ${lo} and p.hi = ${hi}) as conv_id`;
}

/** The pair's live conversation as the facts need it (by id: one shard on Citus), or null. */
async function liveConversationFacts(db: Runner, convId: unknown, v: number): Promise<Record<string, unknown> | null> {
  if (convId === null || convId === undefined) return null;
  const id = Number(convId);
  // two statements: the conversation (by id) and the viewer's side (by member) are on different shards on Citus
  const res = await selectRows<Record<string, unknown>>(
    db,
    sql`
    select c.id, c.starter_id, c.state, c.channel, c.follow_ups, c.accepted
      from conversations c where c.id = ${id} and c.ended_at is null`,
  );
  const r = res[0];
  if (!r) return null;
  const side = await selectRows<Record<string, unknown>>(
    db,
    sql`select cm.ignored from conversation_members cm where cm.member_id = ${v} and cm.conversation_id = ${id}`,
  );
  return {
    id: r.id,
    starterId: r.starter_id,
    state: r.state,
    channel: r.channel,
    followUps: r.follow_ups,
    accepted: r.accepted,
    ignored: side[0]?.ignored ?? null,
  };
}

/** The rows behind a pair's relationship (relationshipColumns() and its live conversation). */
async function pairRows(db: Runner, r: Record<string, unknown>, v: number): Promise<PairRows> {
  return { row: r, conversation: await liveConversationFacts(db, r.conv_id, v) };
}

/** At most this many rows of each kind a viewer's roster holds; past it the viewer's pairs are read one by one. */
export const ROSTER_MAX = 2000;

const jsonList = (v: unknown): Record<string, unknown>[] => (typeof v === 'string' ? JSON.parse(v) : (v ?? [])) as Record<string, unknown>[];

/**
 * Everything of viewer v's pairs the relationship facts read, with every member at once (cache.ts
 * Roster): two statements, each subquery by its table's distribution column or a member index.
 */
export async function loadRoster(deps: Deps, db: Runner, v: number, now: Date): Promise<RosterEntry> {
  const expiry = invitationExpiryCutoff(now, deps.policy);
  const lim = ROSTER_MAX + 1;
  const list = (select: SQL) => sql`(select coalesce(json_agg(x), '[]'::json) from (${select} limit ${lim}) x)`;
  const [r] = await selectRows<Record<string, unknown>>(
    db,
    sql`select
      ${list(sql`select i.id, i.from_id as "fromId", i.to_id as "toId", i.status, i.created_at as "createdAt" from invitations i
                  where i.from_id = ${v} and i.status in ('pending','ignored') and i.created_at > ${expiry}`)} as inv_out,
      ${list(sql`select i.id, i.from_id as "fromId", i.to_id as "toId", i.status, i.created_at as "createdAt" from invitations i
                  where i.to_id = ${v} and i.status in ('pending','ignored') and i.created_at > ${expiry}`)} as inv_in,
      ${list(sql`select i.to_id as m, max(i.responded_at) as at from invitations i where i.from_id = ${v} and i.status = 'withdrawn' group by i.to_id`)} as withdrawn,
      ${list(sql`select b.blocked as m, b.unblocked_at as at from blocks b where b.blocker = ${v}`)} as blocks,
      ${list(sql`select b.blocker as m from blocks b where b.blocked = ${v} and b.unblocked_at is null`)} as blocked_by,
      ${list(sql`select cm.conversation_id as id, cm.ignored from conversation_members cm where cm.member_id = ${v}`)} as sides,
      ${list(asksSelect(deps, v, now))} as asks`,
  );
  const lists = ['inv_out', 'inv_in', 'withdrawn', 'blocks', 'blocked_by', 'sides', 'asks'].map((k) => jsonList(r[k]));
  if (lists.some((l) => l.length > ROSTER_MAX)) return 'big';
  const [invOut, invIn, withdrawn, blocks, blockedBy, sides, asks] = lists;
  const roster = new Map<number, RosterPair>();
  const at = (m: unknown): RosterPair => {
    const id = Number(m);
    let p = roster.get(id);
    if (!p) roster.set(id, (p = {}));
    return p;
  };
  for (const i of invOut) at(i.toId).invitation = i;
  for (const i of invIn) at(i.fromId).invitation = i;
  for (const w of withdrawn) at(w.m).lastWithdrawn = w.at;
  for (const b of blocks) at(b.m).block = b.at ?? null;
  for (const b of blockedBy) at(b.m).blockedBy = true;
  if (asks.length) at(v).asks = viewerAsksFrom(asks, now);
  if (sides.length) {
    const ignored = new Map(sides.map((c) => [Number(c.id), c.ignored === true]));
    // by id: on Citus, conversations live by conversation id (another co-location group than the sides)
    const convs = await selectRows<Record<string, unknown>>(
      db,
      sql`select c.id, c.starter_id, c.recipient_id, c.state, c.channel, c.follow_ups, c.accepted
            from conversations c where c.id = any(${`{${[...ignored.keys()].join(',')}}`}::bigint[]) and c.ended_at is null`,
    );
    for (const c of convs) {
      const other = Number(c.starter_id) === v ? c.recipient_id : c.starter_id;
      at(other).conversation = {
        id: c.id,
        starterId: c.starter_id,
        state: c.state,
        channel: c.channel,
        followUps: c.follow_ups,
        accepted: c.accepted,
        ignored: ignored.get(Number(c.id)) ?? null,
      };
    }
  }
  return roster.size === 0 ? NO_PAIRS : roster;
}

/** The roster of a viewer who shares no row with anyone (one object for all of them). */
const NO_PAIRS: Roster = new Map();

/**
 * Viewer v's introduction asks that bear on offering a path (ViewerAsks): those still asked and not
 * expired, those declined in the last 120 days (a pause lasts 90 days after a 3rd decline within 30),
 * and every ask of this month (the monthly limit). By asker_id: one shard on Citus.
 */
function asksSelect(deps: Deps, v: number, now: Date): SQL {
  const declinedSince = new Date(now.getTime() - INTRODUCTION_DECLINE_WINDOW_MS - INTRODUCTION_PAUSE_MS);
  return sql`select i.via_id as via, i.target_id as target, i.status, i.created_at as "createdAt", i.responded_at as "respondedAt"
               from introductions i
              where i.asker_id = ${v}
                and ((i.status = 'asked' and i.created_at > ${introductionExpiryCutoff(now, deps.policy)})
                     or (i.status = 'declined' and i.responded_at >= ${declinedSince})
                     or i.created_at >= ${startOfMonthUTC(now)})`;
}

const NO_ASKS: ViewerAsks = { open: new Map(), declines: new Map(), made: [] };

function viewerAsksFrom(rows: Record<string, unknown>[], now: Date): ViewerAsks {
  if (rows.length === 0) return NO_ASKS;
  const open = new Map<number, number>();
  const declines = new Map<number, number[]>();
  const made: number[] = [];
  const month = startOfMonthUTC(now).getTime();
  for (const x of rows) {
    const created = rowDate(x.createdAt)!.getTime();
    if (x.status === 'asked') open.set(Number(x.target), Math.max(created, open.get(Number(x.target)) ?? created));
    const responded = rowDate(x.respondedAt);
    if (x.status === 'declined' && responded) {
      const via = Number(x.via);
      declines.set(via, [...(declines.get(via) ?? []), responded.getTime()]);
    }
    if (created >= month) made.push(created);
  }
  return { open, declines, made };
}

/** Viewer v's introduction asks (ViewerAsks), read now: one statement. */
export async function loadViewerAsks(deps: Deps, db: Runner, v: number, now: Date): Promise<ViewerAsks> {
  const rows = await selectRows<Record<string, unknown>>(db, asksSelect(deps, v, now));
  return viewerAsksFrom(rows, now);
}

/**
 * What the viewer's asks say about asking a path's first step (`ids[0]`) about its next member (the
 * member, or on a 3rd-degree path the step after it), at `now`: the policy decides (src/policy/asks.ts).
 */
export function askStateOf(deps: Deps, asks: ViewerAsks, ids: number[], m: number, now: Date): AskState {
  const next = ids.length > 1 ? ids[1] : m;
  const askedAt = asks.open.get(next);
  const month = startOfMonthUTC(now).getTime();
  return {
    openAsk: askedAt !== undefined && askedAt > introductionExpiryCutoff(now, deps.policy).getTime(),
    asksThisMonth: asks.made.filter((t) => t >= month).length,
    declinesByVia: (asks.declines.get(ids[0]) ?? []).map((t) => new Date(t)),
  };
}

/** Viewer v's rows with m, from v's roster, in the shape the per-pair statement answers. */
function pairFromRoster(roster: Roster, v: number, m: number): PairRows {
  const p = roster.get(m);
  const conversation = p?.conversation ?? null;
  return {
    asks: roster.get(v)?.asks ?? NO_ASKS,
    row: {
      inv: p?.invitation ?? null,
      last_withdrawn: p?.lastWithdrawn ?? null,
      last_unblocked: p?.block ?? null,
      blocked_by_viewer: p !== undefined && p.block === null,
      blocked_by_member: p?.blockedBy === true,
      // connections: the graph index (relationshipFromRows asks it when this is false)
      connected: false,
      conv_id: conversation?.id ?? null,
    },
    conversation,
  };
}

/**
 * Reads the relationship of a pair from its rows. Time is applied here, at `now`, not only in SQL:
 * rows from the read model may have been read earlier (an invitation expires while cached).
 */
async function relationshipFromRows(
  deps: Deps,
  db: Runner,
  rows: PairRows,
  v: number,
  m: number,
  now: Date,
  opts: { introductions?: number; cached?: boolean },
): Promise<{ rel: RelationshipFacts; invitation: OpenInvitation | null }> {
  const r = rows.row;
  const invRaw = (typeof r.inv === 'string' ? JSON.parse(r.inv) : r.inv) as Record<string, unknown> | null;
  const open: OpenInvitation | null = invRaw
    ? {
        id: Number(invRaw.id),
        fromId: Number(invRaw.fromId),
        toId: Number(invRaw.toId),
        status: invRaw.status as OpenInvitation['status'],
        createdAt: new Date(String(invRaw.createdAt)),
      }
    : null;
  const invitation = open && open.createdAt > invitationExpiryCutoff(now, deps.policy) ? open : null;
  // An ignored invitation is gone for its recipient and still pending for its sender.
  const seen = invitation && (invitation.fromId === v || invitation.status === 'pending') ? invitation : null;
  const convRaw = rows.conversation;
  // A request the viewer ignored is gone for the viewer.
  const conv = convRaw && !(convRaw.ignored === true) ? convRaw : null;
  const connected = r.connected === true;
  const blockedByViewer = r.blocked_by_viewer === true;
  const blockedByMember = r.blocked_by_member === true;
  const degree = connected ? 1 : deps.graph.degree(v, m);
  const blocked = blockedByViewer || blockedByMember;
  const { paths: introductions, asks: introductionAsks } = blocked
    ? NO_PATHS
    : await introductionPaths(deps, db, v, m, degree, opts.introductions ?? 0, now, { cached: opts.cached === true, asks: rows.asks });
  const rel: RelationshipFacts = {
    degree: blocked ? null : degree,
    invitation: seen ? { direction: seen.fromId === v ? 'sent' : 'received' } : null,
    blockedByViewer,
    blockedByMember,
    sharedGroups: deps.graph.sharedGroupCount(v, m),
    conversation: conv
      ? {
          state: conv.state as 'open' | 'request',
          startedBy: Number(conv.starterId) === v ? 'viewer' : 'member',
          channel: conv.channel as Channel,
          followUps: Number(conv.followUps),
          accepted: conv.accepted === true,
        }
      : null,
    lastWithdrawnAt: rowDate(r.last_withdrawn),
    lastUnblockedAt: rowDate(r.last_unblocked),
    introductions,
    ...(introductions.length > 0 ? { introductionAsks } : {}),
  };
  return { rel, invitation };
}

/** The viewer's counter row: the quota counts (their counter row, src/services/counters.ts) and the InMail ledger's sums. */
export function quotaColumns(v: number, now: Date): JoinedColumns {
  const counters = counterColumns(v, now);
  const ledger = ledgerColumns(v);
  return { columns: sql`${counters.columns}, ${ledger.columns}`, joins: sql`${counters.joins} ${ledger.joins}` };
}

/**
 * Until when (ms) a counter row read at `now` stays right without any new row: the first instant an
 * item leaves one of its windows (7 days of invitations, a minute of messages, 90 days of reports)
 * or the next month begins (notes, conversations started). InMail balances are projected at each
 * `now` from the same row (monthly grants included), so they need no bound here.
 */
export function quotaRowValidUntil(r: Record<string, unknown>, now: Date): number {
  const nextMonth = startOfNextMonthUTC(now).getTime();
  const ends = [nextMonth];
  const leaves = (col: unknown, windowMs: number) => {
    const d = rowDate(col);
    if (d) ends.push(d.getTime() + windowMs);
  };
  leaves(r.inv7_oldest, INVITATION_WINDOW_MS);
  leaves(r.msg1m_oldest, MESSAGE_RATE_WINDOW_MS);
  leaves(r.idk_oldest, IDK_REPORT_WINDOW_MS);
  return Math.min(...ends);
}

/** The columns of a counter row (`quotaColumns`): the counts and the InMail ledger's. */
export const QUOTA_KEYS = [...COUNTER_KEYS, ...LEDGER_KEYS] as const;

/**
 * A counter row as the read model keeps it: its own columns only (a row read with a pair's columns
 * leaves those out), instants as milliseconds (a Date costs about 100 bytes; `rowDate` reads both).
 */
export function compactQuotaRow(r: Record<string, unknown>): Record<string, unknown> {
  return new CounterRow(r) as unknown as Record<string, unknown>;
}

type QuotaKey = (typeof QUOTA_KEYS)[number];
const instant = (x: unknown) => (x instanceof Date ? x.getTime() : x);

/**
 * A counter row's columns as fields of one class (declared, so each instance holds them in itself: a
 * row built key by key kept most of them in a separate array), instants as milliseconds, its tier
 * one of the list's own strings (the driver makes a new one each row). Implements every key of
 * QUOTA_KEYS, so a key added there must be declared here.
 */
class CounterRow implements Record<QuotaKey, unknown> {
  inv7: unknown;
  inv7_oldest: unknown;
  notes: unknown;
  idk: unknown;
  idk_oldest: unknown;
  msg1m: unknown;
  msg1m_oldest: unknown;
  noncon: unknown;
  grp: unknown;
  ledger_tier: unknown;
  ledger_purchased: unknown;
  ledger_last_month: unknown;
  ledger_sub_tier: unknown;
  ledger_sub_until: unknown;
  ledger_sub_changed: unknown;
  constructor(r: Record<string, unknown>) {
    for (const k of QUOTA_KEYS) this[k] = instant(r[k]);
    this.ledger_sub_tier = word(TIERS, this.ledger_sub_tier);
  }
}

/** Keeps a viewer's counter row read at `now` in the read model, for as long as it stays right. */
function rememberQuota(cache: MemberCache | undefined, v: number, row: Record<string, unknown>, now: Date, stamp: number): void {
  cache?.putQuota(v, { row: compactQuotaRow(row), readAt: now.getTime(), validUntil: quotaRowValidUntil(row, now) }, stamp);
}

const inmailFacts = (p: { tier: number; purchased: number }) => ({ inmailBalance: p.tier + p.purchased, inmailPurchased: p.purchased });

export function quotasFromRow(deps: Deps, r: Record<string, unknown>, viewer: MemberRecord, now: Date): QuotaFacts {
  return {
    invitationsLast7Days: Number(r.inv7),
    oldestInvitationLast7DaysAt: rowDate(r.inv7_oldest),
    notesThisMonth: Number(r.notes),
    idkReportsLast90Days: Number(r.idk),
    messagesLastMinute: Number(r.msg1m),
    oldestMessageLastMinuteAt: rowDate(r.msg1m_oldest),
    nonConnectionConversationsThisMonth: Number(r.noncon),
    groupConversationsThisMonth: Number(r.grp),
    ...inmailFacts(balancesFromRow(r, viewer, now, deps.policy)),
  };
}

/**
 * The viewer's counters for every quota and cooldown, computed from rows and `now` (one statement;
 * none when `cache` holds them, on read paths).
 */
export async function quotasOfViewer(deps: Deps, db: Runner, viewer: MemberRecord, now: Date, cache?: MemberCache): Promise<QuotaFacts> {
  return quotasFromRow(deps, await quotaRowOf(db, viewer.id, now, cache), viewer, now);
}

/** The viewer's counter row at `now`: from `cache` when it holds it (read paths), else read and kept there. */
async function quotaRowOf(db: Runner, v: number, now: Date, cache?: MemberCache): Promise<Record<string, unknown>> {
  const hit = cache?.quota(v, now.getTime());
  if (hit) return hit.row;
  const stamp = cache?.stamp() ?? 0;
  const row = await loadQuotaRow(db, v, now);
  rememberQuota(cache, v, row, now, stamp);
  return row;
}

/** The viewer's counter row at `now` (one statement): what the read model keeps (QuotaRows). */
export async function loadQuotaRow(db: Runner, v: number, now: Date): Promise<Record<string, unknown>> {
  const res = await selectRows<Record<string, unknown>>(db, selectJoined(quotaColumns(v, now)));
  return res[0];
}

/** At most this many introduction paths are looked at to find k the viewer's asks allow. */
const MAX_PATHS_LOOKED_AT = 256;

/** Introduction paths (handles) and, for each, what the viewer's asks say about asking its first step. */
interface OfferedPaths {
  paths: string[][];
  asks: AskState[];
}
const NO_PATHS: OfferedPaths = { paths: [], asks: [] };

/**
 * Up to `k` introduction paths from `v` to `m` (handles), for a 2nd- or 3rd-degree member: only
 * through members who are active and whose profileVisibility lets `v` see them (DOMAIN.md 7, 11),
 * each with the state of the viewer's asks (`asks`: from the roster; read here when not given).
 */
async function introductionPaths(
  deps: Deps,
  db: Runner,
  v: number,
  m: number,
  degree: number | null,
  k: number,
  now: Date,
  opts: { cached?: boolean; asks?: ViewerAsks } = {},
): Promise<OfferedPaths> {
  if (k <= 0 || (degree !== 2 && degree !== 3)) return NO_PATHS;
  const mine = opts.asks ?? (await loadViewerAsks(deps, db, v, now));
  const ctx = { now, policy: deps.policy };
  // Whether any path could pass the viewer's own-ask rules (not when the month's asks are used up, nor,
  // for a 2nd-degree member, while an ask about them is open): else the first k do, all left out.
  const own = askStateOf(deps, mine, [m], m, now);
  const anyPasses = askStatePasses(ctx, { openAsk: degree === 2 && own.openAsk, asksThisMonth: own.asksThisMonth, declinesByVia: [] });
  // Paths the viewer's asks refuse (a paused first step, an open ask about a 3rd degree's middle
  // step) go last, and more are looked at until k pass or there are no more (found by reviewers:
  // one paused step's many paths crowded out the askable ones).
  for (let limit = k; ; limit *= 4) {
    const paths = deps.graph.introductions(v, m, limit);
    const ids = [...new Set(paths.flat())];
    const byId = opts.cached ? await cachedMembersByIds(deps, ids) : await membersByIds(db, ids);
    // A member is offered as a step only to viewers within their profileVisibility (DOMAIN.md 7).
    const offered = (id: number) => {
      const step = byId.get(id);
      return !!step && step.status === 'active' && mayIntroduceThrough(step.settings.profileVisibility, deps.graph.degree(v, id));
    };
    const kept = paths.filter((p) => p.every(offered));
    const states = new Map(kept.map((p) => [p, askStateOf(deps, mine, p, m, now)]));
    const passing = kept.filter((p) => askStatePasses(ctx, states.get(p)!));
    if (anyPasses && passing.length < k && paths.length === limit && limit < MAX_PATHS_LOOKED_AT) continue;
    if (kept.length === 0) return NO_PATHS;
    const ok = new Set(passing);
    const refused = kept.filter((p) => !ok.has(p));
    const chosen = [...passing, ...refused].slice(0, k);
    return { paths: chosen.map((p) => p.map((id) => byId.get(id)!.handle)), asks: chosen.map((p) => states.get(p)!) };
  }
}

/**
 * The same facts with the relationship's introduction paths filled in: for a caller that decides
 * without them first and needs them only to explain a denial (a send that goes through never pays
 * for them; they change unlock lists, never whether something is allowed).
 */
export async function withIntroductions(deps: Deps, db: Runner, facts: Facts, v: number, m: number, k: number, now: Date): Promise<Facts> {
  const rel = facts.relationship;
  if (rel.degree === null || rel.introductions.length > 0) return facts;
  const offered = await introductionPaths(deps, db, v, m, rel.degree, k, now);
  return offered.paths.length === 0 ? facts : { ...facts, relationship: { ...rel, introductions: offered.paths, introductionAsks: offered.asks } };
}

/**
 * The full snapshot for viewer → member (member null = unknown handle). `cached` (read paths only,
 * never inside a write's transaction) answers from the instance's read model where it can: with it
 * warm, no statement at all.
 */
export async function gatherFacts(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  member: MemberRecord | null,
  now: Date,
  opts: { introductions?: number; connectionCounts?: Map<number, number>; cached?: boolean } = {},
): Promise<{ facts: Facts; invitation: OpenInvitation | null }> {
  const cache = opts.cached ? cacheOf(deps) : undefined;
  if (!member || member.id === viewer.id)
    return factsWithoutPair(deps, viewer, member, await quotaRowOf(db, viewer.id, now, cache), now, opts.connectionCounts?.get(viewer.id));
  const v = viewer.id;
  const m = member.id;
  let pair: PairRows | undefined;
  if (cache) {
    let roster = cache.roster(v);
    if (roster === undefined) {
      const stamp = cache.stamp();
      roster = await loadRoster(deps, db, v, now);
      cache.putRoster(v, roster, stamp);
    }
    if (roster !== 'big') pair = pairFromRoster(roster, v, m);
  }
  let quotaRow = cache?.quota(v, now.getTime())?.row;
  if (!quotaRow || !pair) {
    const stamp = cache?.stamp() ?? 0;
    // One round trip: what is missing of the viewer's counters and the pair's relationship, together.
    const quota = quotaRow ? [] : [quotaColumns(v, now)];
    const cols = [...quota.map((q) => q.columns), ...(pair ? [] : [relationshipColumns(deps, v, m, now)])];
    const [row] = await selectRows<Record<string, unknown>>(db, sql`select ${sql.join(cols, sql`, `)} ${fromJoins(...quota)}`);
    if (!quotaRow) {
      quotaRow = row;
      rememberQuota(cache, v, row, now, stamp);
    }
    pair ??= await pairRows(db, row, v);
  }
  return factsFromRows(deps, db, viewer, member, quotaRow, pair, now, opts);
}

/** The snapshot when there is no pair (an unknown member, or the viewer themself), from the viewer's counter row. */
export function factsWithoutPair(
  deps: Deps,
  viewer: MemberRecord,
  member: MemberRecord | null,
  quotaRow: Record<string, unknown>,
  now: Date,
  connectionCount?: number,
): { facts: Facts; invitation: null } {
  const viewerFacts = toMemberFacts(deps, viewer, connectionCount);
  return {
    facts: { viewer: viewerFacts, member: member ? viewerFacts : null, relationship: relationshipFacts(), quotas: quotasFromRow(deps, quotaRow, viewer, now) },
    invitation: null,
  };
}

/**
 * The snapshot from rows already read: the viewer's counter row and the pair's rows (a send reads
 * them with everything else it needs in one statement, src/services/messaging.ts).
 */
export async function factsFromRows(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  member: MemberRecord,
  quotaRow: Record<string, unknown>,
  pair: PairRows,
  now: Date,
  opts: { introductions?: number; connectionCounts?: Map<number, number>; cached?: boolean } = {},
): Promise<{ facts: Facts; invitation: OpenInvitation | null }> {
  const quotas = quotasFromRow(deps, quotaRow, viewer, now);
  const { rel, invitation } = await relationshipFromRows(deps, db, pair, viewer.id, member.id, now, opts);
  return {
    facts: {
      viewer: toMemberFacts(deps, viewer, opts.connectionCounts?.get(viewer.id)),
      member: toMemberFacts(deps, member, opts.connectionCounts?.get(member.id)),
      relationship: rel,
      quotas,
    },
    invitation,
  };
}

/** Connection counts from the table (authoritative, inside a transaction that locked the members). */
export async function connectionCounts(db: Runner, ids: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const id of ids) {
    const res = await selectRows<Record<string, unknown>>(
      db,
      sql`select (select count(*) from connections where a = ${id}) + (select count(*) from connections where b = ${id}) as n`,
    );
    out.set(id, Number(res[0].n));
  }
  return out;
}
