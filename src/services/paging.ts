/**
 * Pages of lists whose rows may be hidden from the viewer (members blocked either way, deactivated,
 * closed, dropped from a notification group): the rows are read in keyset batches after the cursor
 * until the page and one visible item more are found, or the rows end. `nextCursor` names the page's
 * last item and is null when no visible item follows it: a page is never short while more follow,
 * and an empty next page is never promised. (A hidden member's row used to show through a cursor
 * naming them or an empty next page, and differently by the reason they were hidden: a deactivated
 * member, a block and a closure could be told apart; found by a member probe.)
 */
import type { Runner } from '../store/db.js';
import type { Deps } from './context.js';
import { existsFor } from './hidden.js';
import { membersByIds, type MemberRecord } from './members.js';

/** How many batches a page reads at most; past them the cursor names the last row read, and the client reads on. */
export const PAGE_ROUNDS = 20;

export async function visiblePage<R, T>(
  page: { cursor?: number; limit: number },
  /** up to `n` rows after `after` (undefined: from the start), in the list's order */
  read: (after: number | undefined, n: number) => Promise<R[]>,
  /** a row's place in that order (the cursor) */
  keyOf: (row: R) => number,
  /** the rows as the viewer sees them, one each: undefined for a row hidden from them */
  shape: (rows: R[]) => Promise<(T | undefined)[]>,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const found: { item: T; key: number }[] = [];
  const batch = page.limit + 1;
  let after = page.cursor;
  for (let round = 0; round < PAGE_ROUNDS; round++) {
    const rows = await read(after, batch);
    const shaped = await shape(rows);
    rows.forEach((row, i) => {
      const item = shaped[i];
      if (item !== undefined) found.push({ item, key: keyOf(row) });
    });
    if (found.length > page.limit) return { items: found.slice(0, page.limit).map((f) => f.item), nextCursor: String(found[page.limit - 1].key) };
    if (rows.length < batch) return { items: found.map((f) => f.item), nextCursor: null };
    after = keyOf(rows[rows.length - 1]);
  }
  return { items: found.map((f) => f.item), nextCursor: after === undefined ? null : String(after) };
}

/** visiblePage for a list of members by id, ascending: each as `shape` makes them, those hidden from the viewer left out. */
export function memberIdPage<T>(
  deps: Deps,
  db: Runner,
  viewerId: number,
  page: { cursor?: number; limit: number },
  read: (after: number | undefined, n: number) => Promise<{ id: number }[]>,
  shape: (m: MemberRecord) => T,
): Promise<{ items: T[]; nextCursor: string | null }> {
  return visiblePage(
    page,
    read,
    (r) => r.id,
    async (rows) => {
      const byId = await membersByIds(
        db,
        rows.map((r) => r.id),
      );
      return rows.map((r) => {
        const m = byId.get(r.id);
        return existsFor(deps, viewerId, m) ? shape(m) : undefined;
      });
    },
  );
}
