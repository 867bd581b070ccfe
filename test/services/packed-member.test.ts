/**
 * The read model's packed member (src/services/packed-member.ts): whatever record is put, the
 * record a read makes again is equal to it, field by field, packed or kept whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIERS } from '../../src/policy/policy.js';
import { DEFAULT_SETTINGS } from '../../src/policy/types.js';
import { PackedMember } from '../../src/services/packed-member.js';
import { LoadedMember, type MemberRecord } from '../../src/services/records.js';
import { MemberCache } from '../../src/services/cache.js';

const fields = (m: MemberRecord) => ({ ...m, createdAt: m.createdAt.getTime() });

/** Texts of any length around the packing's 1,023 characters, with characters beyond Latin-1. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 1015, max: 1030 }).map((n) => 'é'.repeat(n)),
  fc.constant(''),
);

const record = fc
  .record({
    id: fc.integer({ min: 1, max: 2 ** 40 }),
    handle: fc.stringMatching(/^[a-z0-9_-]{3,30}$/),
    kind: fc.constantFrom('person' as const, 'page' as const),
    name: text,
    headline: text,
    about: fc.oneof(text, fc.constant('x'.repeat(3000))),
    email: fc.option(text),
    status: fc.constantFrom('active' as const, 'deactivated' as const, 'closed' as const),
    restricted: fc.boolean(),
    bulkFlagged: fc.boolean(),
    createdMs: fc.oneof(
      fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) }),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.constantFrom(2 ** 50, -(2 ** 50), 2 ** 52 - 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.5, 1e15 + 0.25),
    ),
    tier: fc.constantFrom(...TIERS),
    tierUntil: fc.option(fc.date({ noInvalidDate: true })),
  })
  .map((r) => new LoadedMember({ ...r, settings: DEFAULT_SETTINGS }));

describe('PackedMember', () => {
  it('makes again the record it was given, packed or not', () => {
    fc.assert(
      fc.property(record, (m) => {
        const p = new PackedMember(m);
        p.hit = true; // the read model's mark of use shares a field with the record's own bits
        expect(p.hit).toBe(true);
        expect(fields(p.record())).toEqual(fields(m));
        p.hit = false;
        expect(p.hit).toBe(false);
        const again = p.record();
        expect(fields(again)).toEqual(fields(m));
        expect(again.settings).toBe(m.settings);
        expect(again.tierUntil).toBe(m.tierUntil);
      }),
      { numRuns: 2000 },
    );
  });

  it('a record read from the read model is equal to the one put, by id and by handle', () => {
    fc.assert(
      fc.property(record, (m) => {
        const c = new MemberCache();
        c.put(m, c.stamp());
        expect(fields(c.member(m.id)!)).toEqual(fields(m));
        expect(fields(c.memberByHandle(m.handle)!)).toEqual(fields(m));
      }),
      { numRuns: 300 },
    );
  });
});
