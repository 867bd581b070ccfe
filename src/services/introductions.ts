/**
 * Warm introductions (DOMAIN.md 11): ask, forward, decline, list. The policy decides
 * (src/policy/introduction.ts); this module counts and writes, one transaction per verb with its
 * events. An ask vanishes for whoever may no longer see one of the other two (a block between any
 * two of the three, or a member deactivated or closed); the asker is never told why.
 */
import { and, desc, eq, lt, lte } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import {
  decideIntroductionAsk,
  decideIntroductionForward,
  forwardReadsAsDone,
  introductionExpired,
  introductionExpiryCutoff,
  noteOf,
  type Decision,
  askStatePasses,
} from '../policy/index.js';
import { selectRows, type Runner } from '../store/db.js';
import { introductions } from '../store/schema.js';
import type { ViewerAsks } from './cache.js';
import type { Deps } from './context.js';
import { enforce } from './decisions.js';
import { AppError, notFound, Refusal } from './errors.js';
import { askStateOf, gatherFacts, loadViewerAsks, toMemberFacts } from './facts.js';
import { lockPair } from './conversations/index.js';
import { lockMembers, memberByHandle, membersByIds, type MemberRecord } from './members.js';
import { deliverIntroduction } from './messaging.js';
import { notify } from './notifications.js';
import { memberFor } from './projection.js';
import type { Uow } from './uow.js';

type Row = typeof introductions.$inferSelect;

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Introduction as ApiIntroduction } from '../contract/index.js';
import { existsFor } from './hidden.js';
export type { ApiIntroduction };

function statusOf(row: Row, now: Date, deps: Deps): ApiIntroduction['status'] {
  if (row.status === 'forwarded') return 'forwarded';
  if (row.status === 'asked' && !introductionExpired(row.createdAt, now, deps.policy)) return 'asked';
  return 'not_forwarded';
}

/**
 * The status of an ask in its asker's or its introducer's export: the asker's as the API says it
 * (statusOf: "not forwarded" whatever the reason); the introducer's own answer (declined) or its
 * lapse (expired, also once 14 days passed unanswered) for them.
 */
export function exportedAskStatus(deps: Deps, row: Row, viewerId: number, now: Date): string {
  const status = statusOf(row, now, deps);
  if (viewerId === row.askerId || status !== 'not_forwarded') return status;
  return row.status === 'asked' ? 'expired' : row.status;
}

function toApi(deps: Deps, row: Row, people: Map<number, MemberRecord>, viewerId: number, now: Date): ApiIntroduction {
  const as = (id: number) => memberFor(deps, viewerId, people.get(id)!, now);
  const out: ApiIntroduction = {
    id: String(row.id),
    from: as(row.askerId),
    via: as(row.viaId),
    to: as(row.targetId),
    note: row.note,
    forwardNote: row.forwardNote,
    status: statusOf(row, now, deps),
    createdAt: row.createdAt.toISOString(),
  };
  // the asker learns where the introduction led only when it was forwarded
  if (row.conversationId !== null && row.status === 'forwarded' && viewerId !== row.viaId) out.conversationId = String(row.conversationId);
  return out;
}

/** Marks the lapsed open ask of (asker, target) expired, freeing the pair's unique slot. */
async function expireLapsed(u: Uow, askerId: number, targetId: number): Promise<void> {
  await u.tx
    .update(introductions)
    .set({ status: 'expired' })
    .where(
      and(
        eq(introductions.askerId, askerId),
        eq(introductions.targetId, targetId),
        eq(introductions.status, 'asked'),
        lte(introductions.createdAt, introductionExpiryCutoff(u.now, u.deps.policy)),
      ),
    );
}

/** A asks B (`via`) to introduce them to C (`to`). */
export async function askIntroduction(u: Uow, asker: MemberRecord, input: { to: string; via: string; note?: string | null }): Promise<ApiIntroduction> {
  const { deps, tx, now } = u;
  const [target, via] = [await memberByHandle(tx, input.to), await memberByHandle(tx, input.via)];
  const visibleTarget = target && (target.id === asker.id || existsFor(deps, asker.id, target)) ? target : null;
  const viaSeen = via && via.id !== asker.id && existsFor(deps, asker.id, via) ? via : null;
  // The three members' rows, as a removal or a block of any two of them takes theirs: what is read
  // below is what they left (an ask through a connection removed meanwhile stayed open: a member).
  await lockMembers(tx, [asker.id, ...(viaSeen ? [viaSeen.id] : []), ...(visibleTarget ? [visibleTarget.id] : [])]);
  if (visibleTarget && visibleTarget.id !== asker.id) await expireLapsed(u, asker.id, visibleTarget.id);
  const { facts } = await gatherFacts(deps, tx, asker, visibleTarget, now);
  const [viaToAsker, viaToTarget] =
    viaSeen && visibleTarget ? await connectedInRows(tx, [asker.id, viaSeen.id], [viaSeen.id, visibleTarget.id]) : [false, false];
  // the asker's own asks, read once (under their row lock): the ask's state through B, and who else could be asked
  const asks = visibleTarget ? await loadViewerAsks(deps, tx, asker.id, now) : null;
  const state = asks && visibleTarget ? askStateOf(deps, asks, viaSeen ? [viaSeen.id] : [], visibleTarget.id, now) : null;
  const others = asks && visibleTarget && visibleTarget.id !== asker.id ? await otherVias(deps, tx, asker, visibleTarget, viaSeen?.id ?? null, asks, now) : [];
  const note = noteOf(input.note);
  const d = decideIntroductionAsk(
    facts,
    {
      via: viaSeen ? toMemberFacts(deps, viaSeen) : null,
      viaConnectedToViewer: viaToAsker,
      viaConnectedToMember: viaToTarget,
      viaDegree: viaSeen ? deps.graph.degree(asker.id, viaSeen.id) : null,
      openAsk: state?.openAsk ?? false,
      asksThisMonth: state?.asksThisMonth ?? 0,
      declinesByVia: state?.declinesByVia ?? [],
      otherVias: others,
    },
    note,
    now,
    deps.policy,
  );
  enforce(d, now);
  const [row] = await tx
    .insert(introductions)
    .values({ askerId: asker.id, viaId: viaSeen!.id, targetId: visibleTarget!.id, note, status: 'asked', createdAt: now })
    .returning();
  const people = new Map([asker, viaSeen!, visibleTarget!].map((m) => [m.id, m]));
  await u.emit('introduction.asked', [viaSeen!.id], { introduction: toApi(deps, row, people, viaSeen!.id, now) });
  await notify(u, { recipient: viaSeen!, kind: 'introduction.asked', actor: asker });
  return toApi(deps, row, people, asker.id, now);
}

/** Whether each pair is connected, as the rows say (read under the verb's locks; the graph index learns of a removal only after its commit). */
async function connectedInRows(db: Runner, ...pairs: [number, number][]): Promise<boolean[]> {
  const cols = pairs.map(
    ([x, y], i) => sql`exists(select 1 from connections c where c.a = ${Math.min(x, y)} and c.b = ${Math.max(x, y)}) as ${sql.raw(`c${i}`)}`,
  );
  const [row] = await selectRows<Record<string, unknown>>(db, sql`select ${sql.join(cols, sql`, `)}`);
  return pairs.map((_, i) => row[`c${i}`] === true);
}

/**
 * Other mutual connections A could ask (handles), for the unlock: only those A may see, and not one
 * who has paused A's asks (the policy's own-ask rules, as a path is offered: found by a reviewer).
 */
async function otherVias(
  deps: Deps,
  db: Runner,
  asker: MemberRecord,
  target: MemberRecord,
  exclude: number | null,
  asks: ViewerAsks,
  now: Date,
): Promise<string[]> {
  // the same state a path to the target is offered on (an open ask about them, the month's asks, each one's pause)
  const askable = (id: number) => askStatePasses({ now, policy: deps.policy }, askStateOf(deps, asks, [id], target.id, now));
  const ids = deps.graph
    .mutuals(asker.id, target.id, { limit: 4 + asks.declines.size })
    .items.filter((id) => id !== exclude && askable(id))
    .slice(0, 3);
  const byId = await membersByIds(db, ids);
  return ids.flatMap((id) => {
    const m = byId.get(id);
    return m && existsFor(deps, asker.id, m) ? [m.handle] : [];
  });
}

/**
 * The ask `id` as its introducer B may act on it (404 when it is not B's, or vanished for B), locked.
 * Asks sit with their asker (asker_id: on Citus the asker's shard, which a lock must name): found by
 * id first (a deliberate multi-shard read on Citus), then locked through the asker.
 */
async function askForVia(u: Uow, via: MemberRecord, id: number, opts: { lockPeople?: boolean } = {}) {
  const [found] = await u.tx
    .select({ askerId: introductions.askerId, targetId: introductions.targetId })
    .from(introductions)
    .where(and(eq(introductions.id, id), eq(introductions.viaId, via.id)));
  if (!found) throw notFound('no such introduction');
  // A forward sends a message from the asker to the target: it takes that pair's lock and the three
  // members' rows first, in the order a send, a removal and an ask take theirs, and the ask's row
  // after them. (It took the ask's row first, and a removal of the asker's connection, holding the
  // members' rows and waiting for the ask's, deadlocked with it: 11 times in 12 raced rounds.)
  if (opts.lockPeople) {
    await lockPair(u.tx, found.askerId, found.targetId);
    await lockMembers(u.tx, [found.askerId, via.id, found.targetId]);
  }
  const [row] = await u.tx
    .select()
    .from(introductions)
    .where(and(eq(introductions.id, id), eq(introductions.askerId, found.askerId), eq(introductions.viaId, via.id)))
    .for('update');
  if (!row) throw notFound('no such introduction');
  const people = await membersByIds(u.tx, [row.askerId, row.targetId, via.id]);
  const asker = people.get(row.askerId);
  const target = people.get(row.targetId);
  if (!existsFor(u.deps, via.id, asker) || !existsFor(u.deps, via.id, target)) throw notFound('no such introduction');
  if (statusOf(row, u.now, u.deps) !== 'asked') throw new AppError(409, 'conflict', 'this introduction is no longer open');
  return { row, asker, target, people };
}

/** B forwards A's ask: C gets a message request from A on channel `introduction`, showing B and both notes. */
export async function forwardIntroduction(u: Uow, via: MemberRecord, id: number, noteIn?: string | null): Promise<ApiIntroduction> {
  const { deps, tx, now } = u;
  const { row, asker, target, people } = await askForVia(u, via, id, { lockPeople: true });
  const note = noteOf(noteIn);
  const { facts } = await gatherFacts(deps, tx, via, target, now);
  const d: Decision = decideIntroductionForward(
    facts,
    {
      open: true,
      viaConnectedToMember: deps.graph.degree(via.id, target.id) === 1,
      viaConnectedToAsker: deps.graph.degree(via.id, asker.id) === 1,
      askerHidden: false,
      targetHidden: false,
    },
    note,
    now,
    deps.policy,
  );
  enforce(d, now);
  const body = row.note ?? `${via.name} introduced us.`;
  // What the introducer must not learn, the forward does not tell (decided before any write): a
  // restricted asker sends nothing, and only the member and operators see a restriction (DOMAIN.md 1);
  // a block between A and C hides the introduction from C, and who blocked whom is never inferable
  // (DOMAIN.md 6, 11). To B the forward reads as any other; nothing reaches C.
  const sent = await deliverIntroduction(u, asker, target, body, row.id, via).catch((e: unknown) => {
    if (e instanceof Refusal && forwardReadsAsDone(e.decision)) return null;
    throw e;
  });
  const [next] = await tx
    .update(introductions)
    .set({ status: 'forwarded', forwardNote: note, respondedAt: now, conversationId: sent ? Number(sent.conversation.id) : null })
    .where(and(eq(introductions.id, row.id), eq(introductions.askerId, row.askerId)))
    .returning();
  if (sent)
    await u.emit('introduction.forwarded', [target.id], {
      introduction: toApi(deps, next, people, target.id, now),
      conversationId: sent.conversation.id,
      // the message it became: the stream's replay leaves it out for a side it is gone for (deleted_spans)
      messageId: sent.message.id,
    });
  // Not a stream event: the asker's ask is no longer open, which their read model must learn (a
  // forward that reaches no one reads as done: src/policy forwardReadsAsDone).
  else await u.emit('introduction.closed', [row.askerId, via.id], { askerId: row.askerId, viaId: via.id });
  return toApi(deps, next, people, via.id, now);
}

/** B declines: A is told only "not forwarded"; three declines in 30 days pause A's asks to B. */
export async function declineIntroduction(u: Uow, via: MemberRecord, id: number): Promise<ApiIntroduction> {
  const { row, people } = await askForVia(u, via, id);
  const [next] = await u.tx
    .update(introductions)
    .set({ status: 'declined', respondedAt: u.now })
    .where(and(eq(introductions.id, row.id), eq(introductions.askerId, row.askerId)))
    .returning();
  // Not a stream event (the asker is told only "not forwarded"): it ends the read model's rows of
  // both, whose profile views offer paths through the introducer while no pause holds (src/policy/asks.ts).
  await u.emit('introduction.declined', [row.askerId, via.id], { askerId: row.askerId, viaId: via.id });
  return toApi(u.deps, next, people, via.id, u.now);
}

/**
 * `asked`: the caller's own asks, newest first; `to_forward`: open asks waiting for the caller. An
 * ask whose other members no longer exist for the caller is left out.
 */
export async function listIntroductions(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  role: 'asked' | 'to_forward',
  now: Date,
  page: { cursor?: number; limit: number },
): Promise<{ items: ApiIntroduction[]; nextCursor: string | null }> {
  const items: ApiIntroduction[] = [];
  let cursor = page.cursor;
  const cutoff = introductionExpiryCutoff(now, deps.policy);
  for (let round = 0; round < 20 && items.length < page.limit; round++) {
    const batch = page.limit + 1;
    const rows = await db
      .select()
      .from(introductions)
      .where(
        and(
          role === 'asked'
            ? eq(introductions.askerId, viewer.id)
            : and(eq(introductions.viaId, viewer.id), eq(introductions.status, 'asked'), sql`${introductions.createdAt} > ${cutoff}`),
          cursor !== undefined ? lt(introductions.id, cursor) : undefined,
        ),
      )
      .orderBy(desc(introductions.id))
      .limit(batch);
    if (rows.length === 0) return { items, nextCursor: null };
    const people = await membersByIds(db, [...new Set(rows.flatMap((r) => [r.askerId, r.viaId, r.targetId]))]);
    for (const r of rows) {
      cursor = r.id;
      const others = [r.askerId, r.viaId, r.targetId].filter((id) => id !== viewer.id);
      if (!others.every((id) => existsFor(deps, viewer.id, people.get(id)))) continue;
      items.push(toApi(deps, r, people, viewer.id, now));
      if (items.length === page.limit) {
        const more = rows.length === batch || r !== rows[rows.length - 1];
        return { items, nextCursor: more ? String(r.id) : null };
      }
    }
    if (rows.length < batch) return { items, nextCursor: null };
  }
  return { items, nextCursor: cursor !== undefined && items.length > 0 ? String(cursor) : null };
}
