/** Accounts and sessions: sign up, sign in, sign out, settings, deactivate / reactivate / close. */
import { writeSearchWords } from '../store/search-words.js';
import { claimMemberKeys, memberIdByEmail, memberIdByHandle } from '../store/lookups.js';
import { detachClosedMember } from './relations.js';
import { hash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { decideSettingsChange, sessionIdleCutoff } from '../policy/index.js';
import { enforce } from './decisions.js';
import { rowsOf, type Runner } from '../store/db.js';
import { cleanLine, cleanName, stripBidiControls } from '../util/text.js';
import { credentials, members, pageAdminInvitations, sessions, settings, subscriptions } from '../store/schema.js';
import type { Deps } from './context.js';
import { AppError, badRequest, conflict, unauthenticated } from './errors.js';
import { cacheOf, sessionKey, sessionKeyOfHash } from './cache.js';
import {
  cachedMemberById,
  lockMembers,
  memberById,
  memberByLogin,
  withFields,
  mergeSettings,
  settingsColumns,
  type MemberRecord,
  type SettingsPatch,
  type SettingsRow,
} from './members.js';
import { pgCode, pgConstraint, transact, type Uow } from './uow.js';

const ARGON = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** The hash of a token as its bytes (hashToken: as hex). crypto.hash: no Hash object per request. */
function tokenDigest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** 256 random bits, URL-safe. Only its hash is stored. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashPassword(password: string): Promise<string> {
  return argonHash(password, ARGON);
}

/** A public session id (GET /v1/me/sessions): random, unrelated to the token or its hash. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

async function openSession(db: Runner, memberId: number, now: Date): Promise<string> {
  const token = newToken();
  await db.insert(sessions).values({ tokenHash: hashToken(token), id: newSessionId(), memberId, createdAt: now, lastUsedAt: now });
  return token;
}

/** lastUsedAt is written at most this often per session (a write per request would cost too much). */
export const SESSION_TOUCH_MS = 60_000;

/** The last use a live session may have had (the policy's sessionIdleDays before now). */
const idleCutoff = (deps: Deps, now: number) => sessionIdleCutoff(new Date(now), deps.policy).getTime();

export interface NewAccount {
  handle: string;
  name: string;
  email: string;
  password: string;
  headline?: string;
}

/**
 * 409 naming the field when the handle or the e-mail (any case) is taken. Sign-up asks this before
 * hashing the password, so a taken handle costs no argon2 run; the lookup tables (member_handles, member_emails) decide races.
 */
export async function assertAvailable(db: Runner, handle: string, email: string): Promise<void> {
  if ((await memberIdByHandle(db, handle)) !== undefined) throw conflict('that handle is taken', { field: 'handle' });
  if ((await memberIdByEmail(db, email)) !== undefined) throw conflict('that e-mail address is already registered', { field: 'email' });
}

/** Maps a unique violation on members to the field it concerns. */
function uniqueConflict(e: unknown): AppError | null {
  if (pgCode(e) !== '23505') return null;
  const c = pgConstraint(e) ?? '';
  if (c.includes('email')) return conflict('that e-mail address is already registered', { field: 'email' });
  return conflict('that handle is taken', { field: 'handle' });
}

export async function createAccount(u: Uow, input: NewAccount, passwordHash: string) {
  const tx = u.tx;
  let id: number;
  try {
    // A savepoint keeps the transaction usable after a unique violation (PostgreSQL aborts it otherwise).
    id = await tx.transaction(async (sp) => {
      const [row] = await sp
        .insert(members)
        .values({
          handle: input.handle,
          kind: 'person',
          name: input.name,
          headline: input.headline ?? '',
          email: input.email,
          createdAt: u.now,
        })
        .returning({ id: members.id });
      await claimMemberKeys(sp, row.id, input.handle, input.email);
      return row.id;
    });
  } catch (e) {
    throw uniqueConflict(e) ?? e;
  }
  await writeSearchWords(tx, [{ id, name: input.name, handle: input.handle, headline: input.headline ?? '', status: 'active' }], { replace: false });
  await tx.insert(credentials).values({ memberId: id, passwordHash, updatedAt: u.now });
  await tx.insert(settings).values({ memberId: id });
  await tx.insert(subscriptions).values({ memberId: id, tier: 'free', until: null, startedAt: u.now });
  const token = await openSession(tx, id, u.now);
  await u.emit('member.created', [id], { memberId: id });
  const member = (await memberById(tx, id))!;
  return { member, token };
}

/** A dummy hash verified when the login is unknown, so timing does not reveal which logins exist. */
let dummyHash: Promise<string> | null = null;

export async function login(deps: Deps, loginName: string, password: string) {
  const m = await memberByLogin(deps.store.db, loginName);
  const cred = m ? (await deps.store.db.select().from(credentials).where(eq(credentials.memberId, m.id)).limit(1))[0] : undefined;
  if (!m || !cred || m.kind !== 'person') {
    dummyHash ??= hashPassword('not-a-password-at-all');
    await argonVerify(await dummyHash, password).catch(() => false);
    throw unauthenticated('wrong login or password');
  }
  const ok = await argonVerify(cred.passwordHash, password).catch(() => false);
  if (!ok || m.status === 'closed') throw unauthenticated('wrong login or password');
  return transact(deps, async (u) => {
    // What was verified, read again under the member's lock: a password change or a closure that
    // committed meanwhile refuses the sign-in, and one that comes after ends its session (a sign-in
    // with the old password outlived a change, one racing a closure stored a session for a closed
    // member: found by a reviewer).
    const fresh = await credentialsUnder(u.tx, m.id, cred.passwordHash);
    if (!fresh || fresh.status === 'closed') throw unauthenticated('wrong login or password');
    return { member: fresh, token: await openSession(u.tx, m.id, u.now) };
  });
}

/** The member under their row's lock, if their password hash is still `verified` (undefined otherwise). */
async function credentialsUnder(tx: Runner, memberId: number, verified: string): Promise<MemberRecord | undefined> {
  await lockMembers(tx, [memberId]);
  const [cred] = await tx.select({ passwordHash: credentials.passwordHash }).from(credentials).where(eq(credentials.memberId, memberId));
  return cred?.passwordHash === verified ? ((await memberById(tx, memberId)) ?? undefined) : undefined;
}

export async function logout(deps: Deps, token: string): Promise<void> {
  cacheOf(deps).dropSession(sessionKey(tokenDigest(token)));
  await transact(deps, async (u) => {
    const gone = await u.tx
      .delete(sessions)
      .where(eq(sessions.tokenHash, hashToken(token)))
      .returning({ id: sessions.id, memberId: sessions.memberId });
    for (const g of gone) await u.emit('sessions.revoked', [g.memberId], { memberId: g.memberId, sessionIds: [g.id] });
  });
}

export interface Authenticated {
  member: MemberRecord;
  /** the public id of the session (GET /v1/me/sessions) */
  sessionId: string;
}

/**
 * The member and session a bearer token belongs to, or null (unknown token, closed account, or a
 * session idle longer than the policy's sessionIdleDays, which is then deleted). Use touches
 * lastUsedAt at most once a minute. `cached` (GET requests) may answer from the instance's
 * read model, which keeps the last use, so idle time is judged on every request.
 */
export async function authenticateSession(deps: Deps, token: string, cached = false): Promise<Authenticated | null> {
  // the read model's key from the hash's bytes, the table's hex only on a miss
  const digest = tokenDigest(token);
  const key = sessionKey(digest);
  const cache = cacheOf(deps);
  const now = deps.clock.now().getTime();
  if (cached) {
    const s = cache.session(key);
    if (s !== undefined && s.lastUsedAt >= idleCutoff(deps, now) && now - s.lastUsedAt < SESSION_TOUCH_MS) {
      const m = await cachedMemberById(deps, s.memberId);
      if (m && m.status !== 'closed') return { member: m, sessionId: s.sessionId };
    }
  }
  const db = deps.store.db;
  const tokenHash = digest.toString('hex');
  const sessionStamp = cache.sessionStamp();
  const row = (await sessionsByTokenHash(db, [tokenHash])).get(tokenHash);
  if (!row) return null;
  let lastUsedAt = row.lastUsedAt.getTime();
  if (lastUsedAt < idleCutoff(deps, now)) {
    cache.dropSession(key);
    await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
    return null;
  }
  if (now - lastUsedAt >= SESSION_TOUCH_MS) {
    lastUsedAt = now;
    await db
      .update(sessions)
      .set({ lastUsedAt: new Date(now) })
      .where(eq(sessions.tokenHash, tokenHash));
  }
  const m = cached ? await cachedMemberById(deps, row.memberId) : await memberById(db, row.memberId);
  if (!m || m.status === 'closed') return null;
  if (cached) cache.putSession(key, { memberId: m.id, sessionId: row.id, lastUsedAt }, sessionStamp);
  return { member: m, sessionId: row.id };
}

/**
 * Whether member `memberId`'s session `sessionId` still exists, as an SQL boolean: what a write let
 * in by the read model's copy of the session checks in its transaction (sessionCheckedInWrite).
 */
export function sessionLive(memberId: number, sessionId: string) {
  return sql`exists(select 1 from ${sessions} where ${sessions.memberId} = ${memberId} and ${sessions.id} = ${sessionId})`;
}

/** The session rows of these token hashes, by hash: what a session of the read model is read from. */
export async function sessionsByTokenHash(db: Runner, tokenHashes: string[]): Promise<Map<string, { memberId: number; id: string; lastUsedAt: Date }>> {
  const out = new Map<string, { memberId: number; id: string; lastUsedAt: Date }>();
  if (tokenHashes.length === 0) return out;
  const rows = await db
    .select({ tokenHash: sessions.tokenHash, memberId: sessions.memberId, id: sessions.id, lastUsedAt: sessions.lastUsedAt })
    .from(sessions)
    .where(inArray(sessions.tokenHash, tokenHashes));
  for (const { tokenHash, ...r } of rows) out.set(tokenHash, r);
  return out;
}

/** The member a bearer token belongs to, or null (see authenticateSession). */
export async function authenticate(deps: Deps, token: string, cached = false): Promise<MemberRecord | null> {
  return (await authenticateSession(deps, token, cached))?.member ?? null;
}

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Session as ApiSession } from '../contract/index.js';
export type { ApiSession };

/** The member's sessions still in force, most recently used first. */
export async function listSessions(deps: Deps, memberId: number, currentId: string | undefined): Promise<ApiSession[]> {
  const now = deps.clock.now().getTime();
  const rows = await deps.store.db
    .select({ id: sessions.id, createdAt: sessions.createdAt, lastUsedAt: sessions.lastUsedAt })
    .from(sessions)
    .where(eq(sessions.memberId, memberId));
  return rows
    .filter((r) => r.lastUsedAt.getTime() >= idleCutoff(deps, now))
    .sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime() || a.id.localeCompare(b.id))
    .map((r) => ({ id: r.id, createdAt: r.createdAt.toISOString(), lastUsedAt: r.lastUsedAt.toISOString(), current: r.id === currentId }));
}

/** Ends one of the member's sessions by its public id; false when the member has none by that id. */
export async function revokeSession(u: Uow, memberId: number, id: string): Promise<boolean> {
  const gone = await u.tx
    .delete(sessions)
    .where(and(eq(sessions.memberId, memberId), eq(sessions.id, id)))
    .returning({ tokenHash: sessions.tokenHash });
  if (gone.length === 0) return false;
  for (const g of gone) cacheOf(u.deps).dropSession(sessionKeyOfHash(g.tokenHash));
  await u.emit('sessions.revoked', [memberId], { memberId, sessionIds: [id] });
  return true;
}

/**
 * Changes the password (the current one must be given) and ends every other session of the member;
 * the session making the change stays. A wrong current password is 403 wrong_password.
 */
export async function changePassword(deps: Deps, member: MemberRecord, keepSessionId: string | undefined, current: string, next: string): Promise<void> {
  if ([...next].length < 10) throw badRequest('new: at least 10 characters', { field: 'new' });
  const [cred] = await deps.store.db.select().from(credentials).where(eq(credentials.memberId, member.id)).limit(1);
  const ok = cred ? await argonVerify(cred.passwordHash, current).catch(() => false) : false;
  if (!ok) throw new AppError(403, 'wrong_password', 'the current password is not right', { unlock: [] });
  const passwordHash = await hashPassword(next);
  await transact(deps, async (u) => {
    // the password verified is still the member's (two changes at once: the second was checked
    // against the password the first replaced, and both ended every other session: a reviewer)
    if (!(await credentialsUnder(u.tx, member.id, cred.passwordHash)))
      throw new AppError(403, 'wrong_password', 'the current password is not right', { unlock: [] });
    await u.tx.update(credentials).set({ passwordHash, updatedAt: u.now }).where(eq(credentials.memberId, member.id));
    const ended = await u.tx
      .delete(sessions)
      .where(and(eq(sessions.memberId, member.id), keepSessionId !== undefined ? ne(sessions.id, keepSessionId) : undefined))
      .returning({ id: sessions.id, tokenHash: sessions.tokenHash });
    for (const e of ended) cacheOf(deps).dropSession(sessionKeyOfHash(e.tokenHash));
    await u.emit('sessions.revoked', [member.id], { memberId: member.id, sessionIds: ended.map((e) => e.id), keep: keepSessionId ?? null });
  });
}

export async function updateSettings(u: Uow, member: MemberRecord, patch: SettingsPatch): Promise<SettingsRow> {
  // Fresh under the member's lock: nested objects merge with what is stored, not with a cached read.
  await lockMembers(u.tx, [member.id]);
  const fresh = (await memberById(u.tx, member.id)) ?? member;
  enforce(decideSettingsChange(fresh, patch, u.now), u.now);
  const current = fresh.settings;
  const next = mergeSettings(current, patch);
  const cols = settingsColumns(next);
  await u.tx
    .insert(settings)
    .values({ memberId: member.id, ...cols })
    .onConflictDoUpdate({ target: settings.memberId, set: cols });
  await u.emit('settings.updated', [member.id], { memberId: member.id });
  return next;
}

/**
 * PATCH /v1/me/profile: the name (it must still show a letter or digit), the headline and the about
 * text, without bidi controls (src/util/text.ts). The search words follow in the same transaction;
 * every instance's caches drop the member on the event.
 */
export async function updateProfile(u: Uow, member: MemberRecord, patch: { name?: string; headline?: string; about?: string }): Promise<MemberRecord> {
  const set: { name?: string; headline?: string; about?: string } = {};
  if (patch.name !== undefined) {
    const name = cleanName(patch.name);
    if (name === null) throw badRequest('name: must hold a visible letter or digit', { field: 'name' });
    set.name = name;
  }
  if (patch.headline !== undefined) set.headline = cleanLine(patch.headline);
  if (patch.about !== undefined) set.about = stripBidiControls(patch.about).trim();
  await lockMembers(u.tx, [member.id]);
  await u.tx.update(members).set(set).where(eq(members.id, member.id));
  const updated = (await memberById(u.tx, member.id))!;
  if (set.name !== undefined || set.headline !== undefined) await writeSearchWords(u.tx, [updated], { replace: true });
  await u.emit('member.profile', [member.id], { memberId: member.id });
  return updated;
}

export type Lifecycle = 'deactivate' | 'reactivate' | 'close';

/** Deactivate (reversible, hidden), reactivate, or close (permanent: sessions revoked). */
export async function changeStatus(u: Uow, memberId: number, action: Lifecycle): Promise<MemberRecord> {
  await lockMembers(u.tx, [memberId]);
  const m = (await memberById(u.tx, memberId))!;
  if (m.status === 'closed') throw new AppError(409, 'conflict', 'the account is closed');
  const next = action === 'deactivate' ? 'deactivated' : action === 'reactivate' ? 'active' : 'closed';
  if (action === 'deactivate' && m.status !== 'active') throw new AppError(409, 'conflict', 'the account is not active');
  if (action === 'reactivate' && m.status !== 'deactivated') throw new AppError(409, 'conflict', 'the account is not deactivated');
  if (next !== 'closed') return setStatus(u, m, next);
  await u.tx.delete(sessions).where(eq(sessions.memberId, memberId));
  // A page the member alone runs closes with them: closing removes their adminship at once (DOMAIN.md
  // 1), and a page nobody runs would still take requests no one can read (found by a member probe).
  // The pages they run, locked before who else runs them is read: two last admins closing at once
  // each see the other leave (found by a reviewer), and an admin invitation accepted meanwhile waits.
  const runs = rowsOf(await u.tx.execute(sql`select page_id from page_admins where member_id = ${memberId}`)).map((r) => Number(r.page_id));
  await lockMembers(u.tx, runs);
  const orphaned = rowsOf(
    await u.tx.execute(sql`select pa.page_id from page_admins pa
      where pa.member_id = ${memberId}
        and not exists (select 1 from page_admins o where o.page_id = pa.page_id and o.member_id <> ${memberId})`),
  ).map((r) => Number(r.page_id));
  const changed = await setStatus(u, m, 'closed');
  for (const pageId of orphaned) {
    const page = await memberById(u.tx, pageId);
    if (!page || page.status === 'closed') continue;
    await u.tx.delete(pageAdminInvitations).where(eq(pageAdminInvitations.pageId, pageId));
    await setStatus(u, page, 'closed');
  }
  return changed;
}

/**
 * Pages nobody runs, closed (DOMAIN.md 1: closing removes one's adminship at once, and a page
 * nobody runs would take requests no one can read). A closure closes the pages its member ran
 * alone (changeStatus); pages left open by closures before that (or by a restored backup of those
 * days) are closed here, by housekeeping, each in its own unit of work with its row locked and its
 * admins read again under the lock. At most `limit` a pass. Answers how many were closed.
 */
export async function closeOrphanedPages(deps: Deps, limit = 100): Promise<number> {
  const nobodyRuns = sql`not exists (select 1 from page_admins pa where pa.page_id = ${members.id})`;
  const found = await deps.store.db
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.kind, 'page'), ne(members.status, 'closed'), nobodyRuns))
    .limit(limit);
  let closed = 0;
  for (const { id } of found)
    closed += await transact(deps, async (u) => {
      await lockMembers(u.tx, [id]);
      const [page] = await u.tx
        .select({ id: members.id })
        .from(members)
        .where(and(eq(members.id, id), ne(members.status, 'closed'), nobodyRuns));
      if (!page) return 0;
      await u.tx.delete(pageAdminInvitations).where(eq(pageAdminInvitations.pageId, id));
      await setStatus(u, (await memberById(u.tx, id))!, 'closed');
      return 1;
    });
  return closed;
}

/** Writes a member's new status with its search words, detaches a closed member (relations.ts), and tells every instance. */
async function setStatus(u: Uow, m: MemberRecord, next: MemberRecord['status']): Promise<MemberRecord> {
  await u.tx.update(members).set({ status: next }).where(eq(members.id, m.id));
  const changed = withFields(m, { status: next });
  await writeSearchWords(u.tx, [changed], { replace: true });
  if (next === 'closed') await detachClosedMember(u, m.id);
  await u.emit('member.status', [m.id], { memberId: m.id, status: next });
  return changed;
}
