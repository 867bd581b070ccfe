/**
 * The graph index as the services use it: built from the tables at start, then kept fresh by the
 * committed events (this instance's right after commit; other instances' through the bus).
 */
import { sql } from 'drizzle-orm';
import { GraphIndex } from '../graph/index.js';
import type { Runner } from '../store/db.js';
import type { BusEvent } from './context.js';

/** Event types that change the graph, with what they carry. */
export type GraphEvent =
  | { type: 'connection.added' | 'connection.removed'; payload: { a: number; b: number } }
  | { type: 'follow.added' | 'follow.removed'; payload: { follower: number; followee: number } }
  | { type: 'block.added' | 'block.removed'; payload: { blocker: number; blocked: number } }
  | { type: 'member.status'; payload: { memberId: number; status: string } }
  | { type: 'group.joined' | 'group.left'; payload: { groupId: number; memberId: number } };

async function column(db: Runner, query: ReturnType<typeof sql>): Promise<Int32Array> {
  const res = (await db.execute(query)) as unknown as { rows: Record<string, unknown>[] };
  const out = new Int32Array(res.rows.length * 2);
  let i = 0;
  for (const r of res.rows) {
    out[i++] = Number(r.x);
    out[i++] = Number(r.y);
  }
  return out;
}

/** Loads the whole index from storage; returns it with the last event id it reflects. */
export async function loadGraph(db: Runner, log?: (msg: string, extra?: object) => void): Promise<{ graph: GraphIndex; lastEventId: number }> {
  const started = performance.now();
  const last = (await db.execute(sql`select coalesce(max(id), 0) as id from events`)) as unknown as { rows: { id: unknown }[] };
  const lastEventId = Number(last.rows[0]?.id ?? 0);
  const connections = await column(db, sql`select a as x, b as y from connections`);
  log?.('graph: connections loaded', { pairs: connections.length / 2 });
  const follows = await column(db, sql`select follower as x, followee as y from follows`);
  const blocks = await column(db, sql`select blocker as x, blocked as y from blocks where unblocked_at is null`);
  const groupMembers = await column(db, sql`select group_id as x, member_id as y from group_members`);
  const hiddenRes = (await db.execute(sql`select id from members where status <> 'active'`)) as unknown as { rows: { id: unknown }[] };
  const hidden = hiddenRes.rows.map((r) => Number(r.id));
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

/** Applies one committed event to the index (idempotent: replays are harmless). */
export function applyToGraph(graph: GraphIndex, ev: Pick<BusEvent, 'type' | 'payload'>): void {
  const p = ev.payload as Record<string, number | string>;
  switch (ev.type) {
    case 'connection.added':
      graph.addConnection(p.a as number, p.b as number);
      break;
    case 'connection.removed':
      graph.removeConnection(p.a as number, p.b as number);
      break;
    case 'follow.added':
      graph.addFollow(p.follower as number, p.followee as number);
      break;
    case 'follow.removed':
      graph.removeFollow(p.follower as number, p.followee as number);
      break;
    case 'block.added':
      graph.addBlock(p.blocker as number, p.blocked as number);
      break;
    case 'block.removed':
      graph.removeBlock(p.blocker as number, p.blocked as number);
      break;
    case 'member.status':
      graph.setHidden(p.memberId as number, p.status === 'deactivated' || p.status === 'closed');
      break;
    case 'group.joined':
      graph.joinGroup(p.groupId as number, p.memberId as number);
      break;
    case 'group.left':
      graph.leaveGroup(p.groupId as number, p.memberId as number);
      break;
    default:
      break;
  }
}
