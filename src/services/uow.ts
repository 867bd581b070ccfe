/**
 * One transaction per verb: the rows, the quota/ledger rows and the outbox event commit together;
 * the events are handed to the bus only after the commit. Serialization failures and deadlocks
 * (PostgreSQL 40001/40P01) are retried a few times.
 *
 * Round trips: the outbox rows a verb emits, and the writes it defers with `later`, are not sent one
 * by one. They go to the database together, as one statement of data-modifying WITH clauses (more
 * when a verb emits more than EVENTS_PER_STATEMENT rows), when the verb calls `flush()` or when it
 * returns (before the commit). A verb defers only writes that
 * nothing later in it reads, and never two writes of the same row (the clauses of one statement all
 * see the rows as they were before it: a second update of a row would be lost). On PostgreSQL the
 * last of these statements carries the transaction's COMMIT (src/store/pipeline.ts).
 */
import { type SQL } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { events } from '../store/schema.js';
import { commitWithNext, selectRows, type Tx } from '../store/db.js';
import { cacheOf } from './cache.js';
import type { BusEvent, Deps } from './context.js';

export interface Uow {
  tx: Tx;
  /** The request's "now" (one instant for the whole verb). */
  now: Date;
  deps: Deps;
  /** An outbox row in this transaction (written with the verb's deferred writes); published after commit. */
  emit(type: string, memberIds: number[], payload: Record<string, unknown>): Promise<void>;
  /** A write sent with the outbox rows, in the verb's last statement (see above for what may be deferred). */
  later(write: { getSQL(): SQL }): void;
  /** Sends the deferred writes and outbox rows now (see flushPending; nothing when there are none). */
  flush(): Promise<void>;
}

interface Pending {
  writes: SQL[];
  events: { type: string; memberIds: number[]; payload: Record<string, unknown> }[];
}

/**
 * Outbox rows in one statement at most: each is a WITH clause and a column of the answer, and
 * PostgreSQL allows 1,664 columns (a member closing their account emits one event per connection
 * and follow). A verb that emits more sends them in several statements.
 */
export const EVENTS_PER_STATEMENT = 500;

/**
 * The deferred writes and outbox rows of a verb: one statement (the writes and the first
 * EVENTS_PER_STATEMENT rows), then one per further batch of rows. Answers the events with their ids.
 */
async function flushPending(tx: Tx, p: Pending, now: Date, last = false): Promise<BusEvent[]> {
  if (p.writes.length === 0 && p.events.length === 0) return [];
  const written: BusEvent[] = [];
  let writes = p.writes;
  let from = 0;
  do {
    const batch = p.events.slice(from, from + EVENTS_PER_STATEMENT);
    const clauses = [
      ...writes.map((w, i) => sql`${sql.raw(`w${i}`)} as (${w})`),
      ...batch.map(
        (e, i) =>
          sql`${sql.raw(`e${i}`)} as (${tx
            .insert(events)
            .values({ type: e.type, memberIds: e.memberIds, payload: e.payload, createdAt: now })
            .returning({ id: events.id })
            .getSQL()})`,
      ),
    ];
    const ids = batch.length
      ? sql.join(
          batch.map((_, i) => sql.raw(`(select id from e${i}) as e${i}`)),
          sql`, `,
        )
      : sql`1 as none`;
    // the verb's last statement carries its COMMIT (PostgreSQL: one round trip less)
    if (last && from + batch.length >= p.events.length) commitWithNext(tx);
    const [row] = await selectRows<Record<string, unknown>>(tx, sql`with ${sql.join(clauses, sql`, `)} select ${ids}`);
    batch.forEach((e, i) => written.push({ id: Number(row[`e${i}`]), ...e, createdAt: now.toISOString() }));
    writes = [];
    from += batch.length;
  } while (from < p.events.length);
  p.writes = [];
  p.events = [];
  return written;
}

const RETRYABLE = new Set(['40001', '40P01']);

/** The PostgreSQL error code of an error thrown by either driver (Drizzle wraps them in `cause`). */
export function pgCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The constraint a unique violation names, if any. */
export function pgConstraint(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const c = (cur as { constraint?: unknown }).constraint;
    if (typeof c === 'string') return c;
    const detail = (cur as { message?: unknown }).message;
    if (typeof detail === 'string') {
      const m = /unique constraint "([^"]+)"/.exec(detail);
      if (m) return m[1];
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export async function transact<T>(deps: Deps, fn: (u: Uow) => Promise<T>, now: Date = deps.clock.now()): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const written: BusEvent[] = [];
    try {
      const result = await deps.store.transaction(async (tx) => {
        const pending: Pending = { writes: [], events: [] };
        const u: Uow = {
          tx: tx,
          now,
          deps,
          emit(type, memberIds, payload) {
            pending.events.push({ type, memberIds, payload });
            return Promise.resolve();
          },
          later(write) {
            pending.writes.push(write.getSQL());
          },
          async flush() {
            written.push(...(await flushPending(tx, pending, now)));
          },
        };
        const out = await fn(u);
        written.push(...(await flushPending(tx, pending, now, true)));
        return out;
      });
      if (written.length) {
        cacheOf(deps).onEvents(written);
        deps.onCommit?.(written);
      }
      return result;
    } catch (e) {
      const code = pgCode(e);
      if (code && RETRYABLE.has(code) && attempt < 5) {
        deps.onRetry?.(code);
        continue;
      }
      throw e;
    }
  }
}
