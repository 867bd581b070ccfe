/**
 * Notifications (DOMAIN.md 9): the bell in the header (unread count, live) and the list, grouped
 * lines newest first, each leading to its subject; "Mark all as read" reads up to the newest.
 */
import { useEffect, useRef, useState } from 'react';
import { api, type Notification } from '../api';
import { notificationHref, notificationText } from '../notificationText';
import { useSession } from '../session';
import { usePollWhileOffline, useStreamEvents } from '../stream';
import { formatTime } from '../text';
import { Avatar, CountBadge, Empty, ErrorNotice, Loading, MoreButton, ScreenHeading, useAction, useAsync } from './common';

/** The header's bell: a link to the notifications, with the unread count of GET /v1/me (kept live by the session). */
export function NotificationBell({ current }: { current: boolean }) {
  const { unread } = useSession();
  const n = unread.notifications;
  return (
    <a href="#/notifications" className="bell" aria-current={current ? 'page' : undefined} data-testid="nav-notifications" title="Notifications">
      <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20" className="bell-icon">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
        />
      </svg>
      <span className="visually-hidden">Notifications</span>
      <CountBadge count={n} label="unread notifications" testId="nav-notifications-count" />
    </a>
  );
}

const KIND_ICON: Record<string, string> = {
  'credits.granted': '★',
};

function Line({ n }: { n: Notification }) {
  const first = n.actors[0];
  return (
    <li className={`notification ${n.read ? '' : 'unread'}`} data-testid="notification" data-kind={n.kind} data-read={n.read ? 'true' : 'false'} data-id={n.id}>
      <a href={notificationHref(n)} className="notification-link">
        {first ? (
          <Avatar member={first} size="sm" />
        ) : (
          <span className="avatar avatar-sm notification-icon" aria-hidden="true">
            {KIND_ICON[n.kind] ?? '•'}
          </span>
        )}
        <span className="notification-text" data-testid="notification-text">
          {notificationText(n)}
        </span>
        <time className="notification-time" dateTime={n.createdAt}>
          {formatTime(n.createdAt)}
        </time>
        {!n.read && (
          <span className="notification-dot" aria-label="unread">
            <span aria-hidden="true">●</span>
          </span>
        )}
      </a>
    </li>
  );
}

export function NotificationsScreen() {
  const session = useSession();
  const [items, setItems] = useState<Notification[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, reload] = useAsync(async () => {
    const l = await api.notifications();
    setItems(l.items);
    setCursor(l.nextCursor);
    return true;
  }, []);
  const more = useAction();
  const read = useAction();

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useStreamEvents((e) => {
    if (e.type !== 'notification.created') return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(reload, 150);
  });
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  usePollWhileOffline(reload, 10_000);

  const unread = items.filter((n) => !n.read).length;

  return (
    <section className="notifications" aria-labelledby="notifications-title">
      <div className="screen-title-row">
        <ScreenHeading>
          <span id="notifications-title">Notifications</span>
          <CountBadge count={session.unread.notifications} label="unread" testId="notifications-unread" />
        </ScreenHeading>
        <button
          type="button"
          className="btn btn-secondary"
          data-testid="notifications-read-all"
          disabled={read.busy || items.length === 0 || unread === 0}
          onClick={async () => {
            const top = items[0];
            if (!top) return;
            const ok = await read.run(async () => {
              await api.readNotifications(top.id);
              return true;
            });
            if (ok) {
              setItems((prev) => prev.map((n) => ({ ...n, read: true })));
              session.refreshUnread();
              session.announce('All notifications marked as read.');
            }
          }}
        >
          Mark all as read
        </button>
      </div>
      <ErrorNotice error={read.error} />
      {state.status === 'loading' && <Loading label="Loading notifications…" />}
      {state.status === 'error' && <ErrorNotice error={state.error} onRetry={reload} />}
      {state.status === 'ok' && items.length === 0 && (
        <Empty>No notifications yet. Invitations, message requests, InMails and credits will show up here.</Empty>
      )}
      {items.length > 0 && (
        <ul className="notification-list" aria-label="Notifications">
          {items.map((n) => (
            <Line key={n.id} n={n} />
          ))}
        </ul>
      )}
      {cursor && (
        <MoreButton
          busy={more.busy}
          onClick={() =>
            more.run(async () => {
              const l = await api.notifications(cursor);
              setItems((prev) => [...prev, ...l.items.filter((n) => !prev.some((p) => p.id === n.id))]);
              setCursor(l.nextCursor);
            })
          }
        />
      )}
      <ErrorNotice error={more.error} />
    </section>
  );
}
