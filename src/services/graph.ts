/**
 * The graph index as the services use it: built from the tables at start, then kept fresh by the
 * committed events (this instance's right after commit; other instances' through the bus).
 */
import { sql } from '../store/sql.js';
import { GraphIndex } from '../graph/index.js';
import { selectRows, type Runner } from '../store/db.js';
import type { BusEvent } from './context.js';

async function column(db: Runner, query: ReturnType<typeof sql>): Promise<Int32Array> {
  const res = await selectRows<Record<string, unknown>>(db, query);
  const out = new Int32Array(res.length * 2);
  let i = 0;
  for (const r of res) {
    out[i++] = Number(r.x);
    out[i++] = Number(r.y);
  }
  return out;
}

/** Loads the whole index from storage; returns it with the last event id it reflects. */
export async function loadGraph(db: Runner, log?: (msg: string, extra?: object) => void): Promise<{ graph: GraphIndex; lastEventId: number }> {
  const started = performance.now();
  const last = await selectRows<{ id: unknown }>(db, sql`select coalesce(max(id), 0) as id from events`);
  const lastEventId = Number(last[0]?.id ?? 0);
  const connections = await column(db, sql`select a as x, b as y from connections`);
  log?.('graph: connections loaded', { pairs: connections.length / 2 });
  const follows = await column(db, sql`select follower as x, followee as y from follows`);
  const blocks = await column(db, sql`select blocker as x, blocked as y from blocks where unblocked_at is null`);
  const groupMembers = await column(db, sql`select group_id as x, member_id as y from group_members`);
  const hiddenRes = await selectRows<{ id: unknown }>(db, sql`select id from members where status <> 'active'`);
  const hidden = hiddenRes.map((r) => Number(r.id));
  const graph = GraphIndex.fromEdges({ connections, follows, blocks, groupMembers, hidden });
  log?.('graph: index built', {
    connections: connections.length / 2,
    follows: follows.length / 2,
    blocks: blocks.length / 2,
    ms: Math.round(performance.now() - started),
    bytes: graph.memoryBytes(),
  });
  return { graph, lastEventId };
}

type P = Record<string, number | string>;
const hidden = (status: unknown) => status === 'deactivated' || status === 'closed';

/** How each graph event type changes the index; other event types leave it alone. */
const APPLY: Readonly<Record<string, (g: GraphIndex, p: P) => unknown>> = {
  'connection.added': (g, p) => g.addConnection(p.a as number, p.b as number),
  'connection.removed': (g, p) => g.removeConnection(p.a as number, p.b as number),
  'follow.added': (g, p) => g.addFollow(p.follower as number, p.followee as number),
  'follow.removed': (g, p) => g.removeFollow(p.follower as number, p.followee as number),
  'block.added': (g, p) => g.addBlock(p.blocker as number, p.blocked as number),
  'block.removed': (g, p) => g.removeBlock(p.blocker as number, p.blocked as number),
  'member.status': (g, p) => g.setHidden(p.memberId as number, hidden(p.status)),
  'group.joined': (g, p) => g.joinGroup(p.groupId as number, p.memberId as number),
  'group.left': (g, p) => g.leaveGroup(p.groupId as number, p.memberId as number),
};

/** Applies one committed event to the index (idempotent: replays are harmless). */
export function applyToGraph(graph: GraphIndex, ev: Pick<BusEvent, 'type' | 'payload'>): void {
  APPLY[ev.type]?.(graph, ev.payload as P);
}
