/** searchScope (src/services/profiles.ts): a degree filter never leaves out a member of a degree asked for. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchScope, type SearchLayers } from '../../src/services/profiles.js';

const DEGREE_SETS = [[1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3]];

describe('searchScope', () => {
  it('keeps every member of a degree asked for, and with every layer known only those', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(1, 2, 3, null), { minLength: 0, maxLength: 30 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(...DEGREE_SETS),
        (degreeOf, secondKnown, thirdKnown, asked) => {
          // member i has degree degreeOf[i] (null: out of network)
          const layer = (d: number) => degreeOf.flatMap((x, i) => (x === d ? [i] : []));
          const layers: SearchLayers = [layer(1), secondKnown ? layer(2) : null, thirdKnown ? layer(3) : null];
          const scope = searchScope(new Set(asked), layers);
          degreeOf.forEach((d, i) => {
            const passes = (scope.only === undefined || scope.only.includes(i)) && !(scope.except ?? []).includes(i);
            if (d !== null && asked.includes(d)) expect(passes, `member ${i} (degree ${d}) left out for ${asked}`).toBe(true);
            if (scope.only !== undefined) expect(passes).toBe(d !== null && asked.includes(d));
            else if (d !== null && !asked.includes(d) && layers[d - 1] !== null) expect(passes).toBe(false);
          });
        },
      ),
      { numRuns: 500 },
    );
    expect(searchScope(null, [[1], [2], [3]])).toEqual({});
  });
});
