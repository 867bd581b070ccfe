/**
 * Type-ahead over GET /v1/search/members: names, handles and headlines, ranked by degree then match
 * (people you know first, DOMAIN.md 10). Debounced; an empty query asks nothing.
 */
import { useEffect, useState } from 'react';
import { api, toApiError, type ApiError, type SearchResult } from '../api';

export function useMemberSearch(query: string, { limit = 8, delay = 200, degrees = [] as number[] } = {}) {
  const [results, setResults] = useState<SearchResult[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const q = query.trim().replace(/^@/, '');
  const degreeKey = degrees.join(',');
  useEffect(() => {
    if (!q) {
      setResults([]);
      setLoading(false);
      setError(null);
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    const t = setTimeout(() => {
      api
        .search(q, degreeKey ? degreeKey.split(',').map(Number) : [], null, limit, ctl.signal)
        .then((l) => {
          if (ctl.signal.aborted) return;
          setResults(l.items);
          setError(null);
          setLoading(false);
        })
        .catch((e: unknown) => {
          if (ctl.signal.aborted) return;
          setError(toApiError(e));
          setLoading(false);
        });
    }, delay);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [q, limit, delay, degreeKey]);
  return { query: q, results, loading, error };
}
