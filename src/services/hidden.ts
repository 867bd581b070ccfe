/**
 * One path for a hidden member and an unknown handle (issue 15, finding 5): a member the viewer may
 * not see (blocked either way, deactivated, closed) is treated as no member at all before anything
 * else is read, so both cause the same statements and cache lookups, and take the same time.
 */
import { memberExists } from '../policy/index.js';
import type { Deps } from './context.js';
import type { MemberRecord } from './records.js';

/**
 * Whether `m` exists for the viewer: the policy's rule (memberExists) with the blocks the graph
 * index holds; oneself always. Every verb and listing that shows or acts on a member asks this.
 */
export function existsFor(deps: Deps, viewerId: number, m: MemberRecord | null | undefined): m is MemberRecord {
  return !!m && (m.id === viewerId || memberExists(m, deps.graph.isBlockedEitherWay(viewerId, m.id)));
}

/** The member if it exists for the viewer, else null (exactly what an unknown handle gives). */
export function unlessHidden(deps: Deps, viewerId: number, m: MemberRecord | null): MemberRecord | null {
  return existsFor(deps, viewerId, m) ? m : null;
}
