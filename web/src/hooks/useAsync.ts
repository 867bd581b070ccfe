/** Data loading and actions: busy and error state, and the 503 retry that waits for Retry-After. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiError, type ApiError } from '../api';

export type AsyncState<T> = { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ok'; data: T };

/** Load data when deps change; `reload` runs it again (keeping the old data visible meanwhile). */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): [AsyncState<T>, () => void, (updater: (t: T) => T) => void] {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    const ctl = new AbortController();
    fnRef
      .current(ctl.signal)
      .then((data) => {
        if (!ctl.signal.aborted) setState({ status: 'ok', data });
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        if (e instanceof DOMException && e.name === 'AbortError') return;
        setState({ status: 'error', error: toApiError(e) });
      });
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const update = useCallback((updater: (t: T) => T) => setState((s) => (s.status === 'ok' ? { status: 'ok', data: updater(s.data) } : s)), []);
  return [state, reload, update];
}

/** Run an action, tracking busy state and the error to show. */
export function useAction(): {
  busy: boolean;
  error: ApiError | null;
  setError: (e: ApiError | null) => void;
  run: <T>(fn: () => Promise<T>) => Promise<T | undefined>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(toApiError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/** Seconds to wait on a 503 without Retry-After. */
const DEFAULT_RETRY_SECONDS = 5;

/**
 * A 503 (`service_unavailable`, storage unreachable) is passing: count down its Retry-After and call
 * `retry` when it reaches zero. Answers the seconds left (null when the error is not a 503).
 */
export function useRetryCountdown(error: ApiError | null, retry: (() => void) | undefined): number | null {
  const [left, setLeft] = useState<number | null>(null);
  const retryRef = useRef(retry);
  retryRef.current = retry;
  useEffect(() => {
    if (!error || error.status !== 503) {
      setLeft(null);
      return;
    }
    const total = Math.max(1, Math.ceil(error.retryAfter ?? DEFAULT_RETRY_SECONDS));
    const until = Date.now() + total * 1000;
    setLeft(total);
    const t = setInterval(() => {
      const s = Math.ceil((until - Date.now()) / 1000);
      if (s <= 0) {
        clearInterval(t);
        setLeft(0);
        retryRef.current?.();
      } else setLeft(s);
    }, 250);
    return () => clearInterval(t);
  }, [error]);
  return left;
}
