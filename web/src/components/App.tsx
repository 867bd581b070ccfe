import { useEffect } from 'react';
import { api } from '../api';
import { link, navigate, useRoute, type Route } from '../router';
import { useSession } from '../session';
import { useStreamStatus } from '../stream';
import { SignIn, SignUp } from './Auth';
import { CountBadge, ErrorNotice, Loading, ScreenHeading, useAction } from './common';
import { IntroductionsWaitingBadge } from './Introductions';
import { ComposeScreen, ConversationScreen, MessagesScreen } from './Messages';
import { NetworkScreen } from './Network';
import { NotificationBell, NotificationsScreen } from './Notifications';
import { PagesScreen } from './Pages';
import { MutualsScreen, ProfileScreen } from './Profile';
import { SettingsScreen } from './Settings';

const ACTING_KEY = 'liaison.actingAs';

function storedActing(): string | null {
  try {
    return sessionStorage.getItem(ACTING_KEY);
  } catch {
    return null;
  }
}

function storeActing(as: string | null): void {
  try {
    if (as) sessionStorage.setItem(ACTING_KEY, as);
    else sessionStorage.removeItem(ACTING_KEY);
  } catch {
    /* ignore */
  }
}

function section(route: Route): string {
  return route.path[0] ?? '';
}

function Header({ route }: { route: Route }) {
  const session = useSession();
  const { me, pages, unread, authed } = session;
  const status = useStreamStatus();
  const onMessages = section(route) === 'messages';
  const as = onMessages ? route.query.get('as') : storedActing();
  const totalUnread = unread.inbox + unread.requests;

  const current = (s: string) => (section(route) === s ? 'page' : undefined);

  return (
    <header className="site-header">
      <div className="header-inner">
        {/* no aria-label: the visible name, "Liaison", is the accessible name (WCAG 2.5.3) */}
        <a className="brand" href={authed ? '#/messages' : '#/signin'}>
          <span className="brand-mark" aria-hidden="true">
            L
          </span>
          <span className="brand-name">Liaison</span>
        </a>
        {authed && me ? (
          <>
            <nav aria-label="Main" className="main-nav">
              <a href={link(['messages'], as ? { as } : undefined)} aria-current={current('messages')} data-testid="nav-messages">
                Messaging
                <CountBadge count={totalUnread} label="unread" testId="nav-unread" />
              </a>
              <a href="#/network" aria-current={current('network')} data-testid="nav-network">
                My network
                <CountBadge count={session.invitationsReceived} label="pending invitations" testId="nav-invitations" />
                <IntroductionsWaitingBadge />
              </a>
              <a href="#/pages" aria-current={current('pages')} data-testid="nav-pages">
                Pages
              </a>
              <a href="#/settings" aria-current={current('settings')} data-testid="nav-settings">
                Settings
              </a>
              <a
                href={link(['profile', me.member.handle])}
                aria-current={section(route) === 'profile' && route.path[1] === me.member.handle ? 'page' : undefined}
                data-testid="nav-me"
              >
                Me
              </a>
            </nav>
            <div className="header-tools">
              <NotificationBell current={section(route) === 'notifications'} />
              {pages.length > 0 && (
                <label className="acting-switch">
                  <span>Acting as</span>
                  <select
                    value={as ?? ''}
                    data-testid="acting-as-select"
                    onChange={(e) => {
                      const v = e.target.value || null;
                      storeActing(v);
                      navigate(link(['messages'], v ? { as: v } : undefined));
                    }}
                  >
                    <option value="">Myself ({me.member.name})</option>
                    {pages.map((p) => (
                      <option key={p.handle} value={p.handle}>
                        {p.name} (page)
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <span className={`stream-status stream-${status}`} data-testid="stream-status" title="Live updates">
                <span aria-hidden="true" className="dot" />
                <span className="visually-hidden">Live updates: </span>
                {status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline'}
              </span>
              <button
                type="button"
                className="btn btn-secondary btn-small"
                onClick={async () => {
                  await session.signOut();
                  storeActing(null);
                  navigate('#/signin');
                }}
              >
                Sign out
              </button>
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

function DeactivatedBanner() {
  const session = useSession();
  const { busy, error, run } = useAction();
  if (!session.me || session.me.member.status !== 'deactivated') return null;
  return (
    <div className="notice notice-warning banner" role="region" aria-label="Account deactivated" data-testid="deactivated-banner">
      <p>Your account is deactivated: your profile is hidden and nobody can message you.</p>
      <button
        type="button"
        className="btn btn-primary btn-small"
        disabled={busy}
        onClick={async () => {
          const r = await run(() => api.reactivate());
          if (r) {
            session.announce('Your account is active again.');
            await session.refreshMe();
          }
        }}
      >
        Reactivate account
      </button>
      <ErrorNotice error={error} />
    </div>
  );
}

function RestrictedBanner() {
  const { me } = useSession();
  if (!me || me.member.status !== 'restricted') return null;
  return (
    <div className="notice notice-warning banner" role="region" aria-label="Account restricted" data-testid="restricted-banner">
      <p>Your account is restricted after reports of spam or abuse. You can read, but you cannot send invitations or messages until a moderator reviews it.</p>
    </div>
  );
}

function NotFound() {
  return (
    <section>
      <ScreenHeading>Page not found</ScreenHeading>
      <p>
        There is nothing at this address. <a href="#/messages">Go to your messages</a>.
      </p>
    </section>
  );
}

function Screen({ route }: { route: Route }) {
  const { authed, me, loading } = useSession();
  const [s0, s1, s2] = route.path;

  if (s0 === 'signup') return <SignUp />;
  if (s0 === 'signin') return <SignIn next={route.query.get('next') ?? undefined} />;
  if (loading && !authed) return <Loading label="Loading…" />;
  if (!authed) {
    if (!s0) return <SignIn />;
    return <SignIn next={route.raw} notice="Sign in to continue." />;
  }
  if (loading && !me) return <Loading label="Loading your account…" />;

  switch (s0) {
    case undefined:
      return <RedirectTo href="#/messages" />;
    case 'me':
      return me ? <RedirectTo href={link(['profile', me.member.handle])} /> : <Loading />;
    case 'profile':
      if (!s1) return me ? <RedirectTo href={link(['profile', me.member.handle])} /> : <Loading />;
      if (s2 === 'mutuals') return <MutualsScreen key={s1} handle={s1} />;
      return <ProfileScreen key={s1} handle={s1} introduce={route.query.get('introduce')} />;
    case 'network':
      return <NetworkScreen />;
    case 'messages': {
      const as = route.query.get('as');
      if (!s1) {
        const f = route.query.get('folder');
        const folder = f === 'requests' || f === 'filtered' ? f : 'inbox';
        return <MessagesScreen key={`${folder}:${as ?? ''}`} folder={folder} as={as} />;
      }
      if (s1 === 'new') {
        return (
          <ComposeScreen
            key={route.raw}
            initialTo={route.query.get('to') ?? ''}
            channel={route.query.get('channel')}
            initialBody={route.query.get('body') ?? ''}
            as={as}
          />
        );
      }
      return <ConversationScreen key={`${s1}:${as ?? ''}`} id={s1} as={as} />;
    }
    case 'settings':
      return <SettingsScreen upgrade={route.query.get('upgrade')} />;
    case 'pages':
      return <PagesScreen />;
    case 'notifications':
      return <NotificationsScreen />;
    default:
      return <NotFound />;
  }
}

function RedirectTo({ href }: { href: string }) {
  useEffect(() => navigate(href, true), [href]);
  return null;
}

export function App() {
  const route = useRoute();
  const session = useSession();

  // remember which identity the messaging screens act as
  useEffect(() => {
    if (section(route) === 'messages') storeActing(route.query.get('as'));
  }, [route]);

  useEffect(() => {
    const name = section(route);
    const titles: Record<string, string> = {
      signin: 'Sign in',
      signup: 'Sign up',
      network: 'My network',
      messages: 'Messaging',
      settings: 'Settings',
      pages: 'Pages',
      notifications: 'Notifications',
      profile: route.path[1] ?? 'Profile',
    };
    document.title = titles[name] ? `${titles[name]} · Liaison` : 'Liaison';
  }, [route]);

  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <Header route={route} />
      <DeactivatedBanner />
      <RestrictedBanner />
      <main id="main" tabIndex={-1} className="main">
        <Screen route={route} />
      </main>
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="announcer">
        {session.announcement}
      </div>
      {session.announcement && (
        <div className="toast" aria-hidden="true" data-testid="toast">
          {session.announcement}
        </div>
      )}
    </>
  );
}
