/**
 * One path for a hidden member and an unknown handle (issue 15, finding 5): a member the viewer may
 * not see (blocked either way, deactivated, closed) is treated as no member at all before anything
 * else is read, so both cause the same statements and cache lookups, and take the same time.
 */
import type { Deps } from './context.js';
import type { MemberRecord } from './records.js';

/** The member if it exists for the viewer, else null (exactly what an unknown handle gives). */
export function unlessHidden(deps: Deps, viewerId: number, m: MemberRecord | null): MemberRecord | null {
  if (!m) return null;
  if (m.id === viewerId) return m;
  if (m.status !== 'active' || deps.graph.isBlockedEitherWay(viewerId, m.id)) return null;
  return m;
}
