/**
 * Finding people (DOMAIN.md 10): each query word matches a word of the name, handle or headline
 * that starts with it, or that differs from it by one letter (two for query words of 8 letters or
 * more). Results rank 1st degree, then 2nd, then 3rd, then the rest, then by match quality. A
 * headline is searchable only by viewers within the member's profileVisibility (the service asks
 * seesLimitedProfile before it gives the headline's words).
 */
import type { Degree } from './types.js';

/** The words of a text: runs of letters and digits, lower case (compatibility-normalized). */
export function searchWords(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** How well one query word matches one word: 0 the same word, 1 a prefix, 2 a typo; null no match. */
export function wordMatch(query: string, word: string): 0 | 1 | 2 | null {
  if (word === query) return 0;
  if (word.startsWith(query)) return 1;
  const allowed = [...query].length >= 8 ? 2 : 1;
  return editDistanceAtMost(query, word, allowed) ? 2 : null;
}

/** Levenshtein distance ≤ k (code points), in O(len × k). */
function editDistanceAtMost(a: string, b: string, k: number): boolean {
  const s = [...a];
  const t = [...b];
  if (Math.abs(s.length - t.length) > k) return false;
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = new Array<number>(t.length + 1).fill(k + 1);
    cur[0] = i;
    let best = cur[0];
    for (let j = Math.max(1, i - k); j <= Math.min(t.length, i + k); j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > k) return false;
    prev = cur;
  }
  return prev[t.length] <= k;
}

/**
 * The match quality of a member for a query (lower is better): the sum over query words of the best
 * match among the member's words; null when a query word matches none of them.
 */
export function searchMatch(queryWords: string[], memberWords: string[]): number | null {
  let total = 0;
  for (const q of queryWords) {
    let best: number | null = null;
    for (const w of memberWords) {
      const m = wordMatch(q, w);
      if (m !== null && (best === null || m < best)) best = m;
      if (best === 0) break;
    }
    if (best === null) return null;
    total += best;
  }
  return total;
}

/** The degree's place in the ranking: 1st, 2nd, 3rd, then out of network. */
export function degreeRank(degree: Degree): number {
  return degree ?? 4;
}
