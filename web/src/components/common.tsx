import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError, toApiError, type Degree, type Member, type Unlock } from '../api';
import { link, routeChanges } from '../router';
import { useSession } from '../session';
import { degreeLabel, degreeLong, errorText, unlockText, type UnlockContext } from '../text';

// ------------------------------------------------------------------ async data

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
  const run = useCallback(async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
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

// ------------------------------------------------------------------ states

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <p className="empty" data-testid="empty">
      {children}
    </p>
  );
}

export function ErrorNotice({
  error,
  context = 'other',
  target,
  overrides,
  onRetry,
  onConnect,
  onIntroduction,
}: {
  error: ApiError | null;
  context?: UnlockContext;
  target?: string;
  overrides?: Record<string, string>;
  onRetry?: () => void;
  onConnect?: () => void;
  onIntroduction?: (via: string) => void;
}) {
  const { policy } = useSession();
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert" data-testid="error" data-code={error.code}>
      <p>{errorText(error, policy, overrides)}</p>
      {error.unlock.length > 0 && <Unlocks unlocks={error.unlock} context={context} target={target} onConnect={onConnect} onIntroduction={onIntroduction} />}
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

// ------------------------------------------------------------------ unlocks

/**
 * The ways to get to "allowed": upgrade, InMail, connect, introduction, wait.
 * Wording is fixed by web/README.md.
 */
export function Unlocks({
  unlocks,
  context = 'message',
  target,
  onConnect,
  onIntroduction,
}: {
  unlocks: Unlock[];
  context?: UnlockContext;
  /** handle of the member the decision is about */
  target?: string;
  onConnect?: () => void;
  /** opens the "ask for an introduction" form (DOMAIN.md 11) with this mutual connection picked */
  onIntroduction?: (via: string) => void;
}) {
  const { me } = useSession();
  if (unlocks.length === 0) return null;
  return (
    <ul className="unlocks" data-testid="unlocks" aria-label="Ways to unlock">
      {unlocks.map((u, i) => (
        <li key={i} data-testid={`unlock-${u.kind}`} className={`unlock unlock-${u.kind}`}>
          {u.kind === 'upgrade' && (
            <>
              <span>{unlockText(u, context)}</span>{' '}
              <a className="btn btn-small" href={link(['settings'], { upgrade: u.tier })}>
                See plans
              </a>
            </>
          )}
          {u.kind === 'inmail' &&
            (target ? (
              <a className="btn btn-small" href={link(['messages', 'new'], { to: target, channel: 'inmail' })}>
                {unlockText(u, context)}
              </a>
            ) : (
              <span>{unlockText(u, context)}</span>
            ))}
          {u.kind === 'connect' &&
            (onConnect ? (
              <button type="button" className="btn btn-small" onClick={onConnect}>
                {unlockText(u, context)}
              </button>
            ) : target ? (
              <a className="btn btn-small" href={link(['profile', target])}>
                {unlockText(u, context)}
              </a>
            ) : (
              <span>{unlockText(u, context)}</span>
            ))}
          {u.kind === 'introduction' && (
            <>
              {u.via.length === 1 && onIntroduction ? (
                // a 2nd-degree member: the introduction flow, through this mutual connection
                <button type="button" className="btn btn-small" onClick={() => onIntroduction(u.via[0])}>
                  {unlockText(u, context)}
                </button>
              ) : u.via.length === 1 && target ? (
                <a className="btn btn-small" href={link(['profile', target], { introduce: u.via[0] })}>
                  {unlockText(u, context)}
                </a>
              ) : (
                // a longer path: write to its first step
                <a
                  className="btn btn-small"
                  href={link(['messages', 'new'], {
                    to: u.via[0],
                    body: target ? `Hi ${u.via[0]}, could you introduce me to ${target}? Thank you!` : undefined,
                  })}
                >
                  {unlockText(u, context)}
                </a>
              )}
              <ol className="intro-path" aria-label="Introduction path" data-testid="introduction-path">
                <li>{me ? `You (${me.member.handle})` : 'You'}</li>
                {u.via.map((h) => (
                  <li key={h}>
                    <a href={link(['profile', h])}>{h}</a>
                  </li>
                ))}
                <li>{target ?? 'them'}</li>
              </ol>
            </>
          )}
          {u.kind === 'wait' && <span>{unlockText(u, context)}</span>}
        </li>
      ))}
    </ul>
  );
}

// ------------------------------------------------------------------ members

export function DegreeBadge({ degree, self = false }: { degree: Degree; self?: boolean }) {
  if (self) {
    return (
      <span className="badge badge-degree badge-self" data-testid="degree-badge">
        You
      </span>
    );
  }
  return (
    <>
      <span className="visually-hidden">Degree: </span>
      <span className={`badge badge-degree degree-${degree ?? 'none'}`} data-testid="degree-badge" title={degreeLong(degree)}>
        {degreeLabel(degree)}
      </span>
    </>
  );
}

export function Avatar({ member, size = 'md' }: { member: Pick<Member, 'name' | 'handle' | 'kind'>; size?: 'sm' | 'md' | 'lg' }) {
  const initials = (member.name || member.handle)
    .split(/\s+/)
    .filter((w) => /^[\p{L}\p{N}]/u.test(w))
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? '')
    .join('');
  return (
    <span className={`avatar avatar-${size} ${member.kind === 'page' ? 'avatar-page' : ''}`} aria-hidden="true">
      {initials || '?'}
    </span>
  );
}

export function MemberSummary({ member, extra }: { member: Member; extra?: ReactNode }) {
  return (
    <div className="member-summary">
      <Avatar member={member} />
      <div className="member-summary-text">
        <a href={link(['profile', member.handle])} className="member-name">
          {member.name}
        </a>
        {member.kind === 'page' && <span className="badge badge-page">Page</span>}
        {extra}
        {member.headline && <p className="member-headline">{member.headline}</p>}
        <p className="member-handle">@{member.handle}</p>
      </div>
    </div>
  );
}

// ------------------------------------------------------------------ forms

export function CharCounter({ id, value, max }: { id: string; value: string; max: number }) {
  const n = [...value].length;
  const over = n > max;
  return (
    <span id={id} className={`counter ${over ? 'counter-over' : ''}`} data-testid={`${id}-counter`}>
      {over ? `${n - max} characters over the limit of ${max}` : `${n} / ${max}`}
    </span>
  );
}

export function charCount(s: string): number {
  return [...s].length;
}

export function useFieldId(prefix: string): string {
  return `${prefix}-${useId().replace(/:/g, '')}`;
}

/** Focus the heading of a screen when it mounts (announces the new screen to screen readers). */
export function ScreenHeading({ children, className }: { children: ReactNode; className?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // move focus to the new screen's heading after a navigation (not on a fresh page load,
    // where the first Tab must reach the skip link)
    if (routeChanges() > 0) ref.current?.focus({ preventScroll: false });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className={className}>
      {children}
    </h1>
  );
}

/** A count pill; the number is the test id's text, screen readers hear "<n> <label>". */
export function CountBadge({ count, label, testId }: { count: number; label: string; testId?: string }) {
  if (count <= 0) return null;
  return (
    <>
      <span className="count-badge" data-testid={testId} aria-hidden="true">
        {count}
      </span>
      <span className="visually-hidden">
        {' '}
        ({count} {label})
      </span>
    </>
  );
}

export function MoreButton({ onClick, busy }: { onClick: () => void; busy?: boolean }) {
  return (
    <button type="button" className="btn btn-secondary btn-more" onClick={onClick} disabled={busy}>
      {busy ? 'Loading…' : 'Show more'}
    </button>
  );
}
