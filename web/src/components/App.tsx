import { useEffect, useRef } from 'react';
import { api } from '../api';
import { cached } from '../hooks/conversationCache';
import { link, navigate, useRoute, type Route } from '../router';
import { useSession } from '../session';
import { SignIn, SignUp } from './Auth';
import { ErrorNotice, Loading, ScreenHeading, useAction } from './common';
import { Header, section, storeActing } from './Header';
import { HomeScreen } from './Home';
import { ComposeScreen } from './messages/Compose';
import { ConversationScreen } from './messages/Conversation';
import { ConversationPane, MessagesScreen } from './messages/Inbox';
import { NetworkScreen } from './Network';
import { NotificationsScreen } from './Notifications';
import { PagesScreen } from './Pages';
import { PlansScreen } from './Plans';
import { FollowsScreen } from './profile/Follows';
import { MutualsScreen } from './profile/Mutuals';
import { ProfileScreen } from './profile/ProfileScreen';
import { SearchScreen } from './Search';
import { SettingsScreen } from './Settings';

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
        There is nothing at this address. <a href="#/home">Go home</a>.
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
      return <RedirectTo href="#/home" />;
    case 'home':
      return <HomeScreen />;
    case 'search': {
      const deg = (route.query.get('degree') ?? '')
        .split(',')
        .map(Number)
        .filter((d) => d === 1 || d === 2 || d === 3);
      return <SearchScreen q={(route.query.get('q') ?? '').trim()} degrees={deg} />;
    }
    case 'plans':
      return <PlansScreen highlight={s1 ?? route.query.get('tier')} />;
    case 'me':
      return me ? <RedirectTo href={link(['profile', me.member.handle])} /> : <Loading />;
    case 'profile':
      if (!s1) return me ? <RedirectTo href={link(['profile', me.member.handle])} /> : <Loading />;
      if (s2 === 'mutuals') return <MutualsScreen key={s1} handle={s1} />;
      return <ProfileScreen key={s1} handle={s1} introduce={route.query.get('introduce')} />;
    case 'network':
      if (s1 === 'followers' || s1 === 'following') return <FollowsScreen key={s1} direction={s1} />;
      return <NetworkScreen />;
    case 'messages': {
      const as = route.query.get('as');
      if (!s1) {
        const f = route.query.get('folder');
        const folder = f === 'requests' || f === 'filtered' ? f : 'inbox';
        return <MessagesScreen key={`${folder}:${as ?? ''}`} folder={folder} as={as} />;
      }
      if (s1 === 'new') {
        return <ComposeScreen key={route.raw} initialTo={route.query.get('to') ?? ''} initialBody={route.query.get('body') ?? ''} as={as} />;
      }
      // a wide screen shows the folder beside the conversation (the split view); a phone, the conversation alone
      return (
        <div className="split-view">
          <ConversationPane key={`pane:${as ?? ''}`} folder={cached(s1, as)?.folder ?? 'inbox'} as={as} activeId={s1} />
          <ConversationScreen key={`${s1}:${as ?? ''}`} id={s1} as={as} />
        </div>
      );
    }
    case 'settings':
      if (route.query.get('upgrade')) return <RedirectTo href={link(['plans', route.query.get('upgrade') ?? ''])} />;
      return <SettingsScreen />;
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

  // a toast belongs to the screen it was shown on: a new screen clears it
  const screenKey = route.raw.split('?')[0];
  const { dismiss } = session;
  const firstScreen = useRef(true);
  useEffect(() => {
    if (firstScreen.current) {
      firstScreen.current = false;
      return;
    }
    dismiss();
  }, [screenKey, dismiss]);

  useEffect(() => {
    const name = section(route);
    const titles: Record<string, string> = {
      home: 'Home',
      search: 'Search',
      plans: 'Plans',
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
