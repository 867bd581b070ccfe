/**
 * One transaction per verb: the rows, the quota/ledger rows and the outbox event commit together;
 * the events are handed to the bus only after the commit. Serialization failures and deadlocks
 * (PostgreSQL 40001/40P01) are retried a few times.
 */
import { events } from '../store/schema.js';
import type { Tx } from '../store/db.js';
import { cacheOf } from './cache.js';
import type { BusEvent, Deps } from './context.js';

export interface Uow {
  tx: Tx;
  /** The request's "now" (one instant for the whole verb). */
  now: Date;
  deps: Deps;
  /** Writes an outbox row in this transaction; it is published after commit. */
  emit(type: string, memberIds: number[], payload: Record<string, unknown>): Promise<BusEvent>;
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
        const u: Uow = {
          tx: tx,
          now,
          deps,
          async emit(type, memberIds, payload) {
            const [row] = await tx.insert(events).values({ type, memberIds, payload, createdAt: now }).returning({ id: events.id });
            const ev: BusEvent = { id: row.id, type, memberIds, payload, createdAt: now.toISOString() };
            written.push(ev);
            return ev;
          },
        };
        return fn(u);
      });
      if (written.length) {
        cacheOf(deps).onEvents(written);
        deps.onCommit?.(written);
      }
      return result;
    } catch (e) {
      const code = pgCode(e);
      if (code && RETRYABLE.has(code) && attempt < 5) continue;
      throw e;
    }
  }
}
