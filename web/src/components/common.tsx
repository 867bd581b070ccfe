import { useDismiss } from '../hooks/useDismiss';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { ApiError, Degree, Member, SearchResult } from '../api';
import { useRetryCountdown } from '../hooks/useAsync';
import { link, routeChanges } from '../router';
import { useSession } from '../session';
import { degreeLabel, degreeLong, errorText, plural, reasonAction } from '../text';
import { Unlocks, type UnlockContext } from './Unlocks';

// ------------------------------------------------------------------ async data (web/src/hooks/useAsync.ts)

export { useAction, useAsync, type AsyncState } from '../hooks/useAsync';

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
  // a 503 is passing: wait for its Retry-After, then try again by itself (when there is something to retry)
  const retryIn = useRetryCountdown(error, onRetry);
  if (!error) return null;
  const action = reasonAction(error.code);
  return (
    <div className="notice notice-error" role="alert" data-testid="error" data-code={error.code}>
      <p>{errorText(error, policy, overrides)}</p>
      {retryIn !== null && (
        <p data-testid="retrying">
          {onRetry
            ? retryIn > 0
              ? `Trying again in ${plural(retryIn, 'second')}…`
              : 'Trying again…'
            : `You can try again in ${plural(Math.max(retryIn, 1), 'second')}.`}
        </p>
      )}
      {error.unlock.length > 0 && <Unlocks unlocks={error.unlock} context={context} target={target} onConnect={onConnect} onIntroduction={onIntroduction} />}
      {action && (
        <p>
          <a href={action.href}>{action.label}</a>
        </p>
      )}
      {onRetry && retryIn === null && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * A "More" button that opens a short list of actions (destructive ones live here, not beside
 * Message). A disclosure: Escape or a click elsewhere closes it, focus returns to the button.
 */
export function ActionMenu({ label, children, testId, buttonText = 'More' }: { label: string; children: ReactNode; testId?: string; buttonText?: string }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const id = useId().replace(/:/g, '');
  useDismiss(open, () => setOpen(false), ref, buttonRef);
  return (
    <div className="action-menu" ref={ref} data-testid={testId}>
      <button
        type="button"
        ref={buttonRef}
        className="btn btn-secondary btn-small"
        aria-expanded={open}
        aria-controls={`menu-${id}`}
        aria-label={label}
        onClick={() => setOpen((o) => !o)}
      >
        {buttonText} <span aria-hidden="true">▾</span>
      </button>
      <div id={`menu-${id}`} className="menu-panel" hidden={!open} onClick={() => setOpen(false)}>
        {children}
      </div>
    </div>
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

/** A padlock (decorative: the button's text says what is locked). */
export function LockIcon() {
  return (
    <svg className="lock-icon" width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d="M4 7V5a4 4 0 1 1 8 0v2h1v8H3V7h1zm2 0h4V5a2 2 0 1 0-4 0v2z" fill="currentColor" />
    </svg>
  );
}

/** One member in a type-ahead list (header search, recipient picker): picked on mouse down, before the input blurs. */
export function TypeaheadOption(props: { result: SearchResult; id: string; active: boolean; onPick: () => void; sub: ReactNode }) {
  const { result: r } = props;
  return (
    <li
      id={props.id}
      role="option"
      aria-selected={props.active}
      className={`typeahead-option ${props.active ? 'active' : ''}`}
      data-handle={r.member.handle}
      onMouseDown={(e) => {
        e.preventDefault();
        props.onPick();
      }}
    >
      <Avatar member={r.member} size="sm" />
      <span className="typeahead-text">
        <span className="typeahead-name">
          <span className="member-name">{r.member.name}</span> <DegreeBadge degree={r.degree} />
        </span>
        {props.sub}
      </span>
    </li>
  );
}
