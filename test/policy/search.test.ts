/** DOMAIN.md 10: which words match, and how well. */
import { describe, expect, it } from 'vitest';
import { degreeRank, searchMatch, searchWords, wordMatch } from '../../src/policy/index.js';

describe('search words', () => {
  it('splits on anything but letters and digits, lower case', () => {
    expect(searchWords('Senior Engineer @ Acme-Corp, ex-Google (2019)')).toEqual(['senior', 'engineer', 'acme', 'corp', 'ex', 'google', '2019']);
    expect(searchWords('Zoë Ångström')).toEqual(['zoë', 'ångström']);
    expect(searchWords('  !!! ')).toEqual([]);
  });
  it.each([
    ['eng', 'engineer', 1],
    ['engineer', 'engineer', 0],
    ['acme', 'acme', 0],
    ['smiht', 'smith', null], // a transposition is two edits for a 5-letter word
    ['smth', 'smith', 2],
    ['smyth', 'smith', 2],
    ['jonson', 'johnson', 2],
    ['kowalsky', 'kowalski', 2],
    ['kowalzky', 'kowalski', 2], // two letters off, 8 letters: allowed
    ['kowlzky', 'kowalski', null], // 7 letters: one only
    ['x', 'y', 2],
    ['ab', 'xy', null],
  ] as const)('%s ~ %s → %s', (q, w, m) => {
    expect(wordMatch(q, w)).toBe(m);
  });
  it('every query word must match; quality sums the best matches', () => {
    const words = searchWords('Ann Lee engineer at Acme');
    expect(searchMatch(['engineer', 'acme'], words)).toBe(0);
    expect(searchMatch(['eng', 'acm'], words)).toBe(2);
    expect(searchMatch(['engineer', 'globex'], words)).toBeNull();
  });
  it('ranks 1st, 2nd, 3rd, then out of network', () => {
    expect([null, 3, 1, 2].map((d) => degreeRank(d as 1 | 2 | 3 | null))).toEqual([4, 3, 1, 2]);
  });
});
