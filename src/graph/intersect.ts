/** The galloping intersection of sorted neighbour lists, the inner loop of degree and mutuals. */
import { gallop } from './adjacency.js';

/** Members banned from a query (blocks of the viewer or the member), or none. */
export type Ban = Map<number, number> | undefined;

/** Past this ratio of list lengths, gallop the shorter list through the longer one instead of merging. */
export const GALLOP_RATIO = 16;

/**
 * Intersection of two sorted lists, counting (or collecting into `out`) the common entries that
 * pass the visibility filter (`flags[x] === 0` and not in `ban`; skipped when `raw`). Merge for
 * similar sizes, galloping the shorter list into the longer one otherwise.
 */
export function intersect(
  a: Int32Array,
  as: number,
  ae: number,
  b: Int32Array,
  bs: number,
  be: number,
  flags: Uint8Array,
  ban: Ban,
  out: Int32Array | null,
  stop: boolean,
  raw: boolean,
): number {
  if (ae - as > be - bs) {
    const t = a;
    a = b;
    b = t;
    let u = as;
    as = bs;
    bs = u;
    u = ae;
    ae = be;
    be = u;
  }
  let c = 0;
  if (ae <= as) return 0;
  if (be - bs > GALLOP_RATIO * (ae - as)) {
    let p = bs;
    for (let i = as; i < ae; i++) {
      const x = a[i];
      p = gallop(b, p, be, x);
      if (p >= be) break;
      if (b[p] === x && (raw || (flags[x] === 0 && (ban === undefined || !ban.has(x))))) {
        if (out !== null) out[c] = x;
        c++;
        if (stop) return c;
      }
    }
    return c;
  }
  let i = as;
  let j = bs;
  while (i < ae && j < be) {
    const x = a[i];
    const y = b[j];
    if (x < y) i++;
    else if (x > y) j++;
    else {
      if (raw || (flags[x] === 0 && (ban === undefined || !ban.has(x)))) {
        if (out !== null) out[c] = x;
        c++;
        if (stop) return c;
      }
      i++;
      j++;
    }
  }
  return c;
}
