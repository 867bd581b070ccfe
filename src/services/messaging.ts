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
import { and, eq, type SQL } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import {
  BULK_WINDOW_MS,
  charCount,
  decideIntroductionDelivery,
  decideMessage,
  decideReply,
  deletedOnReturn,
  deletedRequestReturns,
  deny,
  isBlank,
  isBulkSending,
  tooLongForAnyChannel,
  becomesBetweenConnections,
  replyAccepts,
  requestFolder,
  sameTextKey,
} from '../policy/index.js';
import { rowDate, runWithNext, selectRows, type Tx } from '../store/db.js';
import { parseSpans } from '../store/spans.js';
import { claimConversationPair, liveConversationId, setConversationPair } from '../store/lookups.js';
import type { PairRows } from './cache.js';
import type { Deps } from './context.js';
import { conversationMembers, conversations, members, messageAttachments, messages } from '../store/schema.js';
import { ownedAttachments, toApiAttachment } from './attachments.js';
import {
  conversationFor,
  conversationView,
  lastClearedSql,
  otherOf,
  toApiMessage,
  viewOf,
  type Actor,
  type ApiConversation,
  type ApiMessage,
  type ConvRow,
  type MemberSide,
  type MessageRow,
} from './conversations/index.js';
import { AppError, badRequest, notFound, Refusal, unauthenticated } from './errors.js';
import { refusal } from './decisions.js';
import { countersBump, fromJoins } from './counters.js';
import { factsFromRows, factsWithoutPair, quotaColumns, relationshipColumns, withIntroductions } from './facts.js';
import { ensureGrants, refundOnReply, spendCredit } from './inmail.js';
import { notify, notifyGrant, notifyPageAdmins } from './notifications.js';
import { sessionLive } from './accounts.js';
import { lockMembers, memberByHandle, memberById, membersFromJson, membersJsonColumn, type MemberRecord } from './members.js';
import { memberFor } from './projection.js';
import type { Uow } from './uow.js';
import { unlessHidden } from './hidden.js';
import { isPageAdmin } from './pages.js';

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
  if (isBlank(input.body) && !hasAttachments) throw badRequest('body: must not be blank', { field: 'body' });
}

/**
 * A new message to `toHandle` (POST /v1/messages). `known`: whom the handle named in the read model
 * (cachedMemberByHandle, before the transaction), used only to know which pair to lock: the send
 * reads the member again under its locks, and reads the handle itself when it no longer names them.
 */
export async function sendToMember(
  u: Uow,
  actor: Actor,
  toHandle: string,
  input: SendInput,
  opts: { known?: MemberRecord | null; session?: string } = {},
): Promise<SendResult> {
  validateInput(input);
  const { known, session } = opts;
  // A hidden recipient goes the unknown handle's way from here (same statements, same time);
  // a block committing meanwhile is still caught under the pair lock in deliver.
  const named = known !== undefined ? known : await memberByHandle(u.tx, toHandle);
  const recipient = unlessHidden(u.deps, actor.member.id, named);
  const sent = await deliver(u, actor, recipient, input, { handle: known !== undefined ? toHandle : null, session });
  if (sent !== HANDLE_MOVED) return sent;
  const current = unlessHidden(u.deps, actor.member.id, await memberByHandle(u.tx, toHandle));
  return (await deliver(u, actor, current, input, { session })) as SendResult;
}

/** deliver's answer when the member it was given no longer has the handle the request named. */
const HANDLE_MOVED = Symbol('handle moved');
const sameHandle = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A message into conversation `conversationId` (POST /v1/conversations/:id/messages). */
export async function sendInConversation(u: Uow, actor: Actor, conversationId: number, input: SendInput): Promise<SendResult> {
  validateInput(input);
  const { conv } = await conversationFor(u.tx, conversationId, actor.member.id);
  const recipient = await memberById(u.tx, otherOf(conv, actor.member.id));
  return (await deliver(u, actor, recipient, input, { replyTo: conv.id })) as SendResult;
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
  return (await deliver(u, { member: asker, author: asker }, target, { body }, { intro: { id: introductionId, via } })) as SendResult;
}

/**
 * The pair's lock, then the sender's row (in that order, as every verb on a pair takes them), sent
 * with the send's read (runWithNext: one round trip for both, the read's snapshot taken after the
 * locks are held).
 */
async function lockForSend(tx: Tx, senderId: number, recipientId: number | null): Promise<void> {
  if (recipientId === null || recipientId === senderId) {
    await lockMembers(tx, [senderId]);
    return;
  }
  // The select list is evaluated left to right: the advisory lock is held before the row is asked for.
  await runWithNext(
    tx,
    sql`select pg_advisory_xact_lock(${Math.min(senderId, recipientId)}::int, ${Math.max(senderId, recipientId)}::int),
                  (select id from ${members} where id = ${senderId} for no key update) as locked`,
  );
}

/** The conversation a send continues, as read with its other rows: the row (locked), both sides, whether the other side sent InMail. */
interface ConvRead {
  conv: ConvRow | null;
  sides: Map<number, MemberSide>;
  inmailFromOther: boolean;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as unknown;

function convReadFrom(r: Record<string, unknown>): ConvRead {
  const c = json(r.conv) as Record<string, unknown> | null;
  const conv: ConvRow | null = c
    ? {
        id: Number(c.id),
        starterId: Number(c.starter_id),
        recipientId: Number(c.recipient_id),
        state: c.state as ConvRow['state'],
        channel: c.channel as ConvRow['channel'],
        followUps: Number(c.follow_ups),
        accepted: c.accepted === true,
        endedAt: rowDate(c.ended_at),
        createdAt: rowDate(c.created_at)!,
        lastMessageAt: rowDate(c.last_message_at)!,
        lastMessageId: c.last_message_id === null ? null : Number(c.last_message_id),
      }
    : null;
  const sides = new Map<number, MemberSide>();
  for (const x of (json(r.sides) ?? []) as Record<string, unknown>[]) {
    sides.set(Number(x.member_id), {
      conversationId: Number(x.conversation_id),
      memberId: Number(x.member_id),
      folder: x.folder as MemberSide['folder'],
      unread: Number(x.unread),
      lastReadMessageId: x.last_read_message_id === null ? null : Number(x.last_read_message_id),
      lastMessageId: x.last_message_id === null ? null : Number(x.last_message_id),
      hidden: x.hidden === true,
      ignored: x.ignored === true,
      lastActivityAt: rowDate(x.last_activity_at)!,
      requestFrom: x.request_from === null || x.request_from === undefined ? null : Number(x.request_from),
      deletedSpans: parseSpans(x.deleted_spans as string | null),
    });
  }
  return { conv, sides, inmailFromOther: r.inmail_from_other === true };
}

/** The columns of a ConvRead for the conversation the CTE `c` locked (`id`: its id, or an expression for it). */
function convColumns(id: number | SQL, senderId: number, recipientId: number) {
  return sql`(select row_to_json(c) from c) as conv,
    (select coalesce(json_agg(cm), '[]'::json) from conversation_members cm where cm.conversation_id = ${id} and cm.member_id in (${senderId}, ${recipientId})) as sides,
    exists(select 1 from messages m where m.conversation_id = ${id} and m.sender_id <> ${senderId} and m.channel = 'inmail') as inmail_from_other`;
}
/** The pair's conversation as the relationship facts read it: with the sender's side's `ignored`. */
function pairConversation(read: ConvRead, senderId: number): PairRows['conversation'] {
  const c = read.conv;
  if (!c) return null;
  return {
    id: c.id,
    starterId: c.starterId,
    state: c.state,
    channel: c.channel,
    followUps: c.followUps,
    accepted: c.accepted,
    ignored: read.sides.get(senderId)?.ignored ?? null,
  };
}

/** The CTE `c`: the conversation by id, locked. */
const lockedConv = (id: number) => sql`with c as (select * from ${conversations} where id = ${id} and ended_at is null for no key update) `;
/** The CTE `c`: the pair's live conversation through its lookup row, locked (one statement; not on Citus, where the two tables live apart). */
const lockedPairConv = (a: number, b: number) =>
  sql`with c as (select cv.* from conversation_live_pairs p join ${conversations} cv on cv.id = p.conversation_id
                  where p.lo = ${Math.min(a, b)} and p.hi = ${Math.max(a, b)} and cv.ended_at is null for no key update of cv) `;

async function readConversation(tx: Tx, id: number, senderId: number, recipientId: number): Promise<ConvRead> {
  const [r] = await selectRows<Record<string, unknown>>(tx, sql`${lockedConv(id)}select ${convColumns(id, senderId, recipientId)}`);
  return convReadFrom(r);
}

/**
 * Everything a send decides and writes from, under its locks, in one round trip: the members
 * (fresh: flags and settings may have changed), the sender's counters, the pair's rows, the pair's
 * live conversation (locked) with both sides, and the new message's id. On Citus the conversation
 * is found by its lookup row first (one more round trip).
 */
async function readForSend(
  deps: Deps,
  tx: Tx,
  ids: { sender: number; recipient: number | null; author: number; replyTo: number | null; session?: string; bulkHash?: string },
  now: Date,
) {
  const { sender: s, recipient: r, author: a, replyTo } = ids;
  const pair = r !== null && r !== s;
  // the bulk rule's count before this message, when the graph says the pair is not connected
  const bulk = ids.bulkHash !== undefined && pair ? bulkColumns(s, r, ids.bulkHash, now) : sql``;
  // the caller's session, when the request was let in by the read model's copy of it
  const session = ids.session !== undefined ? sql`, ${sessionLive(a, ids.session)} as session_live` : sql``;
  let conv: SQL = sql``;
  let cols: SQL = sql``;
  let byId: number | null = null;
  if (pair) {
    byId = replyTo ?? (deps.store.distributed ? ((await liveConversationId(tx, s, r)) ?? null) : null);
    if (byId !== null) [conv, cols] = [lockedConv(byId), sql`, ${convColumns(byId, s, r)}`];
    else if (!deps.store.distributed)
      // with, when the pair has no live conversation, the id of the one this send will start
      [conv, cols] = [
        lockedPairConv(s, r),
        sql`, ${convColumns(sql`(select id from c)`, s, r)},
          case when not exists (select 1 from c) then nextval(pg_get_serial_sequence('conversations', 'id')) end as new_conversation_id`,
      ];
  }
  const quota = quotaColumns(s, now);
  const [row] = await selectRows<Record<string, unknown>>(
    tx,
    sql`${conv}select ${membersJsonColumn([s, a, ...(r !== null ? [r] : [])])} as people, ${quota.columns}
      ${pair ? sql`, ${relationshipColumns(deps, s, r, now)}` : sql``}${cols}${session}${bulk},
      nextval(pg_get_serial_sequence('messages', 'id')) as message_id ${fromJoins(quota)}`,
  );
  let read: ConvRead = { conv: null, sides: new Map(), inmailFromOther: false };
  if (pair) {
    // the pair's live conversation, as its lookup row names it in this statement's snapshot
    const live = row.conv_id === null || row.conv_id === undefined ? null : Number(row.conv_id);
    if (live !== null && (byId === null || live === byId)) read = convReadFrom(row);
  }
  const fresh = row.new_conversation_id === null || row.new_conversation_id === undefined ? null : Number(row.new_conversation_id);
  return { row, people: membersFromJson(row.people), conv: read, messageId: Number(row.message_id), newConversationId: read.conv ? null : fresh };
}

/**
 * The bulk rule's count (DOMAIN.md 8) as the send's columns: distinct non-connections sent the same
 * text within 24 hours since an operator last cleared the sender, and whether `recipientId` is one
 * of them (the sender's row lock serializes their sends: the count is exact).
 */
function bulkColumns(senderId: number, recipientId: number, hash: string, now: Date) {
  const same = sameTextSent(senderId, hash, now);
  return sql`, (select count(distinct recipient_id) ${same})::int as bulk_n, exists(select 1 ${same} and recipient_id = ${recipientId}) as bulk_seen`;
}

/** The sender's messages the bulk rule counts: the same text to non-connections within 24 hours, since an operator last cleared them. */
function sameTextSent(senderId: number, hash: string, now: Date) {
  return sql`from ${messages} where sender_id = ${senderId} and body_hash = ${hash} and to_non_connection and created_at > ${new Date(now.getTime() - BULK_WINDOW_MS)}
       and created_at > coalesce(${lastClearedSql(senderId)}, '-infinity'::timestamptz)`;
}

/** Merged column sets for one row each: a deferred statement must not update a row twice. */
class RowSets<K> {
  private readonly sets = new Map<K, Record<string, unknown>>();
  set(key: K, cols: Record<string, unknown>): void {
    this.sets.set(key, { ...(this.sets.get(key) ?? {}), ...cols });
  }
  get(key: K): Record<string, unknown> | undefined {
    return this.sets.get(key);
  }
  entries() {
    return this.sets.entries();
  }
}

/**
 * How a send came: `replyTo` the conversation it was written into, `intro` the introduction it
 * forwards, `handle` the handle the request named (the recipient must still have it), `session`
 * the caller's session as the read model knew it (the send checks it under its locks).
 */
interface DeliverOptions {
  replyTo?: number | null;
  intro?: { id: number; via: MemberRecord } | null;
  handle?: string | null;
  session?: string;
}

async function deliver(
  u: Uow,
  actor: Actor,
  recipientIn: MemberRecord | null,
  input: SendInput,
  opts: DeliverOptions = {},
): Promise<SendResult | typeof HANDLE_MOVED> {
  const replyTo = opts.replyTo ?? null;
  const intro = opts.intro ?? null;
  const handle = opts.handle ?? null;
  const { tx, now, deps } = u;
  const policy = deps.policy;
  const senderId = actor.member.id;
  const rid = recipientIn?.id ?? null;
  // Round trip 1: the locks. Round trip 2: every row the send needs, read under them.
  await lockForSend(tx, senderId, rid);
  // A body too long for any channel is refused by the decision below: not hashed (a 1 MiB body's
  // normalization held the locks for a tenth of a second; found by a reviewer).
  const hash = tooLongForAnyChannel(input.body, policy) ? '' : bodyHash(input.body);
  // Not connected as far as the graph knows: the bulk rule's count comes with the rows.
  const bulkHash = rid !== null && !intro && !actor.member.bulkFlagged && !deps.graph.isConnected(senderId, rid) ? hash : undefined;
  const read = await readForSend(deps, tx, { sender: senderId, recipient: rid, author: actor.author.id, replyTo, session: opts.session, bulkHash }, now);
  if (read.row.session_live === false) throw unauthenticated();
  const sender = read.people.get(senderId)!;
  const recipient = rid !== null ? (read.people.get(rid) ?? null) : null;
  if (handle !== null && recipient && !sameHandle(recipient.handle, handle)) return HANDLE_MOVED;
  if (actor.author.id !== sender.id) {
    const author = read.people.get(actor.author.id);
    if (!author || author.restricted) throw refusal(deny('sender_restricted'), u.now);
    // still one of the page's admins, under the page's row lock (a removal takes it): an admin
    // removed while writing as the page wrote after the removal (found by a reviewer)
    if (!(await isPageAdmin(tx, sender.id, author.id))) throw notFound('no such page');
  }
  const wantsInmail = replyTo === null && input.channel === 'inmail';
  // Introduction paths only matter to explain a denial (they are unlocks): decided without them
  // first, and gathered only when the send is refused.
  const { facts } =
    recipient && recipient.id !== sender.id
      ? await factsFromRows(deps, tx, sender, recipient, read.row, { row: read.row, conversation: pairConversation(read.conv, sender.id) }, now)
      : factsWithoutPair(deps, sender, recipient, read.row, now);
  const subject = input.subject ?? null;
  const decide = (f: typeof facts) =>
    intro
      ? decideIntroductionDelivery(f, now, policy)
      : replyTo === null
        ? decideMessage(f, { body: input.body, subject, ...(wantsInmail ? { channel: 'inmail' as const } : {}) }, now, policy)
        : decideReply(f, { body: input.body, subject: null }, now, policy);
  let decision = decide(facts);
  if (!decision.allowed && recipient) decision = decide(await withIntroductions(deps, tx, facts, sender.id, recipient.id, 3, now));
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
  // continued, with its state as DOMAIN.md 5.1 says. Its writes are deferred (round trip 3), merged
  // into one update per row.
  const rel = facts.relationship;
  let conv = read.conv.conv ?? undefined;
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
  const convSet: Record<string, unknown> = {};
  const sideSets = new RowSets<number>();
  let sides = read.conv.sides;
  let startedNow = false;
  /** the thread begins again as this sender's (an introduction, or the other side writing into a thread not accepted) */
  let restarted = false;
  const restart = (set: { state: ConvRow['state']; channel: ConvRow['channel']; createdAt?: Date }) => {
    // The thread as the sender writes into it now: theirs, on `set.channel`, not accepted, no
    // follow-ups yet; the recipient's side moves to the folder the delivery names.
    const next = { starterId: sender.id, recipientId: rcpt.id, followUps: 0, accepted: false, ...set };
    Object.assign(convSet, next);
    sideSets.set(rcpt.id, { folder: recipientFolder, ignored: false, hidden: false, ...(set.state === 'request' ? { requestFrom: read.messageId } : {}) });
    return { ...conv!, ...next };
  };
  /** a conversation this send starts, written with its message (round trip 3) */
  let started = false;
  /** this send starts the pair's thread, or begins it again after it ended: counted against the sender's monthly quotas */
  let begun = false;
  if (!conv && read.newConversationId !== null) {
    // The pair's lock is held and no live conversation was found under it: its slot is free (only a
    // send, under the same lock, takes it). The rows go out with the message, as they end up.
    conv = {
      id: read.newConversationId,
      starterId: sender.id,
      recipientId: rcpt.id,
      state,
      channel,
      followUps: 0,
      accepted: false,
      endedAt: null,
      createdAt: now,
      lastMessageAt: now,
      lastMessageId: null,
    };
    sides = new Map();
    started = startedNow = begun = true;
  } else if (!conv) {
    // The pair's live slot (conversation_live_pairs) decides a race between two first messages.
    if (await claimConversationPair(tx, sender.id, rcpt.id)) {
      [conv] = await tx
        .insert(conversations)
        .values({ starterId: sender.id, recipientId: rcpt.id, state, channel, createdAt: now, lastMessageAt: now })
        .returning();
      await setConversationPair(tx, sender.id, rcpt.id, conv.id);
      begun = true;
    } else conv = (await readConversation(tx, (await liveConversationId(tx, sender.id, rcpt.id))!, sender.id, rcpt.id)).conv!;
    const inserted = await tx
      .insert(conversationMembers)
      .values([
        { conversationId: conv.id, memberId: sender.id, folder: 'inbox', lastActivityAt: now },
        { conversationId: conv.id, memberId: rcpt.id, folder: recipientFolder, lastActivityAt: now, requestFrom: state === 'request' ? read.messageId : null },
      ])
      .onConflictDoNothing()
      .returning();
    sides = new Map(inserted.map((x) => [x.memberId, x]));
    startedNow = true;
  } else if (rel.conversation === null) {
    conv = restart({ state, channel, createdAt: now });
    sideSets.set(sender.id, { folder: 'inbox', ignored: false, hidden: false });
    startedNow = begun = true;
  } else if (intro && delivery === 'request') {
    // An introduction is a new request from the asker in the pair's thread (not a follow-up). The
    // asker may have had the thread in their requests (a request from the target they had not
    // answered): their own request now waits in their inbox (model finding 4).
    conv = restart({ state, channel });
    restarted = true;
    sideSets.set(sender.id, { folder: 'inbox' });
  } else if (channel === 'direct' || intro) {
    // Connected, accepted, or this reply lets the other side in (isReply: DOMAIN.md 5.1).
    const accepts = replyAccepts(facts);
    if (becomesBetweenConnections(facts, channel)) {
      convSet.channel = 'direct';
      conv = { ...conv, channel: 'direct' };
    }
    if (conv.state === 'request' || accepts) {
      Object.assign(convSet, { state: 'open', ...(accepts ? { accepted: true } : {}) });
      if (conv.state === 'request') {
        sideSets.set(sender.id, { folder: 'inbox' });
        // a request the recipient ignored comes back with the message that opens it, as a new
        // request from the sender would (ignored, the message reached no one: found by a member)
        sideSets.set(rcpt.id, { folder: 'inbox', ignored: false });
      }
      conv = { ...conv, state: 'open', accepted: conv.accepted || accepts };
    }
  } else if (conv.starterId !== sender.id) {
    // The other side writes into a thread that is not accepted (after a removed connection): it is
    // theirs now, on the channel that applies.
    conv = restart({ state, channel });
    restarted = true;
  } else if (conv.state === 'request' && delivery === 'request' && sides.get(rcpt.id)?.ignored === true && deletedRequestReturns(rcpt)) {
    // A request a page's admin deleted: the sender's next message brings it back as a new request.
    conv = restart({ state, channel });
    restarted = true;
  } else if (conv.state === 'request' && delivery === 'request') {
    Object.assign(convSet, { followUps: conv.followUps + 1, channel });
    conv = { ...conv, followUps: conv.followUps + 1, channel };
  } else {
    // Not accepted: the message takes the channel that applies now; a request sends the thread back
    // to the recipient's requests, an inbox channel brings it to their inbox.
    conv = restart({ state, channel });
  }

  const toNonConnection = rel.degree !== 1;
  const message: MessageRow = {
    id: read.messageId,
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
  };
  // The message's id was drawn with the rows (round trip 2): its row, the conversation's and both
  // sides' go out with the outbox row, in the last statement.
  u.later(sql`insert into ${messages} (id, conversation_id, sender_id, author_id, body, subject, channel, body_hash, to_non_connection, recipient_id, introduction_id, created_at)
    overriding system value values (${message.id}, ${message.conversationId}, ${message.senderId}, ${message.authorId}, ${message.body}, ${message.subject},
      ${message.channel}, ${message.bodyHash}, ${message.toNonConnection}, ${message.recipientId}, ${message.introductionId}, ${now})`);
  u.later(countersBump(sender.id, now, { message: true, ...(begun ? { started: channel } : {}) }));
  if (atts.length) u.later(tx.insert(messageAttachments).values(atts.map((a) => ({ messageId: message.id, attachmentId: a.id }))));
  if (started) {
    const lo = Math.min(sender.id, rcpt.id);
    const hi = Math.max(sender.id, rcpt.id);
    u.later(sql`insert into ${conversations} (id, starter_id, recipient_id, state, channel, created_at, last_message_at, last_message_id)
      overriding system value values (${conv.id}, ${sender.id}, ${rcpt.id}, ${state}, ${channel}, ${now}, ${now}, ${message.id})`);
    u.later(sql`insert into conversation_live_pairs (lo, hi, conversation_id) values (${lo}, ${hi}, ${conv.id})`);
    const fresh: MemberSide[] = [
      {
        conversationId: conv.id,
        memberId: sender.id,
        folder: 'inbox',
        unread: 0,
        lastReadMessageId: message.id,
        lastMessageId: message.id,
        hidden: false,
        ignored: false,
        lastActivityAt: now,
        requestFrom: null,
        deletedSpans: [],
      },
      {
        conversationId: conv.id,
        memberId: rcpt.id,
        folder: recipientFolder,
        unread: 1,
        lastReadMessageId: null,
        lastMessageId: message.id,
        hidden: false,
        ignored: false,
        lastActivityAt: now,
        requestFrom: state === 'request' ? message.id : null,
        deletedSpans: [],
      },
    ];
    u.later(tx.insert(conversationMembers).values(fresh));
    sides = new Map(fresh.map((x) => [x.memberId, x]));
  } else
    u.later(
      tx
        .update(conversations)
        .set({ ...convSet, lastMessageAt: now, lastMessageId: message.id })
        .where(eq(conversations.id, conv.id)),
    );
  conv = { ...conv, lastMessageAt: now, lastMessageId: message.id };
  sideSets.set(sender.id, { lastActivityAt: now, lastMessageId: message.id, hidden: false, unread: 0, lastReadMessageId: message.id });
  // The recipient's side counts the message unless they ignored the thread (and nothing above lets it in again).
  const theirsBefore = sides.get(rcpt.id);
  const letsIn = sideSets.get(rcpt.id)?.ignored === false;
  const recipientSees = theirsBefore !== undefined && (letsIn || !theirsBefore.ignored);
  if (recipientSees) sideSets.set(rcpt.id, { lastActivityAt: now, lastMessageId: message.id, hidden: false, unread: sql`${conversationMembers.unread} + 1` });
  else sideSets.set(rcpt.id, {}); // an ignored side keeps its counts (a folder move above still applies)
  // A side that had ignored a request (deleted for them: DOMAIN.md 5) takes the thread back with this
  // message: the request and what followed it unseen stay gone for them, what came before stays
  // theirs (deletedOnReturn; found by two members and a reviewer).
  for (const id of [sender.id, rcpt.id]) {
    const before = sides.get(id);
    if (before?.ignored === true && sideSets.get(id)?.ignored === false) {
      const [from, to] = deletedOnReturn(before.requestFrom, message.id);
      sideSets.set(id, { deletedSpans: sql`${conversationMembers.deletedSpans} + int8multirange(int8range(${from}, ${to}))` });
    }
  }
  for (const [memberId, set] of sideSets.entries()) {
    if (started || Object.keys(set).length === 0) continue; // a new thread's sides are written as they end up
    u.later(
      tx
        .update(conversationMembers)
        .set(set)
        .where(and(eq(conversationMembers.conversationId, conv.id), eq(conversationMembers.memberId, memberId))),
    );
  }
  const theirFolder = (sideSets.get(rcpt.id)?.folder as MemberSide['folder'] | undefined) ?? theirsBefore?.folder ?? 'inbox';

  if (channel === 'inmail' && decision.cost) {
    await u.flush(); // the spend names the message
    const pools = await ensureGrants(tx, sender, now, policy, (g) => notifyGrant(u, sender, g.amount));
    if ((await spendCredit(tx, sender, pools, message.id, now, decision.cost.inmailCredits)) === null) throw refusal(deny('no_inmail_credits'), now);
  }
  if (read.conv.inmailFromOther) {
    // A message into the thread that holds the other side's InMails is a reply to them (DOMAIN.md 5),
    // a thread begun again in it too (the recipient had ignored a later request in it; found by a
    // member). The InMail's sender's monthly grants due are written
    // before their refund: a grant is capped on the balance before it, which a refund written first
    // would have raised (a credit lost: found by a reviewer).
    await ensureGrants(tx, rcpt, now, policy, (g) => notifyGrant(u, rcpt, g.amount));
    await refundOnReply(tx, conv.id, sender.id, now, policy);
  }
  if (toNonConnection && !sender.bulkFlagged && !intro) {
    if (read.row.bulk_n !== undefined) {
      // the count read with the rows, and this message
      if (isBulkSending(Number(read.row.bulk_n) + (read.row.bulk_seen === true ? 0 : 1), policy)) {
        u.later(tx.update(members).set({ bulkFlagged: true }).where(eq(members.id, sender.id)));
        await u.emit('member.bulk_flagged', [sender.id], { memberId: sender.id });
      }
    } else {
      await u.flush(); // the count includes this message
      await flagBulk(u, sender.id, hash);
    }
  }

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
      folder: theirFolder,
    });
  }
  // Notifications (DOMAIN.md 9), in this transaction: an InMail, a message request (not one a filter
  // set aside, nor one the recipient ignored: the policy's notifies), a page's request for its admins.
  if (recipientSees && intro)
    // an introduction is not a cold request: its own kind, from the introducer (none when filtered)
    await notify(u, { recipient: rcpt, kind: 'introduction.forwarded', actor: intro.via, conversationId: conv.id, requestFolder: theirFolder });
  else if (recipientSees && channel === 'inmail') await notify(u, { recipient: rcpt, kind: 'inmail.received', actor: sender, conversationId: conv.id });
  else if (recipientSees && delivery === 'request' && rcpt.kind === 'page') await notifyPageAdmins(u, rcpt, sender, conv.id, theirFolder);
  else if (recipientSees && delivery === 'request')
    await notify(u, { recipient: rcpt, kind: 'request.received', actor: sender, conversationId: conv.id, requestFolder: theirFolder });
  const mine = { ...(sides.get(sender.id) ?? { folder: 'inbox' as const, lastReadMessageId: null }), ...sideSets.get(sender.id), unread: 0 };
  const ownMessage = { ...apiMessage, sender: memberFor(deps, sender.id, sender, now) };
  // The sender's view of the thread, from what the send knows (an introduction's message carries
  // its introducer, an attachment its stored order: those read it back after the writes).
  let view: ApiConversation;
  if (intro || atts.length) {
    await u.flush();
    view = await conversationView(deps, tx, sender.id, conv, now);
  } else view = viewOf(deps, sender.id, conv, (id) => (id === sender.id ? mine : theirsBefore), read.people, ownMessage, now);
  return { message: ownMessage, conversation: view };
}

/**
 * The same text (normalized) to `bulkRecipientsThreshold` distinct non-connections within 24
 * hours (counted since an operator last cleared the sender) flags the sender as bulk.
 */
async function flagBulk(u: Uow, senderId: number, hash: string): Promise<void> {
  const res = await selectRows<{ n: unknown }>(u.tx, sql`select count(distinct recipient_id)::int as n ${sameTextSent(senderId, hash, u.now)}`);
  if (isBulkSending(Number(res[0]?.n ?? 0), u.deps.policy)) {
    await u.tx.update(members).set({ bulkFlagged: true }).where(eq(members.id, senderId));
    await u.emit('member.bulk_flagged', [senderId], { memberId: senderId });
  }
}
