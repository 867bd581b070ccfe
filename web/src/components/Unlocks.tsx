/**
 * The ways from a denial to "allowed", free ways first: connect, an introduction (by name, through
 * the introductions flow), making room, waiting; then what the administrator of this self-hosted
 * network can grant (a plan, linked to that exact plan); InMail last, and only when it is offered.
 */
import type { Unlock } from '../api';
import { useMemberNames } from '../hooks/useMemberNames';
import { link } from '../router';
import { formatDate, plural, tierName } from '../text';

export type UnlockContext = 'message' | 'connect' | 'other';

const ORDER: Record<Unlock['kind'], number> = { connect: 0, introduction: 1, remove_connection: 2, wait: 3, upgrade: 4, inmail: 5 };

export function sortUnlocks(unlocks: Unlock[]): Unlock[] {
  return [...unlocks].sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
}

/** The wording of an unlock; `nameOf` turns handles into names. */
export function unlockText(u: Unlock, context: UnlockContext, nameOf: (h: string) => string = (h) => h, targetName = 'them'): string {
  switch (u.kind) {
    case 'upgrade':
      return context === 'message' ? `Ask your administrator for ${tierName(u.tier)} to message them` : `Ask your administrator for ${tierName(u.tier)}`;
    case 'inmail':
      return `Send an InMail (${plural(u.credits, 'credit')})`;
    case 'connect':
      return 'Connect first';
    case 'introduction':
      if (u.via.length >= 2) return `Ask ${nameOf(u.via[0])} to introduce you to ${nameOf(u.via[1])}, who knows ${targetName}`;
      return `Ask ${nameOf(u.via[0] ?? '') || 'a mutual connection'} for an introduction`;
    case 'wait':
      return `You can try again on ${formatDate(u.until)}`;
    case 'remove_connection':
      return 'Remove a connection to make room';
  }
}

export function Unlocks({
  unlocks,
  context = 'message',
  target,
  targetName,
  inmailOffered = false,
  onConnect,
  onIntroduction,
}: {
  unlocks: Unlock[];
  context?: UnlockContext;
  /** handle of the member the decision is about */
  target?: string;
  targetName?: string;
  /** the member has the credits and no free channel applies (issue 23): only then is InMail shown */
  inmailOffered?: boolean;
  onConnect?: () => void;
  /** opens the "ask for an introduction" form (DOMAIN.md 11) with this mutual connection picked */
  onIntroduction?: (via: string) => void;
}) {
  const handles = [...new Set(unlocks.flatMap((u) => (u.kind === 'introduction' ? u.via : [])))];
  const nameOf = useMemberNames(handles);
  const shown = sortUnlocks(unlocks).filter((u) => u.kind !== 'inmail' || inmailOffered);
  if (shown.length === 0) return null;
  const tName = targetName ?? target ?? 'them';
  return (
    <ul className="unlocks" data-testid="unlocks" aria-label="Ways to unlock">
      {shown.map((u, i) => (
        <li key={i} data-testid={`unlock-${u.kind}`} className={`unlock unlock-${u.kind}`}>
          {u.kind === 'upgrade' && (
            <>
              <span>{unlockText(u, context)}</span>{' '}
              <a className="btn btn-small btn-secondary" href={link(['plans', u.tier])}>
                See the {tierName(u.tier)} plan
              </a>
            </>
          )}
          {u.kind === 'inmail' &&
            (target ? (
              <a className="btn btn-small btn-secondary" href={link(['messages', 'new'], { to: target })}>
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
                  {unlockText(u, context, nameOf, tName)}
                </button>
              ) : u.via.length === 1 && target ? (
                <a className="btn btn-small" href={link(['profile', target], { introduce: u.via[0] })}>
                  {unlockText(u, context, nameOf, tName)}
                </a>
              ) : u.via.length >= 2 ? (
                // a longer path: an introduction to its second step (a 2nd-degree member), through its first
                <a className="btn btn-small" href={link(['profile', u.via[1]], { introduce: u.via[0] })}>
                  {unlockText(u, context, nameOf, tName)}
                </a>
              ) : (
                <span>{unlockText(u, context, nameOf, tName)}</span>
              )}
              <ol className="intro-path" aria-label="Introduction path" data-testid="introduction-path">
                <li>You</li>
                {u.via.map((h) => (
                  <li key={h}>
                    <a href={link(['profile', h])}>{nameOf(h)}</a>
                  </li>
                ))}
                <li>{tName}</li>
              </ol>
            </>
          )}
          {u.kind === 'wait' && <span>{unlockText(u, context)}</span>}
          {u.kind === 'remove_connection' && (
            <a className="btn btn-small btn-secondary" href="#/network">
              {unlockText(u, context)}
            </a>
          )}
        </li>
      ))}
    </ul>
  );
}
