/**
 * Gathers the plain snapshot the policy decides on (src/policy/facts.ts) from the store and the
 * graph index, for one viewer and one member, at one `now`. Two round trips: the relationship of
 * the pair and the viewer's counters, each one SQL statement.
 */
import { sql } from 'drizzle-orm';
import { relationshipFacts, type Facts, type MemberFacts, type QuotaFacts, type RelationshipFacts } from '../policy/facts.js';
import { DAY_MS as DAY, invitationExpiryCutoff, mayIntroduceThrough } from '../policy/index.js';
import type { Channel } from '../policy/types.js';
import { selectRows, type Runner, rowDate } from '../store/db.js';
import type { Deps } from './context.js';
import { balancesFromRow, ledgerColumns } from './inmail.js';
import { apiStatus, membersByIds, type MemberRecord } from './members.js';

export function monthStartUTC(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

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
function relationshipColumns(deps: Deps, v: number, m: number, now: Date) {
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

/** Reads the relationship of a pair from a row holding relationshipColumns(). */
async function relationshipFromRow(
  deps: Deps,
  db: Runner,
  r: Record<string, unknown>,
  v: number,
  m: number,
  opts: { introductions?: number },
): Promise<{ rel: RelationshipFacts; invitation: OpenInvitation | null }> {
  const invRaw = (typeof r.inv === 'string' ? JSON.parse(r.inv) : r.inv) as Record<string, unknown> | null;
  const invitation: OpenInvitation | null = invRaw
    ? {
        id: Number(invRaw.id),
        fromId: Number(invRaw.fromId),
        toId: Number(invRaw.toId),
        status: invRaw.status as OpenInvitation['status'],
        createdAt: new Date(String(invRaw.createdAt)),
      }
    : null;
  // An ignored invitation is gone for its recipient and still pending for its sender.
  const seen = invitation && (invitation.fromId === v || invitation.status === 'pending') ? invitation : null;
  const convRaw = await liveConversationFacts(db, r.conv_id, v);
  // A request the viewer ignored is gone for the viewer.
  const conv = convRaw && !(convRaw.ignored === true) ? convRaw : null;
  const connected = r.connected === true;
  const blockedByViewer = r.blocked_by_viewer === true;
  const blockedByMember = r.blocked_by_member === true;
  const degree = connected ? 1 : deps.graph.degree(v, m);
  const blocked = blockedByViewer || blockedByMember;
  const introductions = blocked ? [] : await introductionPaths(deps, db, v, m, degree, opts.introductions ?? 0);
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
  };
  return { rel, invitation };
}

function quotaColumns(v: number, now: Date) {
  const week = new Date(now.getTime() - 7 * DAY);
  const month = monthStartUTC(now);
  const days90 = new Date(now.getTime() - 90 * DAY);
  const minute = new Date(now.getTime() - 60_000);
  return sql`
      (select count(*) from invitations where from_id = ${v} and created_at > ${week})::int as inv7,
      (select min(created_at) from invitations where from_id = ${v} and created_at > ${week}) as inv7_oldest,
      (select count(*) from invitations where from_id = ${v} and note is not null and created_at >= ${month})::int as notes,
      (select count(*) from invitations where from_id = ${v} and reported_at > ${days90})::int as idk,
      (select count(*) from messages where sender_id = ${v} and created_at > ${minute})::int as msg1m,
      (select min(created_at) from messages where sender_id = ${v} and created_at > ${minute}) as msg1m_oldest,
      (select count(*) from conversations where starter_id = ${v} and channel <> 'direct' and created_at >= ${month})::int as noncon,
      (select count(*) from conversations where starter_id = ${v} and channel = 'group' and created_at >= ${month})::int as grp,
      ${ledgerColumns(v)}`;
}

const inmailFacts = (p: { tier: number; purchased: number }) => ({ inmailBalance: p.tier + p.purchased, inmailPurchased: p.purchased });

function quotasFromRow(deps: Deps, r: Record<string, unknown>, viewer: MemberRecord, now: Date): QuotaFacts {
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

/** The viewer's counters for every quota and cooldown, computed from rows and `now` (one statement). */
export async function quotasOfViewer(deps: Deps, db: Runner, viewer: MemberRecord, now: Date): Promise<QuotaFacts> {
  const res = await selectRows<Record<string, unknown>>(db, sql`select ${quotaColumns(viewer.id, now)}`);
  return quotasFromRow(deps, res[0], viewer, now);
}

/**
 * Up to `k` introduction paths from `v` to `m` (handles), for a 2nd- or 3rd-degree member: only
 * through members who are active and whose profileVisibility lets `v` see them (DOMAIN.md 7, 11).
 */
async function introductionPaths(deps: Deps, db: Runner, v: number, m: number, degree: number | null, k: number): Promise<string[][]> {
  if (k <= 0 || (degree !== 2 && degree !== 3)) return [];
  const paths = deps.graph.introductions(v, m, k);
  const ids = [...new Set(paths.flat())];
  const byId = await membersByIds(db, ids);
  // A member is offered as a step only to viewers within their profileVisibility (DOMAIN.md 7).
  const offered = (id: number) => {
    const step = byId.get(id);
    return !!step && step.status === 'active' && mayIntroduceThrough(step.settings.profileVisibility, deps.graph.degree(v, id));
  };
  return paths.filter((p) => p.every(offered)).map((p) => p.map((id) => byId.get(id)!.handle));
}

/**
 * The same facts with the relationship's introduction paths filled in: for a caller that decides
 * without them first and needs them only to explain a denial (a send that goes through never pays
 * for them; they change unlock lists, never whether something is allowed).
 */
export async function withIntroductions(deps: Deps, db: Runner, facts: Facts, v: number, m: number, k: number): Promise<Facts> {
  const rel = facts.relationship;
  if (rel.degree === null || rel.introductions.length > 0) return facts;
  const introductions = await introductionPaths(deps, db, v, m, rel.degree, k);
  return introductions.length === 0 ? facts : { ...facts, relationship: { ...rel, introductions } };
}

/** The full snapshot for viewer → member (member null = unknown handle). */
export async function gatherFacts(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  member: MemberRecord | null,
  now: Date,
  opts: { introductions?: number; connectionCounts?: Map<number, number> } = {},
): Promise<{ facts: Facts; invitation: OpenInvitation | null }> {
  const viewerFacts = toMemberFacts(deps, viewer, opts.connectionCounts?.get(viewer.id));
  if (!member || member.id === viewer.id) {
    const quotas = await quotasOfViewer(deps, db, viewer, now);
    return { facts: { viewer: viewerFacts, member: member ? viewerFacts : null, relationship: relationshipFacts(), quotas }, invitation: null };
  }
  // One round trip: the viewer's counters and the pair's relationship together.
  const res = await selectRows<Record<string, unknown>>(
    db,
    sql`select ${quotaColumns(viewer.id, now)}, ${relationshipColumns(deps, viewer.id, member.id, now)}`,
  );
  const row = res[0];
  const quotas = quotasFromRow(deps, row, viewer, now);
  const { rel, invitation } = await relationshipFromRow(deps, db, row, viewer.id, member.id, opts);
  return {
    facts: { viewer: viewerFacts, member: toMemberFacts(deps, member, opts.connectionCounts?.get(member.id)), relationship: rel, quotas },
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
