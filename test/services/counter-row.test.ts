/**
 * A viewer's counter row as the read model keeps it (src/services/facts.ts compactQuotaRow, the
 * entry in src/services/cache.ts): its own columns only, in their order, instants as milliseconds,
 * everything else as read; kept and served until the instant it stops being right.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIERS } from '../../src/policy/policy.js';
import { MemberCache } from '../../src/services/cache.js';
import { compactQuotaRow, QUOTA_KEYS } from '../../src/services/facts.js';

const cell = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 0, max: 1000 }),
  fc.date({ noInvalidDate: true }),
  fc.constantFrom(...TIERS),
  fc.string({ maxLength: 8 }),
);
const row = fc
  .tuple(
    fc.array(cell, { minLength: QUOTA_KEYS.length, maxLength: QUOTA_KEYS.length }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), cell, { maxKeys: 3 }),
  )
  .map(([cells, extra]) => ({
    ...extra,
    ...Object.fromEntries(QUOTA_KEYS.map((k, i) => [k, cells[i]])),
  }));

describe('counter rows in the read model', () => {
  it('keep their own columns, in order, instants as milliseconds, the rest as read', () => {
    fc.assert(
      fc.property(row, (r) => {
        const kept = compactQuotaRow(r);
        expect(Object.keys(kept)).toEqual([...QUOTA_KEYS]);
        for (const k of QUOTA_KEYS) {
          const x = (r as Record<string, unknown>)[k];
          expect(kept[k]).toEqual(x instanceof Date ? x.getTime() : x);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('are served from readAt until validUntil, and not once their viewer changed', () => {
    const c = new MemberCache();
    const rows = { row: compactQuotaRow({ inv7: 3 }), readAt: 1000, validUntil: 2000 };
    c.putQuota(7, rows, c.stamp());
    expect(c.quota(7, 999)).toBeUndefined();
    expect(c.quota(7, 1000)).toMatchObject({ row: rows.row, readAt: 1000, validUntil: 2000 });
    expect(c.quota(7, 1999)?.row.inv7).toBe(3);
    expect(c.quota(7, 2000)).toBeUndefined();
    c.invalidateRows(7);
    expect(c.quota(7, 1500)).toBeUndefined();
  });
});
