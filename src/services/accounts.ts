/** Accounts and sessions: sign up, sign in, sign out, settings, deactivate / reactivate / close. */
import { createHash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';
import { eq } from 'drizzle-orm';
import type { Runner } from '../store/db.js';
import { credentials, members, sessions, settings, subscriptions } from '../store/schema.js';
import type { Deps } from './context.js';
import { AppError, conflict, unauthenticated } from './errors.js';
import { cacheOf } from './cache.js';
import { cachedMemberById, lockMembers, memberById, memberByLogin, type MemberRecord, type SettingsRow } from './members.js';
import { pgCode, pgConstraint, transact, type Uow } from './uow.js';

const ARGON = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 256 random bits, URL-safe. Only its hash is stored. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashPassword(password: string): Promise<string> {
  return argonHash(password, ARGON);
}

async function openSession(db: Runner, memberId: number, now: Date): Promise<string> {
  const token = newToken();
  await db.insert(sessions).values({ tokenHash: hashToken(token), memberId, createdAt: now });
  return token;
}

export interface NewAccount {
  handle: string;
  name: string;
  email: string;
  password: string;
  headline?: string;
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
      return row!.id;
    });
  } catch (e) {
    throw uniqueConflict(e) ?? e;
  }
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
  const cred = m
    ? (await deps.store.db.select().from(credentials).where(eq(credentials.memberId, m.id)).limit(1))[0]
    : undefined;
  if (!m || !cred || m.kind !== 'person') {
    dummyHash ??= hashPassword('not-a-password-at-all');
    await argonVerify(await dummyHash, password).catch(() => false);
    throw unauthenticated('wrong login or password');
  }
  const ok = await argonVerify(cred.passwordHash, password).catch(() => false);
  if (!ok || m.status === 'closed') throw unauthenticated('wrong login or password');
  return transact(deps, async (u) => ({ member: m, token: await openSession(u.tx, m.id, u.now) }));
}

export async function logout(deps: Deps, token: string): Promise<void> {
  cacheOf(deps).dropSession(hashToken(token));
  await deps.store.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
}

/**
 * The member a bearer token belongs to, or null (unknown token, closed account). `cached` (GET
 * requests) may answer from the instance's 2-second read cache; writes always read the tables.
 */
export async function authenticate(deps: Deps, token: string, cached = false): Promise<MemberRecord | null> {
  const tokenHash = hashToken(token);
  const cache = cacheOf(deps);
  if (cached) {
    const id = cache.session(tokenHash);
    if (id !== undefined) {
      const m = await cachedMemberById(deps, id);
      if (m && m.status !== 'closed') return m;
    }
  }
  const [row] = await deps.store.db
    .select({ memberId: sessions.memberId })
    .from(sessions)
    .where(eq(sessions.tokenHash, tokenHash))
    .limit(1);
  if (!row) return null;
  const m = cached ? await cachedMemberById(deps, row.memberId) : await memberById(deps.store.db, row.memberId);
  if (!m || m.status === 'closed') return null;
  if (cached) cache.putSession(tokenHash, m.id);
  return m;
}

export async function updateSettings(u: Uow, member: MemberRecord, patch: Partial<SettingsRow>): Promise<SettingsRow> {
  const next = { ...member.settings, ...patch };
  await u.tx
    .insert(settings)
    .values({ memberId: member.id, ...next })
    .onConflictDoUpdate({ target: settings.memberId, set: patch });
  await u.emit('settings.updated', [member.id], { memberId: member.id });
  return next;
}

export type Lifecycle = 'deactivate' | 'reactivate' | 'close';

/** Deactivate (reversible, hidden), reactivate, or close (permanent: sessions revoked). */
export async function changeStatus(u: Uow, memberId: number, action: Lifecycle): Promise<MemberRecord> {
  await lockMembers(u.tx, [memberId]);
  const m = (await memberById(u.tx, memberId))!;
  if (m.status === 'closed') throw new AppError(409, 'conflict', 'the account is closed');
  const next = action === 'deactivate' ? 'deactivated' : action === 'reactivate' ? 'active' : 'closed';
  if (action === 'deactivate' && m.status !== 'active')
    throw new AppError(409, 'conflict', 'the account is not active');
  if (action === 'reactivate' && m.status !== 'deactivated')
    throw new AppError(409, 'conflict', 'the account is not deactivated');
  await u.tx.update(members).set({ status: next }).where(eq(members.id, memberId));
  if (next === 'closed') await u.tx.delete(sessions).where(eq(sessions.memberId, memberId));
  await u.emit('member.status', [memberId], { memberId, status: next });
  return { ...m, status: next };
}
