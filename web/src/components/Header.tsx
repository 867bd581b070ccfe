/**
 * The header: brand, search (type-ahead), the main sections (a tab bar at the bottom on a phone, with
 * their badges), the live-updates dot, notifications and the account menu (profile, settings, pages,
 * acting as a page, sign out).
 */
import { useDismiss } from '../hooks/useDismiss';
import { useEffect, useRef, useState } from 'react';
import { usePageUnread } from '../hooks/usePageUnread';
import { link, navigate, useRoute, type Route } from '../router';
import { useSession } from '../session';
import { useStreamStatus } from '../stream';
import { Avatar, CountBadge } from './common';
import { IntroductionsWaitingBadge } from './Introductions';
import { NotificationBell } from './Notifications';
import { HeaderSearch } from './Search';

const ACTING_KEY = 'liaison.actingAs';

function storedActing(): string | null {
  try {
    return sessionStorage.getItem(ACTING_KEY);
  } catch {
    return null;
  }
}

export function storeActing(as: string | null): void {
  try {
    if (as) sessionStorage.setItem(ACTING_KEY, as);
    else sessionStorage.removeItem(ACTING_KEY);
  } catch {
    /* ignore */
  }
}

export function section(route: Route): string {
  return route.path[0] ?? '';
}

/** Tab icons (decorative: each tab's label names it). */
function TabIcon({ name }: { name: 'home' | 'network' | 'messages' | 'me' }) {
  const d = {
    home: 'M3 11 12 3l9 8v10h-6v-6H9v6H3z',
    network: 'M8 11a4 4 0 1 1 0-8 4 4 0 0 1 0 8zm8 0a3 3 0 1 1 0-6 3 3 0 0 1 0 6zM1 21v-2a6 6 0 0 1 12 0v2zm13 0v-2a7 7 0 0 0-1.5-4.3A5 5 0 0 1 23 18v3z',
    messages: 'M3 4h18v12H8l-5 4z',
    me: 'M12 12a5 5 0 1 1 0-10 5 5 0 0 1 0 10zm-9 10a9 9 0 0 1 18 0z',
  }[name];
  return (
    <svg className="tab-icon" width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={d} fill="currentColor" />
    </svg>
  );
}

/** The account menu: your profile, settings, pages, acting as a page, sign out. */
function AccountMenu() {
  const session = useSession();
  const { me, pages } = session;
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const route = useRoute();
  const pageUnread = usePageUnread(pages);
  const anyPageUnread = Object.values(pageUnread).some((n) => n > 0);
  useEffect(() => setOpen(false), [route]);
  useDismiss(open, () => setOpen(false), ref, buttonRef);
  if (!me) return null;
  return (
    <div className="account" ref={ref}>
      <button
        type="button"
        ref={buttonRef}
        className="account-button"
        aria-expanded={open}
        aria-controls="account-menu"
        data-testid="account-menu"
        onClick={() => setOpen((o) => !o)}
      >
        <Avatar member={me.member} size="sm" />
        <span className="visually-hidden">Account{anyPageUnread ? ' (a page you run has unread messages)' : ''}</span>
        {anyPageUnread && <span className="account-dot" aria-hidden="true" data-testid="account-dot" />}
      </button>
      <div id="account-menu" className="menu-panel account-panel" hidden={!open}>
        <p className="account-who">
          <strong>{me.member.name}</strong>
          <span className="member-handle">@{me.member.handle}</span>
        </p>
        <a className="menu-item" href={link(['profile', me.member.handle])} data-testid="nav-me-menu">
          View profile
        </a>
        <a className="menu-item" href="#/settings" data-testid="nav-settings">
          Settings
        </a>
        <a className="menu-item" href="#/pages" data-testid="nav-pages">
          Pages
        </a>
        {pages.length > 0 && (
          <div className="menu-group" role="group" aria-labelledby="acting-as-label">
            <p className="menu-label" id="acting-as-label">
              Act as a page
            </p>
            {pages.map((p) => (
              <a key={p.handle} className="menu-item" href={link(['messages'], { as: p.handle })} data-testid="act-as" data-handle={p.handle}>
                {p.name}
                <CountBadge count={pageUnread[p.handle] ?? 0} label="unread" testId="page-unread" />
              </a>
            ))}
          </div>
        )}
        <button
          type="button"
          className="menu-item"
          data-testid="sign-out"
          onClick={async () => {
            await session.signOut();
            storeActing(null);
            navigate('#/signin');
          }}
        >
          Sign out
        </button>
      </div>
    </div>
  );
}

export function Header({ route }: { route: Route }) {
  const session = useSession();
  const { me, unread, authed } = session;
  const status = useStreamStatus();
  const onMessages = section(route) === 'messages';
  const as = onMessages ? route.query.get('as') : storedActing();
  const totalUnread = unread.inbox + unread.requests;

  const current = (s: string) => (section(route) === s ? 'page' : undefined);

  return (
    <header className="site-header">
      <div className="header-inner">
        {/* no aria-label: the visible name, "Liaison", is the accessible name (WCAG 2.5.3) */}
        <a className="brand" href={authed ? '#/home' : '#/signin'}>
          <span className="brand-mark" aria-hidden="true">
            L
          </span>
          <span className="brand-name">Liaison</span>
        </a>
        {authed && me ? (
          <>
            <HeaderSearch initial={section(route) === 'search' ? (route.query.get('q') ?? '') : ''} />
            <nav aria-label="Main" className="main-nav tab-bar">
              <a href="#/home" aria-current={current('home')} data-testid="nav-home">
                <TabIcon name="home" />
                <span className="tab-label">Home</span>
              </a>
              <a href="#/network" aria-current={current('network')} data-testid="nav-network">
                <TabIcon name="network" />
                <span className="tab-label">My network</span>
                <CountBadge count={session.invitationsReceived} label="pending invitations" testId="nav-invitations" />
                <IntroductionsWaitingBadge />
              </a>
              <a href={link(['messages'], as ? { as } : undefined)} aria-current={current('messages')} data-testid="nav-messages">
                <TabIcon name="messages" />
                <span className="tab-label">Messaging</span>
                <CountBadge count={totalUnread} label="unread" testId="nav-unread" />
              </a>
              <a
                href={link(['profile', me.member.handle])}
                aria-current={section(route) === 'profile' && route.path[1] === me.member.handle ? 'page' : undefined}
                data-testid="nav-me"
              >
                <TabIcon name="me" />
                <span className="tab-label">Me</span>
              </a>
            </nav>
            <div className="header-tools">
              <span className={`stream-status stream-${status}`} data-testid="stream-status" title="Live updates">
                <span aria-hidden="true" className="dot" />
                <span className="visually-hidden">Live updates: </span>
                <span className="stream-label">{status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline'}</span>
              </span>
              <NotificationBell current={section(route) === 'notifications'} />
              <AccountMenu />
            </div>
          </>
        ) : (
          <nav aria-label="Main" className="main-nav">
            <a href="#/signin" aria-current={current('signin')}>
              Sign in
            </a>
            <a href="#/signup" aria-current={current('signup')}>
              Sign up
            </a>
          </nav>
        )}
      </div>
    </header>
  );
}
