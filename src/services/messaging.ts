/**
 * Sending a message (DOMAIN.md 5): a new message to a member (`POST /v1/messages`) or a message
 * into an existing conversation (`POST /v1/conversations/:id/messages`). One transaction:
 *
 *   1. lock the pair (advisory, transaction-scoped) and the sender's member row, so follow-ups,
 *      quotas and InMail credits cannot race;
 *   2. write the InMail grants due (only when the sender asks for an InMail);
 *   3. gather the facts and ask the policy; a denial stores nothing;
 *   4. the conversation (one per pair), both sides' rows, the message, its attachments, the InMail
 *      spend or refunds, the bulk flag, and the outbox events — all committed together.
 */
import { createHash } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import {
  BULK_WINDOW_MS,
  charCount,
  decideIntroductionDelivery,
  decideMessage,
  decideReply,
  deny,
  isBulkSending,
  replyAccepts,
  requestFolder,
  sameTextKey,
} from '../policy/index.js';
import { selectRows, type Tx } from '../store/db.js';
import { claimConversationPair, liveConversationId, setConversationPair } from '../store/lookups.js';
import { conversationMembers, conversations, members, messageAttachments, messages } from '../store/schema.js';
import { ownedAttachments, toApiAttachment } from './attachments.js';
import {
  conversationFor,
  conversationView,
  lastClearedSql,
  lockPair,
  otherOf,
  toApiMessage,
  type Actor,
  type ApiConversation,
  type ApiMessage,
  type ConvRow,
} from './conversations/index.js';
import { AppError, badRequest, Refusal } from './errors.js';
import { refusal } from './decisions.js';
import { gatherFacts, withIntroductions } from './facts.js';
import { ensureGrants, refundOnReply, spendCredit } from './inmail.js';
import { notify, notifyGrant, notifyPageAdmins } from './notifications.js';
import { lockMembers, memberByHandle, memberById, type MemberRecord } from './members.js';
import { memberFor } from './projection.js';
import type { Uow } from './uow.js';
import { unlessHidden } from './hidden.js';

export interface SendInput {
  body: string;
  subject?: string | null;
  channel?: 'inmail';
  attachments?: string[];
}

export interface SendResult {
  message: ApiMessage;
  conversation: ApiConversation;
}

/** A digest of what "the same text" means for bulk detection (the policy's sameTextKey). */
export function bodyHash(text: string): string {
  return createHash('sha256').update(sameTextKey(text)).digest('hex');
}

function validateInput(input: SendInput) {
  const hasAttachments = (input.attachments?.length ?? 0) > 0;
  if (input.body.trim() === '' && !hasAttachments) throw badRequest('body: must not be blank', { field: 'body' });
}

/** A new message to `toHandle` (POST /v1/messages). */
export async function sendToMember(u: Uow, actor: Actor, toHandle: string, input: SendInput): Promise<SendResult> {
  validateInput(input);
  // A hidden recipient goes the unknown handle's way from here (same statements, same time);
  // a block committing meanwhile is still caught under the pair lock in deliver.
  const recipient = unlessHidden(u.deps, actor.member.id, await memberByHandle(u.tx, toHandle));
  return deliver(u, actor, recipient, input, null);
}

/** A message into conversation `conversationId` (POST /v1/conversations/:id/messages). */
export async function sendInConversation(u: Uow, actor: Actor, conversationId: number, input: SendInput): Promise<SendResult> {
  validateInput(input);
  const { conv } = await conversationFor(u.tx, conversationId, actor.member.id);
  const recipient = await memberById(u.tx, otherOf(conv, actor.member.id));
  return deliver(u, actor, recipient, input, conv.id);
}

/**
 * A forwarded introduction (DOMAIN.md 11): a message from the asker to the target on channel
 * `introduction`, decided by decideIntroductionDelivery (C's settings apply, tier reach does not).
 */
export async function deliverIntroduction(
  u: Uow,
  asker: MemberRecord,
  target: MemberRecord,
  body: string,
  introductionId: number,
  via: MemberRecord,
): Promise<SendResult> {
  return deliver(u, { member: asker, author: asker }, target, { body }, null, { id: introductionId, via });
}

async function deliver(
  u: Uow,
  actor: Actor,
  recipientIn: MemberRecord | null,
  input: SendInput,
  replyTo: number | null,
  intro: { id: number; via: MemberRecord } | null = null,
): Promise<SendResult> {
  const { tx, now, deps } = u;
  const policy = deps.policy;
  if (recipientIn && recipientIn.id !== actor.member.id) await lockPair(tx, actor.member.id, recipientIn.id);
  await lockMembers(tx, [actor.member.id]);
  // Fresh rows under the locks: flags (restricted, bulk) and settings may have changed meanwhile.
  const sender = (await memberById(tx, actor.member.id))!;
  const recipient = recipientIn ? await memberById(tx, recipientIn.id) : null;
  if (actor.author.id !== sender.id) {
    const author = await memberById(tx, actor.author.id);
    if (!author || author.restricted) throw refusal(deny('sender_restricted'), u.now);
  }
  const wantsInmail = replyTo === null && input.channel === 'inmail';
  // Introduction paths only matter to explain a denial (they are unlocks): decided without them
  // first, and gathered only when the send is refused.
  const { facts } = await gatherFacts(deps, tx, sender, recipient, now);
  const subject = input.subject ?? null;
  const decide = (f: typeof facts) =>
    intro
      ? decideIntroductionDelivery(f, now, policy)
      : replyTo === null
        ? decideMessage(f, { body: input.body, subject, ...(wantsInmail ? { channel: 'inmail' as const } : {}) }, now, policy)
        : decideReply(f, { body: input.body, subject: null }, now, policy);
  let decision = decide(facts);
  if (!decision.allowed && recipient) decision = decide(await withIntroductions(deps, tx, facts, sender.id, recipient.id, 3));
  if (!decision.allowed) {
    const field = decision.reason === 'too_long' ? (subject !== null && charCount(subject) > policy.inmailSubjectMaxChars ? 'subject' : 'body') : undefined;
    throw refusal(decision, now, field ? { field } : undefined);
  }
  if (subject !== null && charCount(subject) > policy.inmailSubjectMaxChars)
    throw new Refusal(deny('too_long'), now, { field: 'subject', maxChars: policy.inmailSubjectMaxChars }, 'the subject is too long');
  const rcpt = recipient!;
  const channel = decision.channel!;
  const delivery = decision.delivery!;
  const atts = await ownedAttachments(tx, input.attachments ?? [], [...new Set([sender.id, actor.author.id])]);

  // The live conversation of the pair (a block ends a thread for good): new, restarted (the sender
  // had ignored or deleted a request from the recipient: for the sender it no longer exists), or
  // continued, with its state as DOMAIN.md 5.1 says.
  const rel = facts.relationship;
  let conv = await liveConversation(tx, sender.id, rcpt.id);
  if (replyTo !== null && conv?.id !== replyTo) throw new AppError(404, 'not_found', 'no such conversation');
  const state: ConvRow['state'] = delivery === 'request' ? 'request' : 'open';
  // Request filters (DOMAIN.md 9): where a request arrives, the policy names its folder (`filtered`
  // when the sender matches an enabled filter); a follow-up stays in the folder its request is in.
  const recipientFolder =
    delivery === 'request'
      ? requestFolder(
          delivery,
          rcpt.settings.requestFilters,
          {
            senderCreatedAt: sender.createdAt,
            mutualConnections: deps.graph.mutualCount(rcpt.id, sender.id),
            recipientFollowsSender: deps.graph.isFollowing(rcpt.id, sender.id),
          },
          now,
          policy,
        )
      : 'inbox';
  let startedNow = false;
  /** the thread begins again as this sender's (an introduction, or the other side writing into a thread not accepted) */
  let restarted = false;
  if (!conv) {
    // The pair's live slot (conversation_live_pairs) decides a race between two first messages.
    if (await claimConversationPair(tx, sender.id, rcpt.id)) {
      [conv] = await tx
        .insert(conversations)
        .values({ starterId: sender.id, recipientId: rcpt.id, state, channel, createdAt: now, lastMessageAt: now })
        .returning();
      await setConversationPair(tx, sender.id, rcpt.id, conv.id);
    } else conv = await liveConversation(tx, sender.id, rcpt.id);
    conv = conv!;
    await tx
      .insert(conversationMembers)
      .values([
        { conversationId: conv.id, memberId: sender.id, folder: 'inbox', lastActivityAt: now },
        { conversationId: conv.id, memberId: rcpt.id, folder: recipientFolder, lastActivityAt: now },
      ])
      .onConflictDoNothing();
    startedNow = true;
  } else if (rel.conversation === null) {
    conv = await restartThread(u, conv, sender.id, rcpt.id, { state, channel, createdAt: now }, recipientFolder);
    await tx
      .update(conversationMembers)
      .set({ folder: 'inbox', ignored: false, hidden: false })
      .where(and(eq(conversationMembers.conversationId, conv.id), eq(conversationMembers.memberId, sender.id)));
    startedNow = true;
  } else if (intro && delivery === 'request') {
    // An introduction is a new request from the asker in the pair's thread (not a follow-up). The
    // asker may have had the thread in their requests (a request from the target they had not
    // answered): their own request now waits in their inbox (model finding 4).
    conv = await restartThread(u, conv, sender.id, rcpt.id, { state, channel }, recipientFolder);
    restarted = true;
    await tx
      .update(conversationMembers)
      .set({ folder: 'inbox' })
      .where(and(eq(conversationMembers.conversationId, conv.id), eq(conversationMembers.memberId, sender.id)));
  } else if (channel === 'direct' || intro) {
    // Connected, accepted, or this reply lets the other side in (isReply: DOMAIN.md 5.1).
    const accepts = replyAccepts(facts);
    if (conv.state === 'request' || accepts) {
      await tx
        .update(conversations)
        .set({ state: 'open', ...(accepts ? { accepted: true } : {}) })
        .where(eq(conversations.id, conv.id));
      if (conv.state === 'request') await tx.update(conversationMembers).set({ folder: 'inbox' }).where(eq(conversationMembers.conversationId, conv.id));
      conv = { ...conv, state: 'open', accepted: conv.accepted || accepts };
    }
  } else if (conv.starterId !== sender.id) {
    // The other side writes into a thread that is not accepted (after a removed connection): it is
    // theirs now, on the channel that applies.
    conv = await restartThread(u, conv, sender.id, rcpt.id, { state, channel }, recipientFolder);
    restarted = true;
  } else if (conv.state === 'request' && delivery === 'request') {
    await tx
      .update(conversations)
      .set({ followUps: sql`${conversations.followUps} + 1`, channel })
      .where(eq(conversations.id, conv.id));
    conv = { ...conv, followUps: conv.followUps + 1, channel };
  } else {
    // Not accepted: the message takes the channel that applies now; a request sends the thread back
    // to the recipient's requests, an inbox channel brings it to their inbox.
    conv = await restartThread(u, conv, sender.id, rcpt.id, { state, channel }, recipientFolder);
  }

  const toNonConnection = rel.degree !== 1;
  const hash = bodyHash(input.body);
  const [msg] = await tx
    .insert(messages)
    .values({
      conversationId: conv.id,
      senderId: sender.id,
      authorId: actor.author.id !== sender.id ? actor.author.id : null,
      body: input.body,
      subject,
      channel,
      bodyHash: hash,
      toNonConnection,
      recipientId: rcpt.id,
      introductionId: intro?.id ?? null,
      createdAt: now,
    })
    .returning();
  const message = msg;
  if (atts.length) await tx.insert(messageAttachments).values(atts.map((a) => ({ messageId: message.id, attachmentId: a.id })));
  await tx.update(conversations).set({ lastMessageAt: now, lastMessageId: message.id }).where(eq(conversations.id, conv.id));
  conv = { ...conv, lastMessageAt: now, lastMessageId: message.id };
  await tx
    .update(conversationMembers)
    .set({ lastActivityAt: now, lastMessageId: message.id, hidden: false, unread: 0, lastReadMessageId: message.id })
    .where(and(eq(conversationMembers.conversationId, conv.id), eq(conversationMembers.memberId, sender.id)));
  const [theirs] = await tx
    .update(conversationMembers)
    .set({ lastActivityAt: now, lastMessageId: message.id, hidden: false, unread: sql`${conversationMembers.unread} + 1` })
    .where(and(eq(conversationMembers.conversationId, conv.id), eq(conversationMembers.memberId, rcpt.id), eq(conversationMembers.ignored, false)))
    .returning({ memberId: conversationMembers.memberId, folder: conversationMembers.folder });
  const recipientSees = theirs !== undefined;

  if (channel === 'inmail' && decision.cost) {
    const pools = await ensureGrants(tx, sender, now, policy, (g) => notifyGrant(u, sender, g.amount));
    if ((await spendCredit(tx, sender, pools, message.id, now, decision.cost.inmailCredits)) === null) throw refusal(deny('no_inmail_credits'), now);
  }
  if (!startedNow) await refundOnReply(tx, conv.id, sender.id, now, policy);
  if (toNonConnection && !sender.bulkFlagged && !intro) await flagBulk(u, sender.id, hash);

  // The event reaches the recipient: the sender as the recipient may see them (the sender knows themself).
  const apiMessage = toApiMessage(message, memberFor(deps, rcpt.id, sender, now), atts.map(toApiAttachment));
  await u.emit('message.created', recipientSees ? [sender.id, rcpt.id] : [sender.id], {
    conversationId: String(conv.id),
    message: apiMessage,
  });
  // A new request for the recipient: a new thread, or one that begins again as a request (DOMAIN.md 5.1).
  if ((startedNow || restarted) && delivery === 'request' && recipientSees) {
    await u.emit('conversation.request', [rcpt.id], {
      conversationId: String(conv.id),
      from: memberFor(deps, rcpt.id, sender, now),
      message: apiMessage,
      folder: theirs.folder,
    });
  }
  // Notifications (DOMAIN.md 9), in this transaction: an InMail, a message request (not one a filter
  // set aside, nor one the recipient ignored: the policy's notifies), a page's request for its admins.
  if (recipientSees && intro)
    // an introduction is not a cold request: its own kind, from the introducer (none when filtered)
    await notify(u, { recipient: rcpt, kind: 'introduction.forwarded', actor: intro.via, conversationId: conv.id, requestFolder: theirs.folder });
  else if (recipientSees && channel === 'inmail') await notify(u, { recipient: rcpt, kind: 'inmail.received', actor: sender, conversationId: conv.id });
  else if (recipientSees && delivery === 'request' && rcpt.kind === 'page') await notifyPageAdmins(u, rcpt, sender, conv.id, theirs.folder);
  else if (recipientSees && delivery === 'request')
    await notify(u, { recipient: rcpt, kind: 'request.received', actor: sender, conversationId: conv.id, requestFolder: theirs.folder });
  return {
    message: { ...apiMessage, sender: memberFor(deps, sender.id, sender, now) },
    conversation: await conversationView(deps, tx, sender.id, conv, now),
  };
}

/**
 * The same text (normalized) to `bulkRecipientsThreshold` distinct non-connections within 24
 * hours (counted since an operator last cleared the sender) flags the sender as bulk.
 */
async function flagBulk(u: Uow, senderId: number, hash: string): Promise<void> {
  const since = new Date(u.now.getTime() - BULK_WINDOW_MS);
  const res = await selectRows<{ n: unknown }>(
    u.tx,
    sql`
    select count(distinct recipient_id)::int as n from ${messages}
     where sender_id = ${senderId} and body_hash = ${hash} and to_non_connection and created_at > ${since}
       and created_at > coalesce(${lastClearedSql(senderId)}, '-infinity'::timestamptz)
  `,
  );
  if (isBulkSending(Number(res[0]?.n ?? 0), u.deps.policy)) {
    await u.tx.update(members).set({ bulkFlagged: true }).where(eq(members.id, senderId));
    await u.emit('member.bulk_flagged', [senderId], { memberId: senderId });
  }
}

/** The live (not ended) conversation of a pair, locked: found through the pair's lookup row, then by id. */
async function liveConversation(tx: Tx, a: number, b: number) {
  const id = await liveConversationId(tx, a, b);
  if (id === undefined) return undefined;
  const [conv] = await tx
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, id), isNull(conversations.endedAt)))
    .for('no key update');
  return conv;
}

/**
 * The thread as `starter` writes into it now: theirs, on `set.channel`, not accepted, no follow-ups
 * yet; the recipient's side moves to the folder the delivery names.
 */
async function restartThread(
  u: Uow,
  conv: ConvRow,
  starter: number,
  recipient: number,
  set: { state: ConvRow['state']; channel: string; createdAt?: Date },
  recipientFolder: 'inbox' | 'requests' | 'filtered',
): Promise<ConvRow> {
  const next = { starterId: starter, recipientId: recipient, followUps: 0, accepted: false, ...set };
  await u.tx.update(conversations).set(next).where(eq(conversations.id, conv.id));
  await u.tx
    .update(conversationMembers)
    .set({ folder: recipientFolder, ignored: false, hidden: false })
    .where(and(eq(conversationMembers.conversationId, conv.id), eq(conversationMembers.memberId, recipient)));
  return { ...conv, ...next };
}
