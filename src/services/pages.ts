/** Pages (run by person admins) and groups (DOMAIN.md 1, 2). */
import { claimMemberKeys } from '../store/lookups.js';
import { writeSearchWords } from '../store/search-words.js';
import { and, eq } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { members, pageAdminInvitations, pageAdmins, settings, subscriptions } from '../store/schema.js';
import type { Runner } from '../store/db.js';
import { AppError, conflict, notFound } from './errors.js';
import { lockAndRead, lockMembers, lockSelf, memberByHandle, memberById, membersByIds, stillOpen, type MemberRecord } from './members.js';
import { pgCode, type Uow } from './uow.js';
import { existsFor } from './hidden.js';

function personOnly(viewer: MemberRecord): void {
  if (viewer.kind !== 'person') throw new AppError(403, 'forbidden', 'only persons may do this', { unlock: [] });
}

export async function createPage(u: Uow, caller: MemberRecord, input: { handle: string; name: string; headline?: string }): Promise<MemberRecord> {
  personOnly(caller);
  // the caller's row locked and read again: a closure committed meanwhile (another tab) gets no page
  const viewer = await lockSelf(u.tx, caller);
  let id: number;
  try {
    id = await u.tx.transaction(async (sp) => {
      const [row] = await sp
        .insert(members)
        .values({ handle: input.handle, kind: 'page', name: input.name, headline: input.headline ?? '', email: null, createdAt: u.now })
        .returning({ id: members.id });
      await claimMemberKeys(sp, row.id, input.handle, null);
      return row.id;
    });
  } catch (e) {
    if (pgCode(e) === '23505') throw conflict('that handle is taken', { field: 'handle' });
    throw e;
  }
  await writeSearchWords(u.tx, [{ id, name: input.name, handle: input.handle, headline: input.headline ?? '', status: 'active' }], { replace: false });
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
  const byId = await membersByIds(
    db,
    rows.map((r) => r.p),
  );
  return rows.map((r) => byId.get(r.p)).filter((m): m is MemberRecord => !!m && m.status === 'active');
}

/** The page the viewer administers, by handle; anything else is "not found". */
export async function administeredPage(db: Runner, viewer: MemberRecord, handle: string): Promise<MemberRecord> {
  const page = await memberByHandle(db, handle);
  if (!page || page.kind !== 'page' || page.status === 'closed' || !(await isPageAdmin(db, page.id, viewer.id)))
    throw notFound('no such page among those you administer');
  return page;
}

/**
 * An admin invites a person to administer the page (API.md): nobody becomes an admin without
 * consent; the person accepts with acceptPageAdmin. Inviting again is a no-op; inviting an admin 409.
 */
export async function invitePageAdmin(u: Uow, viewer: MemberRecord, pageHandle: string, adminHandle: string) {
  const page = await administeredPage(u.tx, viewer, pageHandle);
  const person = await memberByHandle(u.tx, adminHandle);
  if (!existsFor(u.deps, viewer.id, person) || person.kind !== 'person') throw notFound('no such member');
  if (await isPageAdmin(u.tx, page.id, person.id)) throw conflict('this member already administers the page', { field: 'handle' });
  const added = await u.tx
    .insert(pageAdminInvitations)
    .values({ pageId: page.id, memberId: person.id, invitedBy: viewer.id, createdAt: u.now })
    .onConflictDoNothing()
    .returning();
  if (added.length) await u.emit('page.admin_invited', [person.id], { pageId: page.id, memberId: person.id, by: viewer.id });
  return { page, admin: person };
}

/** The caller accepts an invitation to administer the page; 404 when there is none. */
export async function acceptPageAdmin(u: Uow, viewer: MemberRecord, pageHandle: string) {
  const found = await memberByHandle(u.tx, pageHandle);
  // the page's row and the caller's locked, then read again: a page closing with its last admin does
  // not take one in meanwhile, nor does an account closing in another tab become an admin
  const fresh = found ? await lockAndRead(u.tx, [found.id, viewer.id]) : null;
  if (fresh) stillOpen(fresh.get(viewer.id));
  const page = found && fresh?.get(found.id);
  if (!page || page.kind !== 'page' || page.status !== 'active') throw notFound('no invitation to administer this page');
  const gone = await u.tx
    .delete(pageAdminInvitations)
    .where(and(eq(pageAdminInvitations.pageId, page.id), eq(pageAdminInvitations.memberId, viewer.id)))
    .returning();
  if (gone.length === 0) throw notFound('no invitation to administer this page');
  await u.tx.insert(pageAdmins).values({ pageId: page.id, memberId: viewer.id, createdAt: u.now }).onConflictDoNothing();
  await u.emit('page.admin_added', [viewer.id], { pageId: page.id, adminId: viewer.id });
  return { page, admin: viewer };
}

/**
 * An admin removes an admin (or, naming themselves or `me`, leaves), or withdraws a pending
 * invitation. The last admin cannot go (409): the page's row is locked, so two admins removing each
 * other at once leave one.
 */
export async function removePageAdmin(u: Uow, viewer: MemberRecord, pageHandle: string, adminHandle: string): Promise<void> {
  const page = await administeredPage(u.tx, viewer, pageHandle);
  await lockMembers(u.tx, [page.id]);
  if (!(await isPageAdmin(u.tx, page.id, viewer.id))) throw notFound('no such page among those you administer');
  const target = adminHandle.toLowerCase() === 'me' ? viewer : await memberByHandle(u.tx, adminHandle);
  if (!target) throw notFound('no such admin');
  const withdrawn = await u.tx
    .delete(pageAdminInvitations)
    .where(and(eq(pageAdminInvitations.pageId, page.id), eq(pageAdminInvitations.memberId, target.id)))
    .returning();
  if (withdrawn.length) return;
  if (!(await isPageAdmin(u.tx, page.id, target.id))) throw notFound('no such admin');
  const [n] = await u.tx
    .select({ n: sql<number>`count(*)::int` })
    .from(pageAdmins)
    .where(eq(pageAdmins.pageId, page.id));
  if (Number(n?.n ?? 0) <= 1) throw conflict('the last admin of a page cannot leave: add another admin first');
  await u.tx.delete(pageAdmins).where(and(eq(pageAdmins.pageId, page.id), eq(pageAdmins.memberId, target.id)));
  await u.emit('page.admin_removed', [target.id], { pageId: page.id, adminId: target.id, by: viewer.id });
}
