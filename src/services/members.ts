/** Loading members with their settings and subscription, and shaping them as API.md's Member. */
import { memberIdByEmail, memberIdByHandle } from '../store/lookups.js';
import { eq, inArray } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { TIERS } from '../policy/policy.js';
import { effectiveTier } from '../policy/tier.js';
import { DEFAULT_SETTINGS, type Settings } from '../policy/types.js';
import { allNotificationsOn, isNotificationKind, NOTIFICATION_KINDS } from '../policy/notifications.js';
import { rowDate, selectRows, type Runner } from '../store/db.js';
import { cacheOf } from './cache.js';
import { LoadedMember, MEMBER_KINDS, MEMBER_STATUSES, word, type ApiMember, type MemberRecord } from './records.js';
import type { Deps } from './context.js';
import { unauthenticated } from './errors.js';
import { members, settings, subscriptions } from '../store/schema.js';

/** A member's settings: the policy's Settings type and API.md's defaults. */
export type SettingsRow = Settings;
export { DEFAULT_SETTINGS };

export type { ApiMember, MemberRecord } from './records.js';

export function apiStatus(m: Pick<MemberRecord, 'status' | 'restricted'>): ApiMember['status'] {
  if (m.status !== 'active') return m.status;
  return m.restricted ? 'restricted' : 'active';
}

export function toApiMember(m: MemberRecord, now: Date): ApiMember {
  return {
    id: String(m.id),
    handle: m.handle,
    kind: m.kind,
    name: m.name,
    headline: m.headline,
    tier: effectiveTier(m, now),
    status: apiStatus(m),
  };
}

const selection = {
  id: members.id,
  handle: members.handle,
  kind: members.kind,
  name: members.name,
  headline: members.headline,
  about: members.about,
  email: members.email,
  status: members.status,
  restricted: members.restricted,
  bulkFlagged: members.bulkFlagged,
  createdAt: members.createdAt,
  tier: subscriptions.tier,
  tierUntil: subscriptions.until,
  s_primaryAction: settings.primaryAction,
  s_messageRequests: settings.messageRequests,
  s_openProfile: settings.openProfile,
  s_acceptInMail: settings.acceptInMail,
  s_messagesFrom: settings.messagesFrom,
  s_profileVisibility: settings.profileVisibility,
  s_readReceipts: settings.readReceipts,
  s_typingIndicators: settings.typingIndicators,
  s_openToJobs: settings.openToJobs,
  s_openToMentoring: settings.openToMentoring,
  s_filterNewAccounts: settings.filterNewAccounts,
  s_filterNoSharedConnections: settings.filterNoSharedConnections,
  s_filterNotFollowed: settings.filterNotFollowed,
  s_notificationsOff: settings.notificationsOff,
};

/** Settings.notifications from the stored list of kinds turned off. */
function notificationsFrom(off: unknown): SettingsRow['notifications'] {
  const out = allNotificationsOn();
  if (Array.isArray(off)) for (const k of off) if (typeof k === 'string' && isNotificationKind(k)) out[k] = false;
  return out;
}

/** The settings row's columns for a member's Settings (nested objects flattened; kinds off as a list). */
export function settingsColumns(s: SettingsRow) {
  return {
    primaryAction: s.primaryAction,
    messageRequests: s.messageRequests,
    openProfile: s.openProfile,
    acceptInMail: s.acceptInMail,
    messagesFrom: s.messagesFrom,
    profileVisibility: s.profileVisibility,
    readReceipts: s.readReceipts,
    typingIndicators: s.typingIndicators,
    openToJobs: s.openTo.jobs,
    openToMentoring: s.openTo.mentoring,
    filterNewAccounts: s.requestFilters.newAccounts,
    filterNoSharedConnections: s.requestFilters.noSharedConnections,
    filterNotFollowed: s.requestFilters.notFollowed,
    notificationsOff: NOTIFICATION_KINDS.filter((k) => s.notifications[k] === false),
  };
}

/** A PATCH of settings: top-level fields replace, the nested objects (openTo, requestFilters, notifications) merge. */
export type SettingsPatch = Partial<Omit<SettingsRow, 'openTo' | 'requestFilters' | 'notifications'>> & {
  openTo?: Partial<SettingsRow['openTo']>;
  requestFilters?: Partial<SettingsRow['requestFilters']>;
  notifications?: Partial<SettingsRow['notifications']>;
};

export function mergeSettings(current: SettingsRow, patch: SettingsPatch): SettingsRow {
  return {
    ...current,
    ...patch,
    openTo: { ...current.openTo, ...(patch.openTo ?? {}) },
    requestFilters: { ...current.requestFilters, ...(patch.requestFilters ?? {}) },
    notifications: { ...current.notifications, ...(patch.notifications ?? {}) },
  };
}

type Row = { [K in keyof typeof selection]: unknown };

/**
 * Members mostly share a few combinations of settings (the defaults above all): one frozen object
 * per combination, so the read model holds each once (bench/RESULTS.md "Read model memory").
 * Frozen: nothing may change a member's settings in place (mergeSettings makes new ones).
 */
const settingsSeen = new Map<string, SettingsRow>();
const SETTINGS_SEEN_MAX = 10_000;
function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}
export function internSettings(s: SettingsRow): SettingsRow {
  const key = JSON.stringify(s);
  const seen = settingsSeen.get(key);
  if (seen) return seen;
  if (settingsSeen.size >= SETTINGS_SEEN_MAX) return s;
  const frozen = deepFreeze(s);
  settingsSeen.set(key, frozen);
  return frozen;
}

/** A copy of a record with some fields changed (`createdAt` kept: see LoadedMember). */
export function withFields(m: MemberRecord, changes: Partial<Omit<MemberRecord, 'createdAt'>>): MemberRecord {
  return new LoadedMember({ ...m, ...changes });
}

function fromRow(r: Row): MemberRecord {
  const s = r.s_primaryAction === null || r.s_primaryAction === undefined;
  return new LoadedMember({
    id: r.id as number,
    handle: r.handle as string,
    kind: word(MEMBER_KINDS, r.kind),
    name: r.name as string,
    headline: r.headline as string,
    about: r.about as string,
    email: r.email as string | null,
    status: word(MEMBER_STATUSES, r.status),
    restricted: r.restricted as boolean,
    bulkFlagged: r.bulkFlagged as boolean,
    createdMs: (r.createdAt as Date).getTime(),
    tier: word(TIERS, (r.tier as string | null) ?? 'free'),
    tierUntil: (r.tierUntil as Date | null) ?? null,
    settings: internSettings(
      s
        ? mergeSettings(DEFAULT_SETTINGS, {})
        : {
            primaryAction: r.s_primaryAction as SettingsRow['primaryAction'],
            messageRequests: r.s_messageRequests as SettingsRow['messageRequests'],
            openProfile: r.s_openProfile as boolean,
            acceptInMail: r.s_acceptInMail as boolean,
            messagesFrom: r.s_messagesFrom as SettingsRow['messagesFrom'],
            profileVisibility: r.s_profileVisibility as SettingsRow['profileVisibility'],
            readReceipts: r.s_readReceipts as boolean,
            typingIndicators: r.s_typingIndicators as boolean,
            openTo: { jobs: r.s_openToJobs === true, mentoring: r.s_openToMentoring === true },
            requestFilters: {
              newAccounts: r.s_filterNewAccounts === true,
              noSharedConnections: r.s_filterNoSharedConnections === true,
              notFollowed: r.s_filterNotFollowed === true,
            },
            notifications: notificationsFrom(r.s_notificationsOff),
          },
    ),
  });
}

function base(db: Runner) {
  return db
    .select(selection)
    .from(members)
    .leftJoin(settings, eq(settings.memberId, members.id))
    .leftJoin(subscriptions, eq(subscriptions.memberId, members.id));
}

export async function memberById(db: Runner, id: number): Promise<MemberRecord | null> {
  const rows = await base(db).where(eq(members.id, id)).limit(1);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Through the handle's lookup row, then by id (each routed to one shard on Citus). */
export async function memberByHandle(db: Runner, handle: string): Promise<MemberRecord | null> {
  const id = await memberIdByHandle(db, handle);
  // An unknown handle reads a member row too (id 0 names nobody): the same two statements as a
  // hidden member's, so neither the statements nor their time tell them apart (issue 15, T-timing).
  const m = await memberById(db, id ?? 0);
  return id === undefined ? null : m;
}

/** Handle or e-mail, ignoring case. */
export async function memberByLogin(db: Runner, login: string): Promise<MemberRecord | null> {
  const id = (await memberIdByHandle(db, login)) ?? (await memberIdByEmail(db, login));
  return id === undefined ? null : memberById(db, id);
}

export async function membersByIds(db: Runner, ids: number[]): Promise<Map<number, MemberRecord>> {
  const out = new Map<number, MemberRecord>();
  if (ids.length === 0) return out;
  const rows = await base(db).where(inArray(members.id, ids));
  for (const r of rows) out.set(r.id, fromRow(r));
  return out;
}

/**
 * The members `ids` as one JSON column of a larger statement (a send reads them with everything else
 * under its locks): the fields of `selection`, as `base` reads them, read back by membersFromJson.
 * The ids (a handful: a send's two or three) are a list of parameters, one each, not one array: the
 * planner then knows how many rows the generic plan of a prepared statement reads, as it does for
 * its value-planned ones, and keeps the generic plan after the first five runs; with an array (ten
 * rows to the generic estimate) every run of the whole statement was planned again once the tables
 * had a network's size (test/services/generic-plans.test.ts).
 */
export function membersJsonColumn(ids: number[]) {
  const fields = sql.join(
    Object.entries(selection).map(([key, column]) => sql`${sql.raw(`'${key}'`)}, ${column}`),
    sql`, `,
  );
  return sql`(select coalesce(json_agg(json_build_object(${fields})), '[]'::json)
      from ${members} left join ${settings} on ${settings.memberId} = ${members.id} left join ${subscriptions} on ${subscriptions.memberId} = ${members.id}
     where ${
       ids.length
         ? sql`${members.id} in (${sql.join(
             [...new Set(ids)].map((id) => sql`${id}`),
             sql`, `,
           )})`
         : sql`false`
     })`;
}

/** The members of a membersJsonColumn, by id. */
export function membersFromJson(v: unknown): Map<number, MemberRecord> {
  const rows = (typeof v === 'string' ? JSON.parse(v) : (v ?? [])) as Record<string, unknown>[];
  const out = new Map<number, MemberRecord>();
  for (const r of rows) {
    const m = fromRow({
      ...r,
      id: Number(r.id),
      createdAt: rowDate(r.createdAt),
      tierUntil: rowDate(r.tierUntil),
    } as Row);
    out.set(m.id, m);
  }
  return out;
}

/**
 * Locks member rows in id order (the per-member mutex every quota and cap check runs under).
 * FOR NO KEY UPDATE: it serializes the verbs of one member without blocking the foreign-key
 * checks (FOR KEY SHARE) of other members' writes that merely reference the row.
 */
export async function lockMembers(db: Runner, ids: number[], opts: { shared?: number } = {}): Promise<void> {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  // One row per statement, in id order: on Citus a row lock is taken by a statement routed to one
  // shard (a multi-shard SELECT … FOR UPDATE is refused). `shared`: that member's row FOR SHARE,
  // which waits for a verb holding it (a block) without making verbs that only share it wait in turn.
  for (const id of sorted)
    await db
      .select({ id: members.id })
      .from(members)
      .where(eq(members.id, id))
      .for(id === opts.shared ? 'share' : 'no key update');
}

/**
 * lockMembers, then the members as their rows say under those locks. A verb decides on these, not
 * on the copies it was handed (the caller's from the session, the other's read before the locks): a
 * closure or a block committed meanwhile is what they show.
 */
export async function lockAndRead(db: Runner, ids: number[], opts: { shared?: number } = {}): Promise<Map<number, MemberRecord>> {
  await lockMembers(db, ids, opts);
  return membersByIds(db, ids);
}

/**
 * The caller's row under its lock, or 401: an account closed meanwhile (in another tab: its sessions
 * are gone) takes nothing more (DOMAIN.md 1: a closed member holds no place anywhere).
 */
export function stillOpen(fresh: MemberRecord | undefined): MemberRecord {
  if (!fresh || fresh.status === 'closed') throw unauthenticated('the account is closed');
  return fresh;
}

/** The caller's own row locked and read again (stillOpen). */
export async function lockSelf(db: Runner, viewer: MemberRecord): Promise<MemberRecord> {
  return stillOpen((await lockAndRead(db, [viewer.id])).get(viewer.id));
}

/** Read-path lookups through the instance's read model (GET requests only; never in a write). */
export async function cachedMemberByHandle(deps: Deps, handle: string): Promise<MemberRecord | null> {
  // One lookup and at most one query whether the handle names a member or nobody (issue 15).
  const cache = cacheOf(deps);
  const hit = cache.memberByHandle(handle);
  if (hit !== undefined) return hit;
  const stamp = cache.stamp();
  const created = cache.createdStamp();
  const m = await memberByHandle(deps.store.db, handle);
  cache.putHandle(handle, m, stamp, created);
  return m;
}

export async function cachedMemberById(deps: Deps, id: number): Promise<MemberRecord | null> {
  const cache = cacheOf(deps);
  const hit = cache.member(id);
  if (hit) return hit;
  const stamp = cache.stamp();
  const m = await memberById(deps.store.db, id);
  if (m) cache.put(m, stamp);
  return m;
}

export async function cachedMembersByIds(deps: Deps, ids: number[]): Promise<Map<number, MemberRecord>> {
  const cache = cacheOf(deps);
  const out = new Map<number, MemberRecord>();
  const missing: number[] = [];
  for (const id of ids) {
    const hit = cache.member(id);
    if (hit) out.set(id, hit);
    else missing.push(id);
  }
  if (missing.length) {
    const stamp = cache.stamp();
    const loaded = await membersByIds(deps.store.db, missing);
    for (const [id, m] of loaded) {
      cache.put(m, stamp);
      out.set(id, m);
    }
  }
  return out;
}

/**
 * Fills the read model at start (issue 17): up to `limit` members, the most recently active first
 * (by their sessions' last use), then the newest; in batches, each put with the generation taken
 * before its read, so a change committed meanwhile is never shadowed. Answers how many it loaded.
 */
export async function warmReadModel(deps: Deps, limit = cacheOf(deps).maxEntries, batch = 5000): Promise<number> {
  const cache = cacheOf(deps);
  const db = deps.store.db;
  const active = await selectRows<{ id: unknown }>(
    db,
    sql`select member_id as id from sessions group by member_id order by max(last_used_at) desc limit ${limit}`,
  );
  const ids = active.map((r) => Number(r.id));
  const seen = new Set(ids);
  let before: number | null = null;
  while (ids.length < limit) {
    const rows: { id: unknown }[] = await selectRows<{ id: unknown }>(
      db,
      sql`select id from members where status = 'active' ${before === null ? sql`` : sql`and id < ${before}`} order by id desc limit ${batch}`,
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      const id = Number(r.id);
      if (!seen.has(id) && ids.length < limit) ids.push(id);
    }
    before = Number(rows[rows.length - 1].id);
  }
  let loaded = 0;
  for (let i = 0; i < ids.length; i += batch) {
    const stamp = cache.stamp();
    const byId = await membersByIds(db, ids.slice(i, i + batch));
    for (const m of byId.values()) cache.put(m, stamp);
    loaded += byId.size;
  }
  return loaded;
}
