/**
 * Home, after signing in: what needs the member (invitations, message requests, introductions to
 * forward, notifications), a first-run checklist while the profile and the network are new, and
 * people they may know. A card with nothing in it is not shown.
 */
import { api } from '../api';
import { useAsync } from '../hooks/useAsync';
import { usePagedList } from '../hooks/usePagedList';
import { link } from '../router';
import { useSession } from '../session';
import { usePollWhileOffline, useStreamEvents } from '../stream';
import { plural } from '../text';
import { ScreenHeading } from './common';
import { ReceivedInvitation, SuggestionItem } from './Network';

function focusHeaderSearch(): void {
  const el = document.querySelector<HTMLInputElement>('[data-testid="header-search"] input');
  el?.focus();
}

export function HomeScreen() {
  const session = useSession();
  const { me, unread } = session;
  const received = usePagedList((c) => api.invitations('received', c), []);
  const [intros, reloadIntros] = useAsync(() => api.introductions('to_forward'), []);
  const [connections, reloadConnections] = useAsync(() => api.connections(null), []);
  const [sent] = useAsync(() => api.invitations('sent', null), []);
  const [own] = useAsync((signal) => (me ? api.profile(me.member.handle, signal) : Promise.resolve(null)), [me?.member.handle]);
  const [sugg] = useAsync(() => api.suggestions(), []);

  useStreamEvents((e) => {
    if (e.type === 'invitation.received') received.reload();
    if (e.type === 'invitation.accepted') reloadConnections();
    if (e.type === 'introduction.asked') reloadIntros();
  });
  usePollWhileOffline(() => {
    received.reload();
    reloadIntros();
  }, 15_000);

  if (!me) return null;
  const introCount = intros.status === 'ok' ? intros.data.items.length : 0;
  const needs = received.items.length > 0 || unread.requests > 0 || unread.inbox > 0 || introCount > 0 || unread.notifications > 0;
  const loaded = received.state.status !== 'loading' && intros.status !== 'loading';

  const hasHeadline = !!me.member.headline;
  const hasAbout = own.status === 'ok' && !!own.data?.about;
  const connectionCount = connections.status === 'ok' ? connections.data.items.length : null;
  const sentCount = sent.status === 'ok' ? sent.data.items.length : 0;
  const steps = [
    {
      id: 'profile',
      done: hasHeadline && hasAbout,
      label: 'Complete your profile: a headline and a few words about you',
      href: link(['profile', me.member.handle]),
    },
    { id: 'find', done: (connectionCount ?? 0) > 0 || sentCount > 0, label: 'Find people you know', onClick: focusHeaderSearch },
    { id: 'connect', done: (connectionCount ?? 0) > 0, label: 'Make your first connection', href: '#/network' },
  ];
  const checklistReady = connections.status === 'ok' && own.status !== 'loading';
  const showChecklist = checklistReady && steps.some((s) => !s.done);
  const suggestions = sugg.status === 'ok' ? sugg.data.items.slice(0, 5) : [];

  return (
    <div className="home" data-testid="home">
      <ScreenHeading>Welcome, {me.member.name.split(/\s+/)[0]}</ScreenHeading>

      {loaded && (
        <section className="card" aria-labelledby="needs-title" data-testid="home-needs">
          <h2 id="needs-title">What needs you</h2>
          {!needs && <p data-testid="home-nothing">Nothing needs you right now.</p>}
          {needs && (
            <ul className="needs-list">
              {unread.inbox > 0 && (
                <li>
                  <a href="#/messages" data-testid="home-unread">
                    {plural(unread.inbox, 'conversation')} with unread messages
                  </a>
                </li>
              )}
              {unread.requests > 0 && (
                <li>
                  <a href={link(['messages'], { folder: 'requests' })} data-testid="home-requests">
                    {plural(unread.requests, 'message request')} waiting
                  </a>
                </li>
              )}
              {introCount > 0 && (
                <li>
                  <a href="#/network" data-testid="home-introductions">
                    {plural(introCount, 'introduction')} to forward
                  </a>
                </li>
              )}
              {unread.notifications > 0 && (
                <li>
                  <a href="#/notifications">{plural(unread.notifications, 'new notification')}</a>
                </li>
              )}
            </ul>
          )}
          {received.items.length > 0 && (
            <>
              <h3>Invitations</h3>
              <ul className="list" data-testid="home-invitations">
                {received.items.slice(0, 3).map((inv) => (
                  <ReceivedInvitation key={inv.id} inv={inv} onDone={received.reload} />
                ))}
              </ul>
              {received.items.length > 3 && <a href="#/network">See all {received.items.length} invitations</a>}
            </>
          )}
        </section>
      )}

      {showChecklist && (
        <section className="card" aria-labelledby="start-title" data-testid="home-checklist">
          <h2 id="start-title">Get started</h2>
          <ol className="checklist">
            {steps.map((s) => (
              <li key={s.id} className={s.done ? 'done' : ''} data-testid={`step-${s.id}`} data-done={String(s.done)}>
                <span className="check" aria-hidden="true">
                  {s.done ? '✓' : ''}
                </span>
                {s.done ? (
                  <span>
                    {s.label} <span className="visually-hidden">(done)</span>
                  </span>
                ) : s.href ? (
                  <a href={s.href}>{s.label}</a>
                ) : (
                  <button type="button" className="btn btn-link" onClick={s.onClick}>
                    {s.label}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </section>
      )}

      {suggestions.length > 0 && (
        <section className="card" aria-labelledby="sugg-title" data-testid="home-suggestions">
          <h2 id="sugg-title">People you may know</h2>
          <ul className="list">
            {suggestions.map((s) => (
              <SuggestionItem key={s.member.id} s={s} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
