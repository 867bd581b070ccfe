/** Pages (run by person admins) and groups (DOMAIN.md 1, 2). */
import { and, eq } from 'drizzle-orm';
import { groupMembers, groups, members, pageAdmins, settings, subscriptions } from '../store/schema.js';
import type { Runner } from '../store/db.js';
import { AppError, conflict, notFound } from './errors.js';
import { memberByHandle, memberById, membersByIds, type MemberRecord } from './members.js';
import { pgCode, type Uow } from './uow.js';

function personOnly(viewer: MemberRecord): void {
  if (viewer.kind !== 'person') throw new AppError(403, 'forbidden', 'only persons may do this', { unlock: [] });
}

export async function createPage(u: Uow, viewer: MemberRecord, input: { handle: string; name: string; headline?: string }): Promise<MemberRecord> {
  personOnly(viewer);
  let id: number;
  try {
    id = await u.tx.transaction(async (sp) => {
      const [row] = await sp
        .insert(members)
        .values({ handle: input.handle, kind: 'page', name: input.name, headline: input.headline ?? '', email: null, createdAt: u.now })
        .returning({ id: members.id });
      return row!.id;
    });
  } catch (e) {
    if (pgCode(e) === '23505') throw conflict('that handle is taken', { field: 'handle' });
    throw e;
  }
  await u.tx.insert(settings).values({ memberId: id });
  await u.tx.insert(subscriptions).values({ memberId: id, tier: 'free', until: null, startedAt: u.now });
  await u.tx.insert(pageAdmins).values({ pageId: id, memberId: viewer.id, createdAt: u.now });
  await u.emit('page.created', [viewer.id], { pageId: id, adminId: viewer.id });
  return (await memberById(u.tx, id))!;
}

export async function isPageAdmin(db: Runner, pageId: number, memberId: number): Promise<boolean> {
  const rows = await db
    .select({ p: pageAdmins.pageId })
    .from(pageAdmins)
    .where(and(eq(pageAdmins.pageId, pageId), eq(pageAdmins.memberId, memberId)))
    .limit(1);
  return rows.length > 0;
}

/** The active pages a member administers, oldest first. */
export async function administeredPages(db: Runner, memberId: number): Promise<MemberRecord[]> {
  const rows = await db.select({ p: pageAdmins.pageId }).from(pageAdmins).where(eq(pageAdmins.memberId, memberId)).orderBy(pageAdmins.pageId);
  const byId = await membersByIds(db, rows.map((r) => r.p));
  return rows.map((r) => byId.get(r.p)).filter((m): m is MemberRecord => !!m && m.status === 'active');
}

/** The page the viewer administers, by handle; anything else is "not found". */
export async function administeredPage(db: Runner, viewer: MemberRecord, handle: string): Promise<MemberRecord> {
  const page = await memberByHandle(db, handle);
  if (!page || page.kind !== 'page' || page.status === 'closed' || !(await isPageAdmin(db, page.id, viewer.id)))
    throw notFound('no such page among those you administer');
  return page;
}

export async function addPageAdmin(u: Uow, viewer: MemberRecord, pageHandle: string, adminHandle: string) {
  const page = await administeredPage(u.tx, viewer, pageHandle);
  const person = await memberByHandle(u.tx, adminHandle);
  if (!person || person.kind !== 'person' || person.status !== 'active' || u.deps.graph.isBlockedEitherWay(viewer.id, person.id))
    throw notFound('no such member');
  await u.tx.insert(pageAdmins).values({ pageId: page.id, memberId: person.id, createdAt: u.now }).onConflictDoNothing();
  await u.emit('page.admin_added', [person.id], { pageId: page.id, adminId: person.id });
  return { page, admin: person };
}

