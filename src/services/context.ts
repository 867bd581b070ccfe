/** What every service needs: storage, the policy in force, the clock, and where events go after commit. */
import type { GraphIndex } from '../graph/index.js';
import type { Policy } from '../policy/policy.js';
import type { Store } from '../store/db.js';
import type { Clock } from '../util/clock.js';

export interface BusEvent {
  id: number;
  type: string;
  memberIds: number[];
  payload: Record<string, unknown>;
  createdAt: string;
}

/** Receives committed events (the bus, the graph index); set by the server at start. */
export type EventSink = (events: BusEvent[]) => void;

export interface Deps {
  store: Store;
  policy: Policy;
  clock: Clock;
  /** The in-memory graph index of this instance. */
  graph: GraphIndex;
  /** Called after each commit with the events that transaction wrote. */
  onCommit?: EventSink;
  /** Called when a unit of work is run again after PostgreSQL refused it (40001 serialization failure, 40P01 deadlock). */
  onRetry?: (code: string) => void;
  /** The read model's bounds (src/services/cache.ts; LIAISON_CACHE_MEMBERS, LIAISON_CACHE_TTL_MS). */
  cache?: { maxEntries?: number; ttlMs?: number };
}
