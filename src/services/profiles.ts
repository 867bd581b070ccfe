/**
 * Reads of the network: a profile as the viewer sees it (DOMAIN.md 4), mutual connections, the
 * "why can't I message X?" decision, search and suggestions. Degrees and mutuals come from the
 * graph index; members hidden from the viewer never appear.
 */
import { and, eq, gt, or, sql } from 'drizzle-orm';
import { decideMessage } from '../policy/message.js';
import { decideProfile } from '../policy/profile.js';
import type { Decision, PrimaryAction } from '../policy/types.js';
import type { Runner } from '../store/db.js';
import { members } from '../store/schema.js';
import type { Deps } from './context.js';
import { gatherFacts } from './facts.js';
import { expiryCutoff } from './invitations.js';
import { cachedMemberByHandle, cachedMembersByIds, membersByIds, type ApiMember, type MemberRecord } from './members.js';
import { memberFor, openToAs } from './projection.js';
import { seesLimitedProfile, type Degree } from '../policy/index.js';
import { visibleMember } from './relations.js';

/** How many mutual connections a profile shows, and how many introduction paths it offers. */
const SAMPLE = 3;
const INTRODUCTIONS = 3;

export interface ApiProfile {
  member: ApiMember;
  full: boolean;
  about?: string;
  /** Settings.openTo, only for viewers within the member's profileVisibility. */
  openTo?: { jobs: boolean; mentoring: boolean };
  degree: 1 | 2 | 3 | null;
  /** `count` is null outside the member's profileVisibility (DOMAIN.md 7). */
  mutualConnections: { count: number | null; sample: ApiMember[] };
  relationship: {
    connected: boolean;
    following: boolean;
    followedBy: boolean;
    invitation: null | { id: string; direction: 'sent' | 'received' };
  };
  primaryAction: PrimaryAction;
  actions: { connect: Decision; message: Decision; inmail: Decision; follow: Decision };
}

/** The viewer sees the member's limited profile (the policy's profileVisibility rule). */
function seesLimited(m: MemberRecord, degree: Degree, self: boolean): boolean {
  return seesLimitedProfile(m.settings.profileVisibility, self ? { kind: 'self' } : { kind: 'member', degree });
}

export async function profile(deps: Deps, db: Runner, viewer: MemberRecord, handle: string, now: Date): Promise<ApiProfile> {
  const m = await visibleMember(deps, null, viewer, handle);
  const self = m.id === viewer.id;
  const { facts, invitation } = await gatherFacts(deps, db, viewer, m, now, { introductions: INTRODUCTIONS });
  const { primaryAction, actions } = decideProfile(facts, now, deps.policy);
  const degree = self ? null : facts.relationship.degree;
  const limited = seesLimited(m, degree, self);
  const mut = self || !limited ? { count: 0, items: [] as number[] } : deps.graph.mutuals(viewer.id, m.id, { limit: SAMPLE });
  const sample = await cachedMembersByIds(deps, mut.items);
  const full = self || degree === 1;
  const api = memberFor(deps, viewer.id, m, now, degree);
  const inv = facts.relationship.invitation;
  const openTo = openToAs(m, self ? { kind: 'self' } : { kind: 'member', degree });
  return {
    member: api,
    full,
    ...(full ? { about: m.about } : {}),
    ...(openTo ? { openTo } : {}),
    degree,
    mutualConnections: {
      count: self || limited ? mut.count : null,
      sample: mut.items.map((id) => sample.get(id)).filter(Boolean).map((x) => memberFor(deps, viewer.id, x!, now, 1)),
    },
    relationship: {
      connected: degree === 1,
      following: !self && deps.graph.isFollowing(viewer.id, m.id),
      followedBy: !self && deps.graph.isFollowing(m.id, viewer.id),
      invitation: inv && invitation ? { id: String(invitation.id), direction: inv.direction } : null,
    },
    primaryAction,
    actions,
  };
}

export async function mutuals(deps: Deps, db: Runner, viewer: MemberRecord, handle: string, now: Date, page: { cursor?: number; limit: number }) {
  const m = await visibleMember(deps, null, viewer, handle);
  const limited = m.id === viewer.id ? false : seesLimited(m, deps.graph.degree(viewer.id, m.id), false);
  if (!limited) return { items: [] as ApiMember[], nextCursor: null };
  const res = deps.graph.mutuals(viewer.id, m.id, { limit: page.limit + 1, after: page.cursor ?? 0 });
  const ids = res.items.slice(0, page.limit);
  const byId = await cachedMembersByIds(deps, ids);
  return {
    items: ids.map((id) => byId.get(id)).filter(Boolean).map((x) => memberFor(deps, viewer.id, x!, now, 1)),
    nextCursor: res.items.length > page.limit ? String(ids[ids.length - 1]) : null,
  };
}

/** "Why can't I message X?": the same decision the send enforces, with nothing about what X hid. */
export async function messageDecision(deps: Deps, db: Runner, viewer: MemberRecord, handle: string, now: Date): Promise<Decision> {
  const m = await cachedMemberByHandle(deps, handle);
  const { facts } = await gatherFacts(deps, db, viewer, m, now, { introductions: INTRODUCTIONS });
  return decideMessage(facts, {}, now, deps.policy);
}

function likePrefix(q: string): string {
  return q.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/** Prefix search on handle and name (PostgreSQL index), filtered by degree through the graph index. */
export async function search(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  q: string,
  degrees: Set<number> | null,
  now: Date,
  page: { cursor?: number; limit: number },
): Promise<{ items: { member: ApiMember; degree: 1 | 2 | 3 | null }[]; nextCursor: string | null }> {
  const pattern = likePrefix(q.trim());
  const items: { member: ApiMember; degree: 1 | 2 | 3 | null }[] = [];
  let cursor = page.cursor ?? 0;
  const batch = Math.max(50, page.limit * 4);
  for (let round = 0; round < 25; round++) {
    const rows = await db
      .select({ id: members.id })
      .from(members)
      .where(
        and(
          eq(members.status, 'active'),
          gt(members.id, cursor),
          or(sql`lower(${members.handle}) like ${pattern}`, sql`lower(${members.name}) like ${pattern}`),
        ),
      )
      .orderBy(members.id)
      .limit(batch);
    const byId = await membersByIds(db, rows.map((r) => r.id));
    for (const r of rows) {
      cursor = r.id;
      if (r.id === viewer.id || deps.graph.isBlockedEitherWay(viewer.id, r.id)) continue;
      const degree = deps.graph.degree(viewer.id, r.id);
      if (degrees && (degree === null || !degrees.has(degree))) continue;
      const m = byId.get(r.id);
      if (!m) continue;
      items.push({ member: memberFor(deps, viewer.id, m, now, degree), degree });
      if (items.length === page.limit) return { items, nextCursor: String(r.id) };
    }
    if (rows.length < batch) return { items, nextCursor: null };
  }
  return { items, nextCursor: String(cursor) };
}

/** People you may know: 2nd degree, ranked by mutual connections; no pending or ignored invitations. */
export async function suggestions(deps: Deps, db: Runner, viewer: MemberRecord, now: Date, page: { cursor?: number; limit: number }) {
  const cutoff = expiryCutoff(deps, now);
  const rows = (await db.execute(sql`
    select to_id as id from invitations where from_id = ${viewer.id}
      and ((status in ('pending','ignored') and created_at > ${cutoff}) or status = 'ignored' or reported_at is not null)
    union
    select from_id as id from invitations where to_id = ${viewer.id} and status in ('pending','ignored') and created_at > ${cutoff}
  `)) as unknown as { rows: { id: unknown }[] };
  const excluded = new Set(rows.rows.map((r) => Number(r.id)));
  const offset = page.cursor ?? 0;
  const found = deps.graph.suggestions(viewer.id, { limit: offset + page.limit + 1, exclude: (id) => excluded.has(id) });
  const slice = found.slice(offset, offset + page.limit);
  const byId = await membersByIds(db, slice.map((s) => s.id));
  const items = slice
    .filter((s) => byId.get(s.id)?.status === 'active')
    .map((s) => {
      const m = byId.get(s.id)!;
      // suggestions are 2nd degree; outside profileVisibility the mutual count is null (DOMAIN.md 7)
      return { member: memberFor(deps, viewer.id, m, now, 2), mutualConnections: seesLimited(m, 2, false) ? s.mutualConnections : null };
    });
  return { items, nextCursor: found.length > offset + page.limit ? String(offset + page.limit) : null };
}

