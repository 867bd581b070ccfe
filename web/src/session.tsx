/**
 * Session state: whether a member is signed in, the member (GET /v1/me), the policy, unread counts,
 * announcements. The session token itself lives only in the HttpOnly cookie: page script never holds it.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, setUnauthenticatedHandler, type Me, type Member, type Policy, type Unread } from './api';
import { stream, usePollWhileOffline, useStreamEvents } from './stream';
import { navigate } from './router';

export interface Session {
  /** a member is signed in (the HttpOnly session cookie holds the token) */
  authed: boolean;
  me: Me | null;
  /** true while the first GET /v1/me is in flight */
  loading: boolean;
  policy: Policy;
  signedIn: (member: Member) => Promise<void>;
  signOut: () => Promise<void>;
  refreshMe: () => Promise<void>;
  setMe: (fn: (me: Me) => Me) => void;
  /** GET /v1/me unread: notifications, and conversations with unread messages per folder */
  unread: Unread;
  refreshUnread: () => void;
  /** pending invitations received (the badge on "My network") */
  invitationsReceived: number;
  /** polite screen-reader (and visible) announcement */
  announce: (text: string) => void;
  /** Clears the announcement (and its toast) when it was made on an earlier screen (not just before navigating here). */
  dismiss: () => void;
  announcement: string;
  /** pages the caller administers (created here, or named by the server in /v1/me `pages`) */
  pages: Member[];
  rememberPage: (page: Member) => void;
}

const SessionContext = createContext<Session | null>(null);

const NO_UNREAD: Unread = { notifications: 0, inbox: 0, requests: 0, filtered: 0 };

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

function pagesKey(memberId: string): string {
  return `liaison.pages.${memberId}`;
}

function loadPages(memberId: string): Member[] {
  try {
    const raw = localStorage.getItem(pagesKey(memberId));
    const v: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(v) ? (v as Member[]) : [];
  } catch {
    return [];
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [authed, setAuthedState] = useState(false);
  const authedRef = useRef(false);
  const setAuthed = useCallback((v: boolean) => {
    authedRef.current = v;
    setAuthedState(v);
  }, []);
  const [me, setMeState] = useState<Me | null>(null);
  // the first GET /v1/me tells whether the cookie holds a session
  const [loading, setLoading] = useState<boolean>(true);
  // the policy in force comes from the server (GET /v1/policy): the web holds no copy of its numbers
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [unread, setUnread] = useState<Unread>(NO_UNREAD);
  const [invitationsReceived, setInvitationsReceived] = useState(0);
  const [announcement, setAnnouncement] = useState('');
  const [localPages, setLocalPages] = useState<Member[]>([]);
  const unreadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const clearSession = useCallback(() => {
    setAuthed(false);
    setMeState(null);
    setUnread(NO_UNREAD);
    setInvitationsReceived(0);
    stream.stop();
  }, [setAuthed]);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      if (!authedRef.current) return;
      clearSession();
      navigate('#/signin', true);
    });
    return () => setUnauthenticatedHandler(null);
  }, [clearSession]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (wait: number) => {
      api
        .policy()
        .then((p) => {
          if (!stopped) setPolicy(p);
        })
        .catch(() => {
          // unreachable for now: ask again, a little later each time
          if (!stopped) timer = setTimeout(() => load(Math.min(wait * 2, 30_000)), wait);
        });
    };
    load(1000);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, []);

  const refreshMe = useCallback(async () => {
    try {
      const m = await api.me();
      setMeState(m);
      if (m.unread) setUnread(m.unread);
      setLocalPages(loadPages(m.member.id));
      setAuthed(true);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
      setAuthed(false);
    }
  }, [setAuthed]);

  // At start: does the cookie hold a session?
  useEffect(() => {
    refreshMe()
      .catch(() => {
        /* shown by screens that need /me */
      })
      .finally(() => setLoading(false));
  }, [refreshMe]);

  useEffect(() => {
    if (authed) stream.start();
    else stream.stop();
  }, [authed]);

  const refreshUnreadNow = useCallback(() => {
    if (!authedRef.current) return;
    // the counts of GET /v1/me (notifications, and conversations with unread messages per folder)
    api
      .me()
      .then((m) => {
        // quotas too: a grant of InMail credits arrives as a notification
        setMeState(m);
        if (m.unread) setUnread(m.unread);
      })
      .catch(() => {
        /* badges are best-effort */
      });
  }, []);

  const refreshUnread = useCallback(() => {
    if (unreadTimer.current) clearTimeout(unreadTimer.current);
    unreadTimer.current = setTimeout(refreshUnreadNow, 250);
  }, [refreshUnreadNow]);

  // /me is fetched again after every invitation event and every accept / ignore: count them then
  useEffect(() => {
    if (!me || !authedRef.current) return;
    api
      .invitations('received')
      .then((l) => setInvitationsReceived(l.items.length))
      .catch(() => {
        /* badges are best-effort */
      });
  }, [me]);

  useStreamEvents((e) => {
    if (e.type === 'message.created' || e.type === 'conversation.request' || e.type === 'read' || e.type === 'notification.created') refreshUnread();
    if (e.type === 'invitation.received' || e.type === 'invitation.accepted') {
      refreshMe().catch(() => undefined);
    }
  });

  // badges without the live stream
  usePollWhileOffline(() => {
    if (me) refreshUnread();
    if (me) refreshMe().catch(() => undefined);
  }, 15_000);

  const signedIn = useCallback(
    async (member: Member) => {
      setLocalPages(loadPages(member.id));
      setAuthed(true);
      setLoading(true);
      try {
        await refreshMe();
      } catch {
        /* shown by screens that need /me */
      } finally {
        setLoading(false);
      }
    },
    [refreshMe, setAuthed],
  );

  const signOut = useCallback(async () => {
    try {
      await api.signOut();
    } catch {
      /* the session is dropped locally anyway */
    }
    clearSession();
  }, [clearSession]);

  const announceTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const announcedAt = useRef(0);
  const dismiss = useCallback(() => {
    // an announcement made in the last second goes with the navigation that followed it ("Message sent." → the conversation)
    if (Date.now() - announcedAt.current < 1000) return;
    if (announceTimer.current) clearTimeout(announceTimer.current);
    setAnnouncement('');
  }, []);
  const announce = useCallback((text: string) => {
    announcedAt.current = Date.now();
    // re-set so that the same text is announced twice in a row; clear after a while (the toast goes too)
    setAnnouncement('');
    if (announceTimer.current) clearTimeout(announceTimer.current);
    setTimeout(() => setAnnouncement(text), 30);
    announceTimer.current = setTimeout(() => setAnnouncement(''), 6000);
  }, []);

  const rememberPage = useCallback(
    (page: Member) => {
      if (!me) return;
      setLocalPages((prev) => {
        const next = [...prev.filter((p) => p.handle.toLowerCase() !== page.handle.toLowerCase()), page];
        try {
          localStorage.setItem(pagesKey(me.member.id), JSON.stringify(next));
        } catch {
          /* ignore */
        }
        return next;
      });
    },
    [me],
  );

  const pages = useMemo(() => {
    const all = [...(me?.pages ?? []), ...localPages];
    const seen = new Set<string>();
    return all.filter((p) => {
      const k = p.handle.toLowerCase();
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }, [me, localPages]);

  const setMe = useCallback((fn: (m: Me) => Me) => setMeState((m) => (m ? fn(m) : m)), []);

  if (!policy)
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  const value: Session = {
    authed,
    me,
    loading,
    policy,
    signedIn,
    signOut,
    refreshMe,
    setMe,
    unread,
    refreshUnread,
    invitationsReceived,
    announce,
    dismiss,
    announcement,
    pages,
    rememberPage,
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
