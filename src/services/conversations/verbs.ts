/**
 * The verbs on a conversation a member takes part in: accept or ignore a request, mark read, hide.
 *
 * One conversation per unordered pair of members; each side has its own row in
 * conversation_members (folder, unread count, read mark, hidden, ignored). Everything that changes
 * a pair runs under the pair's transaction-scoped advisory lock (see lockPair), so sends, follow-ups
 * and request verbs on the same pair are serialized without locking either member for long.
 */

import { and, eq } from 'drizzle-orm';
import { decideIgnoreRequest, deletedRequestReturns, readIsTold } from '../../policy/index.js';
import { conversationMembers, conversations } from '../../store/schema.js';
import { dropRequestNotifications } from '../notifications.js';
import { conflict } from '../errors.js';
import { enforce } from '../decisions.js';
import { toMemberFacts } from '../facts.js';
import { memberById } from '../members.js';
import type { Uow } from '../uow.js';
import { conversationFor, otherOf, type Actor, type ConvRow } from './pair.js';
import { conversationView } from './reads.js';
import type { Conversation as ApiConversation } from '../../contract/index.js';

function requireReceivedRequest(conv: ConvRow, memberId: number) {
  if (conv.state !== 'request' || conv.recipientId !== memberId) throw conflict('this conversation is not a message request you received', { field: 'id' });
}

/** Accept a request: the conversation opens (no connection, no full profile) and moves to the inbox. */
export async function acceptRequest(u: Uow, actor: Actor, id: number): Promise<ApiConversation> {
  const me = actor.member.id;
  const { conv } = await conversationFor(u.tx, id, me, { forUpdate: true });
  requireReceivedRequest(conv, me);
  await u.tx.update(conversations).set({ state: 'open', accepted: true }).where(eq(conversations.id, id));
  await u.tx
    .update(conversationMembers)
    .set({ folder: 'inbox' })
    .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
  // Internal (not a stream event): the pair's relationship changed for both sides' read models.
  await u.emit('conversation.accepted', [me, otherOf(conv, me)], { conversationId: String(id) });
  const view = await conversationView(u.deps, u.tx, me, { ...conv, state: 'open', accepted: true }, u.now);
  return view;
}

/**
 * Ignore a request: it is gone for the recipient; the sender is told nothing and still sees it
 * pending. A page's requests cannot be ignored (pages_cannot_ignore).
 */
export async function ignoreRequest(u: Uow, actor: Actor, id: number): Promise<ApiConversation> {
  const me = actor.member.id;
  const { conv } = await conversationFor(u.tx, id, me, { forUpdate: true });
  requireReceivedRequest(conv, me);
  const d = decideIgnoreRequest(toMemberFacts(u.deps, actor.member));
  enforce(d, u.now);
  await u.tx
    .update(conversationMembers)
    .set({ ignored: true, hidden: true, unread: 0 })
    .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
  await dropRequestNotifications(u, actor.member, id);
  // Internal: the sockets stop relaying typing into it at once (src/realtime/stream.ts).
  await u.emit('conversation.ignored', [me], { conversationId: String(id), memberId: me });
  const view = await conversationView(u.deps, u.tx, me, conv, u.now);
  return { ...view, unread: 0 };
}

/** Marks everything read; the other side learns it only when both have read receipts on. */
export async function markRead(u: Uow, actor: Actor, id: number): Promise<ApiConversation> {
  const me = actor.member.id;
  const { conv, theirs } = await conversationFor(u.tx, id, me, { forUpdate: true });
  await u.tx
    .update(conversationMembers)
    .set({ unread: 0, lastReadMessageId: conv.lastMessageId })
    .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
  const otherId = otherOf(conv, me);
  const other = await memberById(u.tx, otherId);
  if (other && readIsTold(actor.member.settings, other.settings, conv, me) && theirs && !theirs.ignored && conv.lastMessageId !== null) {
    await u.emit('read', [otherId], {
      conversationId: String(id),
      memberId: String(me),
      lastReadMessageId: String(conv.lastMessageId),
    });
  }
  return conversationView(u.deps, u.tx, me, conv, u.now);
}

/**
 * Hide a conversation (it comes back with the next message); deleting a received request also drops
 * it for good, or, for a page, until the sender writes again (deletedRequestReturns: their follow-up
 * is theirs again, and src/services/messaging.ts begins the thread anew with it).
 */
export async function hideConversation(u: Uow, actor: Actor, id: number): Promise<void> {
  const me = actor.member.id;
  const { conv } = await conversationFor(u.tx, id, me, { forUpdate: true });
  const dropRequest = conv.state === 'request' && conv.recipientId === me;
  const returns = dropRequest && deletedRequestReturns(actor.member);
  if (returns) await u.tx.update(conversations).set({ followUps: 0 }).where(eq(conversations.id, id));
  await u.tx
    .update(conversationMembers)
    .set(dropRequest ? { hidden: true, ignored: true, unread: 0 } : { hidden: true, unread: 0 })
    .where(and(eq(conversationMembers.conversationId, id), eq(conversationMembers.memberId, me)));
  if (dropRequest) await dropRequestNotifications(u, actor.member, id);
  // Internal; a page's delete changed the sender's side of the pair too (their follow-up): their read model forgets it.
  if (dropRequest) await u.emit('conversation.ignored', returns ? [me, otherOf(conv, me)] : [me], { conversationId: String(id), memberId: me });
}
