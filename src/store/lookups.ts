/**
 * The lookup tables that hold unique facts a distributed row cannot carry (schema.ts, docs/SCALING.md):
 * handles, e-mails, the open invitation of a pair, the live conversation of a pair. Every writer of
 * the guarded row writes its lookup row in the same transaction, through these functions. On Citus
 * each statement here is routed to one shard (by the handle, the e-mail, or the pair's smaller id).
 */
import { and, eq, inArray } from 'drizzle-orm';
import { sql } from './sql.js';
import { rowsOf, type Runner } from './db.js';
import { conversationLivePairs, invitationOpenPairs, memberEmails, memberHandles } from './schema.js';

const pair = (a: number, b: number) => (a < b ? { lo: a, hi: b } : { lo: b, hi: a });

/** Claims a new member's handle and e-mail; a taken one fails with 23505 on member_handles_pkey / member_emails_pkey. */
export async function claimMemberKeys(db: Runner, memberId: number, handle: string, email: string | null): Promise<void> {
  await db.insert(memberHandles).values({ handle: handle.toLowerCase(), memberId });
  if (email !== null) await db.insert(memberEmails).values({ email: email.toLowerCase(), memberId });
}

/** Writes the lookup rows of members inserted by raw SQL (bulk import, seed, benches). */
export async function claimMemberKeysOf(db: Runner, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = rowsOf(await db.execute(sql`select id, handle, email from members where id = any(${`{${ids.join(',')}}`}::bigint[])`)) as {
    id: unknown;
    handle: string;
    email: string | null;
  }[];
  const handles = rows.map((r) => ({ handle: r.handle.toLowerCase(), memberId: Number(r.id) }));
  const emails = rows.filter((r) => r.email !== null).map((r) => ({ email: r.email!.toLowerCase(), memberId: Number(r.id) }));
  for (let i = 0; i < handles.length; i += 5000) await db.insert(memberHandles).values(handles.slice(i, i + 5000));
  for (let i = 0; i < emails.length; i += 5000) await db.insert(memberEmails).values(emails.slice(i, i + 5000));
}

/** The member a handle (any case) names. */
export async function memberIdByHandle(db: Runner, handle: string): Promise<number | undefined> {
  const [r] = await db.select({ id: memberHandles.memberId }).from(memberHandles).where(eq(memberHandles.handle, handle.toLowerCase())).limit(1);
  return r?.id;
}

/** The member an e-mail address (any case) belongs to. */
export async function memberIdByEmail(db: Runner, email: string): Promise<number | undefined> {
  const [r] = await db.select({ id: memberEmails.memberId }).from(memberEmails).where(eq(memberEmails.email, email.toLowerCase())).limit(1);
  return r?.id;
}

/** Records the pair's open invitation; a second open one fails with 23505 (invitation_open_pairs_pkey). */
export async function openInvitationPair(db: Runner, fromId: number, toId: number, invitationId: number): Promise<void> {
  await db.insert(invitationOpenPairs).values({ ...pair(fromId, toId), invitationId });
}

/** Frees the pairs of invitations that stopped being open (accepted, withdrawn, expired). */
export async function closeInvitationPairs(db: Runner, rows: { id: number; fromId: number; toId: number }[]): Promise<void> {
  for (const r of rows) {
    const p = pair(r.fromId, r.toId);
    await db
      .delete(invitationOpenPairs)
      .where(and(eq(invitationOpenPairs.lo, p.lo), eq(invitationOpenPairs.hi, p.hi), eq(invitationOpenPairs.invitationId, r.id)));
  }
}

/**
 * Claims the pair's live-conversation slot. True: the caller creates the conversation and names it
 * with setConversationPair. False: the pair has a live one (a concurrent claimer has committed).
 */
export async function claimConversationPair(db: Runner, a: number, b: number): Promise<boolean> {
  const got = await db.insert(conversationLivePairs).values(pair(a, b)).onConflictDoNothing().returning({ lo: conversationLivePairs.lo });
  return got.length > 0;
}

export async function setConversationPair(db: Runner, a: number, b: number, conversationId: number): Promise<void> {
  const p = pair(a, b);
  await db
    .update(conversationLivePairs)
    .set({ conversationId })
    .where(and(eq(conversationLivePairs.lo, p.lo), eq(conversationLivePairs.hi, p.hi)));
}

/** The pair's live conversation, if any. */
export async function liveConversationId(db: Runner, a: number, b: number): Promise<number | undefined> {
  const p = pair(a, b);
  const [r] = await db
    .select({ id: conversationLivePairs.conversationId })
    .from(conversationLivePairs)
    .where(and(eq(conversationLivePairs.lo, p.lo), eq(conversationLivePairs.hi, p.hi)))
    .limit(1);
  return r?.id ?? undefined;
}

/** Frees the pair's slot when its conversation ends. */
export async function endConversationPair(db: Runner, a: number, b: number, ids?: number[]): Promise<void> {
  const p = pair(a, b);
  const where = and(eq(conversationLivePairs.lo, p.lo), eq(conversationLivePairs.hi, p.hi));
  await db.delete(conversationLivePairs).where(ids && ids.length ? and(where, inArray(conversationLivePairs.conversationId, ids)) : where);
}
