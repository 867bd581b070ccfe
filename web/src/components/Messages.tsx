import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { api, type Conversation, type Decision, type Folder, type Member, type Message, type StreamEvent } from '../api';
import { link, navigate } from '../router';
import { useSession } from '../session';
import { eventActor, eventConversationId, field, stream, usePollWhileOffline, useStreamEvents } from '../stream';
import { formatTime, plural } from '../text';
import { AttachmentLinks, AttachmentPicker, useUploads } from './Attachments';
import { Avatar, CharCounter, charCount, CountBadge, Empty, ErrorNotice, Loading, MoreButton, ScreenHeading, useAction, useAsync, useFieldId } from './common';
import { bodyIsIntroductionNote, IntroducedByBadge, IntroductionCard } from './Introductions';
import { DecisionExplanation } from './Profile';

// ------------------------------------------------------------------ shared helpers

/** Conversations seen in lists, so that a conversation view knows its state without a request. */
const conversationCache = new Map<string, Conversation>();

function cacheKey(id: string, as: string | null | undefined): string {
  return `${as ?? ''}:${id}`;
}

function remember(c: Conversation, as: string | null | undefined): void {
  conversationCache.set(cacheKey(c.id, as), c);
}

function isMe(m: { id?: string; handle?: string }, me: Member | undefined, as: string | null | undefined): boolean {
  if (as) return !!m.handle && m.handle.toLowerCase() === as.toLowerCase();
  if (!me) return false;
  return (m.id != null && m.id === me.id) || (m.handle != null && m.handle.toLowerCase() === me.handle.toLowerCase());
}

function others(c: Conversation, me: Member | undefined, as: string | null | undefined): Member[] {
  const o = c.participants.filter((p) => !isMe(p, me, as));
  return o.length > 0 ? o : c.participants;
}

function titleOf(c: Conversation, me: Member | undefined, as: string | null | undefined): string {
  return others(c, me, as)
    .map((p) => p.name)
    .join(', ');
}

const URL_RE = /(https?:\/\/[^\s<>"']+)/g;

/** Message text as text; http(s) links become anchors. Never HTML. */
export function MessageText({ text }: { text: string }) {
  const parts = text.split(URL_RE);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} target="_blank" rel="noopener noreferrer nofollow ugc">
            {part}
          </a>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </>
  );
}

function asQuery(as: string | null | undefined): Record<string, string | undefined> {
  return as ? { as } : {};
}

// ------------------------------------------------------------------ folders

/** A request the viewer received, in Requests or set aside in Filtered (DOMAIN.md 9). */
function isReceivedRequest(c: Conversation | null | undefined): boolean {
  return !!c && c.state === 'request' && c.folder !== 'inbox';
}

const FOLDERS: Folder[] = ['inbox', 'requests', 'filtered'];

export function MessagesScreen({ folder, as }: { folder: Folder; as: string | null }) {
  const session = useSession();
  const me = session.me?.member;
  const [items, setItems] = useState<Conversation[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [counts, setCounts] = useState<Record<Folder, number>>({ inbox: 0, requests: 0, filtered: 0 });
  const [state, reload] = useAsync(async () => {
    const lists = await Promise.all(FOLDERS.map((f) => (f === folder ? api.conversations(f, as) : api.conversations(f, as).catch(() => null))));
    const l = lists[FOLDERS.indexOf(folder)]!;
    for (const x of lists) x?.items.forEach((c) => remember(c, as));
    setItems(l.items);
    setCursor(l.nextCursor);
    const sum = (xs: Conversation[] | undefined) => (xs ?? []).reduce((n, c) => n + (c.unread || 0), 0);
    setCounts({ inbox: sum(lists[0]?.items), requests: sum(lists[1]?.items), filtered: sum(lists[2]?.items) });
    return true;
  }, [folder, as]);
  const more = useAction();

  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useStreamEvents((e) => {
    if (e.type === 'message.created' || e.type === 'conversation.request' || e.type === 'read') {
      if (reloadTimer.current) clearTimeout(reloadTimer.current);
      reloadTimer.current = setTimeout(reload, 200);
    }
  });
  useEffect(
    () => () => {
      if (reloadTimer.current) clearTimeout(reloadTimer.current);
    },
    [],
  );
  // without the live stream, new conversations still show up
  usePollWhileOffline(reload, 5000);

  const tab = (f: Folder, label: string) => (
    <a
      href={link(['messages'], { folder: f === 'inbox' ? undefined : f, ...asQuery(as) })}
      className={`folder-tab ${folder === f ? 'active' : ''}`}
      aria-current={folder === f ? 'page' : undefined}
      data-testid={`folder-${f}`}
    >
      {label}
      <CountBadge count={counts[f]} label="unread" testId={`unread-${f}`} />
    </a>
  );

  return (
    <div className="messages">
      <div className="screen-title-row">
        <ScreenHeading>{as ? `Messages of ${as}` : 'Messaging'}</ScreenHeading>
        <a className="btn btn-primary" href={link(['messages', 'new'], asQuery(as))} data-testid="compose">
          New message
        </a>
      </div>
      {as && (
        <p className="acting-as" data-testid="acting-as">
          You are acting as the page <strong>{as}</strong>: this is its shared inbox. <a href="#/messages">Back to my messages</a>
        </p>
      )}
      <nav className="folder-tabs" aria-label="Folders">
        {tab('inbox', 'Inbox')}
        {tab('requests', 'Requests')}
        {tab('filtered', 'Filtered')}
      </nav>
      {state.status === 'loading' && <Loading label="Loading conversations…" />}
      {state.status === 'error' && (
        <ErrorNotice
          error={state.error}
          onRetry={reload}
          overrides={as ? { forbidden: `You are not an admin of the page ${as}.`, not_found: `There is no page ${as} that you administer.` } : undefined}
        />
      )}
      {state.status === 'ok' && items.length === 0 && (
        <Empty>
          {folder === 'inbox'
            ? 'No conversations yet. Start one with “New message”.'
            : folder === 'filtered'
              ? 'Nothing filtered. Requests that match your message-request filters (Settings) wait here, without a notification.'
              : 'No message requests. Messages from people outside your network appear here first.'}
        </Empty>
      )}
      {items.length > 0 && (
        <ul className="conversation-list" aria-label={folder === 'inbox' ? 'Inbox' : folder === 'filtered' ? 'Filtered' : 'Requests'}>
          {items.map((c) => {
            const title = titleOf(c, me, as);
            const last = c.lastMessage;
            const pendingSent = c.state === 'request' && c.folder === 'inbox';
            return (
              <li key={c.id} data-testid="conversation" data-id={c.id} data-unread={c.unread} className={c.unread > 0 ? 'unread' : ''}>
                <a href={link(['messages', c.id], asQuery(as))} className="conversation-link">
                  <Avatar member={others(c, me, as)[0] ?? { name: '?', handle: '?', kind: 'person' }} />
                  <span className="conversation-text">
                    <span className="conversation-title">
                      {title}
                      {pendingSent && <span className="badge badge-pending">Pending</span>}
                      {isReceivedRequest(c) && <span className="badge">Request</span>}
                      <IntroducedByBadge message={last} />
                    </span>
                    {last && (
                      <span className="conversation-snippet">
                        {last.subject ? `${last.subject}: ` : ''}
                        {isMe(last.sender, me, as) ? 'You: ' : ''}
                        {last.body.length > 120 ? last.body.slice(0, 120) + '…' : last.body}
                      </span>
                    )}
                  </span>
                  <span className="conversation-meta">
                    {last && <time dateTime={last.createdAt}>{formatTime(last.createdAt)}</time>}
                    <CountBadge count={c.unread} label="unread" testId="unread-badge" />
                  </span>
                </a>
              </li>
            );
          })}
        </ul>
      )}
      {cursor && (
        <MoreButton
          busy={more.busy}
          onClick={() =>
            more.run(async () => {
              const l = await api.conversations(folder, as, cursor);
              l.items.forEach((c) => remember(c, as));
              setItems((prev) => [...prev, ...l.items.filter((c) => !prev.some((p) => p.id === c.id))]);
              setCursor(l.nextCursor);
            })
          }
        />
      )}
      <ErrorNotice error={more.error} />
    </div>
  );
}

// ------------------------------------------------------------------ composer

function Composer({
  onSend,
  max,
  disabled,
  disabledReason,
  onTyping,
}: {
  onSend: (body: string, attachments: string[]) => Promise<boolean>;
  max: number;
  disabled?: boolean;
  disabledReason?: string;
  onTyping?: () => void;
}) {
  const id = useFieldId('composer');
  const [body, setBody] = useState('');
  const [sending, setSending] = useState(false);
  const uploads = useUploads();
  const tooLong = charCount(body) > max;
  const empty = body.trim() === '' && uploads.ids.length === 0;
  const canSend = !disabled && !sending && !tooLong && !empty && !uploads.busy;

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (!canSend) return;
    setSending(true);
    const ok = await onSend(body, uploads.ids);
    setSending(false);
    if (ok) {
      setBody('');
      uploads.clear();
      document.getElementById(`${id}-body`)?.focus();
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  }

  return (
    <form className="composer" onSubmit={submit} aria-label="Write a message" data-testid="composer">
      <label htmlFor={`${id}-body`} className="visually-hidden">
        Message
      </label>
      <textarea
        id={`${id}-body`}
        value={body}
        rows={3}
        placeholder={disabled ? disabledReason : 'Write a message…'}
        disabled={disabled}
        onChange={(e) => {
          setBody(e.target.value);
          onTyping?.();
        }}
        onKeyDown={onKeyDown}
        aria-describedby={`${id}-count ${id}-hint`}
        aria-invalid={tooLong || undefined}
      />
      <div className="composer-bar">
        <AttachmentPicker state={uploads} />
        <CharCounter id={`${id}-count`} value={body} max={max} />
        <span id={`${id}-hint`} className="visually-hidden">
          Enter sends, Shift+Enter starts a new line.
        </span>
        <button type="submit" className="btn btn-primary" disabled={!canSend}>
          {sending ? 'Sending…' : 'Send'}
        </button>
      </div>
    </form>
  );
}

// ------------------------------------------------------------------ conversation

type ReportReason = 'spam' | 'harassment' | 'other';

function RequestBanner({ conv, as, onChanged, from }: { conv: Conversation; as: string | null; onChanged: (c: Conversation | null) => void; from: string }) {
  const { announce, refreshUnread } = useSession();
  const { busy, error, run } = useAction();
  const [reporting, setReporting] = useState(false);
  const [reason, setReason] = useState<ReportReason>('spam');
  const id = useFieldId('report');

  const act = async (fn: () => Promise<Conversation | void>, done: string, leave: boolean) => {
    const res = await run(async () => (await fn()) ?? null);
    if (res !== undefined) {
      announce(done);
      refreshUnread();
      if (leave) navigate(link(['messages'], { folder: conv.folder === 'filtered' ? 'filtered' : 'requests', ...asQuery(as) }));
      else onChanged(res);
    }
  };

  return (
    <div className="notice request-banner" role="region" aria-label="Message request" data-testid="request-banner">
      <p>
        <strong>{from}</strong> wants to start a conversation with {as ? `the page ${as}` : 'you'}. Accept to reply;
        {as ? ' requests to a page can only be accepted or deleted.' : ' if you ignore it, they will not be told.'}
      </p>
      <div className="button-row">
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() => act(() => api.conversationAction(conv.id, 'accept', as), 'Request accepted.', false)}
        >
          Accept
        </button>
        {as ? (
          <button
            type="button"
            className="btn btn-secondary"
            disabled={busy}
            onClick={() => act(() => api.deleteConversation(conv.id, as), 'Request deleted.', true)}
          >
            Delete request
          </button>
        ) : (
          <button
            type="button"
            className="btn btn-secondary"
            disabled={busy}
            onClick={() => act(() => api.conversationAction(conv.id, 'ignore', as), 'Request ignored.', true)}
          >
            Ignore
          </button>
        )}
        <button type="button" className="btn btn-link" aria-expanded={reporting} onClick={() => setReporting((r) => !r)}>
          Report
        </button>
      </div>
      {reporting && (
        <form
          className="panel"
          aria-label="Report this conversation"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => api.reportConversation(conv.id, reason, as), 'Thank you. The conversation was reported.', true);
          }}
        >
          <label htmlFor={`${id}-reason`}>Reason</label>
          <select id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value as ReportReason)}>
            <option value="spam">Spam</option>
            <option value="harassment">Harassment</option>
            <option value="other">Something else</option>
          </select>
          <button type="submit" className="btn btn-danger" disabled={busy}>
            Send report
          </button>
        </form>
      )}
      <ErrorNotice error={error} />
    </div>
  );
}

async function findConversation(id: string, as: string | null): Promise<Conversation | null> {
  const cached = conversationCache.get(cacheKey(id, as));
  if (cached) return cached;
  for (const folder of FOLDERS) {
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const l = await api.conversations(folder, as, cursor);
      l.items.forEach((c) => remember(c, as));
      const hit = l.items.find((c) => c.id === id);
      if (hit) return hit;
      if (!l.nextCursor) break;
      cursor = l.nextCursor;
    }
  }
  return null;
}

function messageFromEvent(e: StreamEvent): Message | null {
  const m = field<Message>(e.data, 'message') ?? (e.data as Message | null);
  if (m && typeof m === 'object' && typeof m.id === 'string' && typeof m.body === 'string') return m;
  return null;
}

export function ConversationScreen({ id, as }: { id: string; as: string | null }) {
  const session = useSession();
  const { policy, refreshUnread } = session;
  const me = session.me?.member;
  const [conv, setConv] = useState<Conversation | null>(() => conversationCache.get(cacheKey(id, as)) ?? null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [typing, setTyping] = useState<string | null>(null);
  const [seen, setSeen] = useState(false);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastTypingSent = useRef(0);
  const listRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const sendAction = useAction();
  const more = useAction();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const deleteAction = useAction();

  const markRead = () => {
    api
      .conversationAction(id, 'read', as)
      .then((c) => {
        if (c && typeof c === 'object' && 'id' in c) {
          remember(c, as);
          setConv((prev) => (prev ? { ...prev, ...c } : c));
        }
        refreshUnread();
      })
      .catch(() => undefined);
  };

  const [state, reload] = useAsync(async () => {
    const [l, c] = await Promise.all([api.messages(id, as), findConversation(id, as).catch(() => null)]);
    setMessages([...l.items].reverse());
    setCursor(l.nextCursor);
    if (c) setConv(c);
    stickToBottom.current = true;
    if (!isReceivedRequest(c)) markRead();
    return true;
  }, [id, as]);

  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, typing]);

  useEffect(
    () => () => {
      if (typingTimer.current) clearTimeout(typingTimer.current);
    },
    [],
  );

  const nameOf = (a: { id?: string; handle?: string; name?: string }): string => {
    const p = conv?.participants.find((x) => (a.id && x.id === a.id) || (a.handle && x.handle === a.handle));
    return p?.name ?? a.name ?? a.handle ?? 'Someone';
  };

  // Without the live stream (down, reconnecting, or not offered by the server), fetch the newest
  // page every few seconds and append what is new; with the stream, events do this at once.
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  const poll = () => {
    if (state.status !== 'ok') return;
    api
      .messages(id, as)
      .then((l) => {
        const known = new Set(messagesRef.current.map((m) => m.id));
        const add = [...l.items].reverse().filter((m) => !known.has(m.id));
        if (add.length === 0) return;
        const el = listRef.current;
        stickToBottom.current = !el || el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        setMessages((prev) => [...prev, ...add.filter((m) => !prev.some((p) => p.id === m.id))]);
        if (add.some((m) => !isMe(m.sender, me, as)) && !isReceivedRequest(conv)) markRead();
      })
      .catch(() => undefined);
  };
  usePollWhileOffline(poll, 4000);

  useStreamEvents((e) => {
    if (eventConversationId(e.data) !== id) return;
    if (e.type === 'message.created') {
      const m = messageFromEvent(e);
      // the event's message lacks the introducer of a forwarded introduction: fetch it whole
      if (!m || (m.channel === 'introduction' && !m.introducedBy)) {
        reload();
        return;
      }
      const el = listRef.current;
      stickToBottom.current = !el || el.scrollHeight - el.scrollTop - el.clientHeight < 80;
      setMessages((prev) => (prev.some((x) => x.id === m.id) ? prev : [...prev, m]));
      const c = field<Conversation>(e.data, 'conversation');
      if (c && typeof c === 'object' && c.id === id) setConv((prev) => ({ ...(prev ?? c), ...c }));
      if (!isMe(m.sender, me, as)) {
        setTyping(null);
        if (!isReceivedRequest(conv)) markRead();
      } else {
        setSeen(false);
      }
    } else if (e.type === 'typing') {
      const who = eventActor(e.data);
      if (isMe(who, me, as)) return;
      setTyping(`${nameOf(who)} is typing…`);
      if (typingTimer.current) clearTimeout(typingTimer.current);
      typingTimer.current = setTimeout(() => setTyping(null), 5000);
    } else if (e.type === 'read') {
      const who = eventActor(e.data);
      if (who.id || who.handle) {
        if (!isMe(who, me, as)) setSeen(true);
      }
    }
  });

  const sendTyping = () => {
    const now = Date.now();
    if (now - lastTypingSent.current < 3000) return;
    lastTypingSent.current = now;
    stream.send({ type: 'typing', conversationId: id, data: { conversationId: id, ...(as ? { as } : {}) } });
  };

  const isRecipientOfRequest = isReceivedRequest(conv);
  const isSenderOfRequest = !!conv && conv.state === 'request' && conv.folder === 'inbox';
  const title = conv ? titleOf(conv, me, as) : 'Conversation';
  const lastMine = useMemo(() => {
    for (let i = messages.length - 1; i >= 0; i--) if (isMe(messages[i].sender, me, as)) return messages[i].id;
    return null;
  }, [messages, me, as]);
  const lastIsMine = messages.length > 0 && messages[messages.length - 1].id === lastMine;
  // Seen: a read event while open, or what the server says the other side read (conversation.readUpTo,
  // when both have read receipts on), so a reload keeps it
  const readUpTo = conv?.readUpTo ?? null;
  const seenLast = seen || (readUpTo !== null && lastMine !== null && idAtLeast(readUpTo, lastMine));

  const send = async (body: string, attachments: string[]) => {
    const res = await sendAction.run(() => api.reply(id, { body, attachments: attachments.length ? attachments : undefined }, as));
    if (!res) return false;
    stickToBottom.current = true;
    setMessages((prev) => (prev.some((x) => x.id === res.message.id) ? prev : [...prev, res.message]));
    if (res.conversation) {
      remember(res.conversation, as);
      setConv(res.conversation);
    }
    setSeen(false);
    return true;
  };

  let other: ReactNode = null;
  if (conv) {
    const o = others(conv, me, as);
    other =
      o.length === 1 ? (
        <a href={link(['profile', o[0].handle])}>{o[0].name}</a>
      ) : (
        o.map((p, i) => (
          <Fragment key={p.id}>
            {i > 0 && ', '}
            <a href={link(['profile', p.handle])}>{p.name}</a>
          </Fragment>
        ))
      );
  }

  return (
    <div className="conversation" data-testid="conversation-view" data-id={id} data-state={conv?.state}>
      <p className="back-link">
        <a href={link(['messages'], { folder: conv && conv.folder !== 'inbox' ? conv.folder : undefined, ...asQuery(as) })}>
          ← {conv?.folder === 'requests' ? 'Requests' : conv?.folder === 'filtered' ? 'Filtered' : 'Inbox'}
        </a>
      </p>
      <div className="screen-title-row">
        <ScreenHeading className="conversation-title">{title}</ScreenHeading>
        <button type="button" className="btn btn-link btn-small" onClick={() => setConfirmDelete((v) => !v)} aria-expanded={confirmDelete}>
          Delete conversation
        </button>
      </div>
      {conv && (
        <p className="muted small">
          With {other}
          {as ? ` · acting as ${as}` : ''}
        </p>
      )}
      {confirmDelete && (
        <div className="panel" role="group" aria-label="Delete conversation">
          <p>Remove this conversation from your list? The other side keeps their copy.</p>
          <div className="button-row">
            <button
              type="button"
              className="btn btn-danger"
              disabled={deleteAction.busy}
              onClick={async () => {
                const ok = await deleteAction.run(async () => {
                  await api.deleteConversation(id, as);
                  return true;
                });
                if (ok) {
                  session.announce('Conversation deleted.');
                  navigate(link(['messages'], asQuery(as)));
                }
              }}
            >
              Delete
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </div>
          <ErrorNotice error={deleteAction.error} />
        </div>
      )}

      {conv && isRecipientOfRequest && (
        <RequestBanner
          conv={conv}
          as={as}
          from={title}
          onChanged={(c) => {
            if (c) {
              remember(c, as);
              setConv(c);
            } else setConv({ ...conv, state: 'open', folder: 'inbox' });
            markRead();
          }}
        />
      )}
      {isSenderOfRequest && (
        <div className="notice notice-info" role="status" data-testid="pending-request">
          <p>
            Your message request to {title} is pending. They haven't accepted it yet; until they do, you can send{' '}
            {policy.followUpsWhilePending === 1 ? 'one follow-up message' : plural(policy.followUpsWhilePending, 'follow-up message')}.
          </p>
        </div>
      )}

      {state.status === 'loading' && messages.length === 0 && <Loading label="Loading messages…" />}
      {state.status === 'error' && (
        <ErrorNotice error={state.error} onRetry={reload} overrides={{ not_found: "This conversation doesn't exist or isn't available to you." }} />
      )}
      {cursor && (
        <MoreButton
          busy={more.busy}
          onClick={() =>
            more.run(async () => {
              stickToBottom.current = false;
              const l = await api.messages(id, as, cursor);
              setMessages((prev) => [...[...l.items].reverse().filter((m) => !prev.some((p) => p.id === m.id)), ...prev]);
              setCursor(l.nextCursor);
            })
          }
        />
      )}
      {state.status === 'ok' && messages.length === 0 && <Empty>No messages yet.</Empty>}
      {/* a log of divs: an <ol role="log"> loses its list semantics and leaves its <li>s orphaned */}
      <div className="message-list" ref={listRef} role="log" aria-live="polite" aria-label="Messages" data-testid="message-list">
        {messages.map((m) => {
          const mine = isMe(m.sender, me, as);
          return (
            <div key={m.id} className={`message ${mine ? 'mine' : 'theirs'}`} data-testid="message" data-id={m.id} data-mine={String(mine)}>
              <div className="message-meta">
                <span className="message-sender" data-testid="message-sender">
                  {mine ? 'You' : m.sender.name}
                </span>{' '}
                <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
                {m.channel === 'inmail' && <span className="badge badge-inmail">InMail</span>}
              </div>
              {m.subject && (
                <p className="message-subject" data-testid="message-subject">
                  {m.subject}
                </p>
              )}
              <IntroductionCard message={m} mine={mine} />
              {m.body && !bodyIsIntroductionNote(m) && (
                <p className="message-body prewrap" data-testid="message-body">
                  <MessageText text={m.body} />
                </p>
              )}
              <AttachmentLinks attachments={m.attachments ?? []} as={as} />
              {mine && m.id === lastMine && lastIsMine && seenLast && (
                <p className="read-receipt" data-testid="read-receipt">
                  Seen
                </p>
              )}
            </div>
          );
        })}
      </div>
      <p className="typing-indicator" data-testid="typing-indicator" aria-live="polite">
        {typing ?? ''}
      </p>
      <ErrorNotice error={sendAction.error} context="message" target={conv ? others(conv, me, as)[0]?.handle : undefined} />
      <Composer onSend={send} max={policy.messageMaxChars} disabled={isRecipientOfRequest} disabledReason="Accept the request to reply" onTyping={sendTyping} />
    </div>
  );
}

// ------------------------------------------------------------------ compose

const HANDLE_RE = /^[a-z0-9_-]{3,30}$/i;

export function ComposeScreen({ initialTo, channel, initialBody, as }: { initialTo: string; channel: string | null; initialBody: string; as: string | null }) {
  const session = useSession();
  const { policy, me, announce } = session;
  const id = useFieldId('compose');
  const [to, setTo] = useState(initialTo);
  const [debouncedTo, setDebouncedTo] = useState(initialTo.trim());
  const [body, setBody] = useState(initialBody);
  const [subject, setSubject] = useState('');
  const [wantInmail, setWantInmail] = useState(channel === 'inmail');
  const [confirming, setConfirming] = useState(false);
  const uploads = useUploads();
  const sendAction = useAction();

  useEffect(() => {
    const t = setTimeout(() => setDebouncedTo(to.trim().replace(/^@/, '')), 350);
    return () => clearTimeout(t);
  }, [to]);

  const validHandle = HANDLE_RE.test(debouncedTo);
  const [decision, reloadDecision] = useAsync<{ decision: Decision; name: string; inmail: Decision | null } | null>(
    async (signal) => {
      if (!validHandle) return null;
      const [d, p] = await Promise.all([api.messageDecision(debouncedTo, signal), api.profile(debouncedTo, signal).catch(() => null)]);
      return { decision: d, name: p?.member.name ?? debouncedTo, inmail: p?.actions?.inmail ?? null };
    },
    [debouncedTo, as],
  );

  const d = decision.status === 'ok' && decision.data ? decision.data.decision : null;
  const name = decision.status === 'ok' && decision.data ? decision.data.name : debouncedTo;
  const cost = d?.cost?.inmailCredits ?? 0;
  const freeAllowed = !!d && d.allowed && d.channel !== 'inmail' && cost === 0;
  const inmailUnlock = d?.unlock.find((u) => u.kind === 'inmail');
  const inmailDecision = decision.status === 'ok' && decision.data ? decision.data.inmail : null;
  // The InMail decision (from the profile) says whether the caller can pay; the unlock alone only
  // says what an InMail would cost (a free member with no credits gets it too).
  const inmailAvailable = !!d && ((d.allowed && (d.channel === 'inmail' || cost > 0)) || (inmailDecision ? inmailDecision.allowed : !!inmailUnlock));
  const inmailCost = cost || inmailDecision?.cost?.inmailCredits || (inmailUnlock && inmailUnlock.kind === 'inmail' ? inmailUnlock.credits : 1) || 1;
  const inmailMode = inmailAvailable && (wantInmail || !freeAllowed);
  const canWrite = freeAllowed || inmailAvailable;
  const max = inmailMode ? policy.inmailBodyMaxChars : policy.messageMaxChars;
  const tooLong = charCount(body) > max || (inmailMode && charCount(subject) > policy.inmailSubjectMaxChars);
  const empty = body.trim() === '' && uploads.ids.length === 0;
  const credits = me?.quotas.inmailCredits ?? 0;
  const ready = canWrite && !tooLong && !empty && !uploads.busy && !sendAction.busy && debouncedTo === to.trim().replace(/^@/, '');

  useEffect(() => setConfirming(false), [debouncedTo, inmailMode]);

  async function doSend() {
    const res = await sendAction.run(() =>
      api.sendMessage({
        to: debouncedTo,
        body,
        subject: inmailMode && subject.trim() ? subject.trim() : undefined,
        channel: inmailMode ? 'inmail' : undefined,
        attachments: uploads.ids.length ? uploads.ids : undefined,
      }),
    );
    if (res) {
      remember(res.conversation, as);
      announce(inmailMode ? 'InMail sent.' : 'Message sent.');
      if (inmailMode) session.refreshMe().catch(() => undefined);
      navigate(link(['messages', res.conversation.id], asQuery(as)), true);
    } else {
      setConfirming(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!ready) return;
    if (inmailMode) setConfirming(true);
    else void doSend();
  }

  return (
    <div className="compose">
      <p className="back-link">
        <a href={link(['messages'], asQuery(as))}>← Messages</a>
      </p>
      <ScreenHeading>{inmailMode ? 'New InMail' : 'New message'}</ScreenHeading>
      {as && <p className="acting-as">Sending as the page {as}.</p>}
      <form onSubmit={submit} aria-label="New message" data-testid="compose-form">
        <div className="field">
          <label htmlFor={`${id}-to`}>To</label>
          <input
            id={`${id}-to`}
            value={to}
            onChange={(e) => setTo(e.target.value)}
            placeholder="handle"
            autoCapitalize="none"
            spellCheck={false}
            aria-describedby={`${id}-to-hint`}
          />
          <p className="hint" id={`${id}-to-hint`}>
            The member's handle. Whether and how you can message them is shown before you send.
          </p>
        </div>

        <div aria-live="polite" className="decision-slot">
          {to.trim() !== '' && !HANDLE_RE.test(to.trim().replace(/^@/, '')) && (
            <p className="field-error">A handle has 3 to 30 characters: letters, digits, _ or -.</p>
          )}
          {validHandle && decision.status === 'loading' && <Loading label="Checking whether you can message them…" />}
          {validHandle && decision.status === 'error' && (
            <ErrorNotice error={decision.error} onRetry={reloadDecision} overrides={{ not_found: 'There is no member with that handle available to you.' }} />
          )}
          {d && (
            <DecisionExplanation
              decision={d}
              inmail={
                inmailAvailable && !d.allowed
                  ? { allowed: true, channel: 'inmail', cost: { inmailCredits: inmailCost }, reason: 'ok', unlock: [] }
                  : (inmailDecision ?? undefined)
              }
              name={name}
              handle={debouncedTo}
              testId="decision-message"
              context="message"
            />
          )}
        </div>

        {d && freeAllowed && inmailAvailable && (
          <label className="checkbox">
            <input type="checkbox" checked={wantInmail} onChange={(e) => setWantInmail(e.target.checked)} />
            Send as an InMail instead ({plural(inmailCost, 'credit')}; it lands straight in their inbox)
          </label>
        )}

        {canWrite && (
          <>
            {inmailMode && (
              <div className="field">
                <label htmlFor={`${id}-subject`}>Subject</label>
                <input
                  id={`${id}-subject`}
                  value={subject}
                  onChange={(e) => setSubject(e.target.value)}
                  aria-describedby={`${id}-subject-count`}
                  aria-invalid={charCount(subject) > policy.inmailSubjectMaxChars || undefined}
                />
                <CharCounter id={`${id}-subject-count`} value={subject} max={policy.inmailSubjectMaxChars} />
              </div>
            )}
            <div className="field">
              <label htmlFor={`${id}-body`}>Message</label>
              <textarea
                id={`${id}-body`}
                value={body}
                rows={6}
                onChange={(e) => setBody(e.target.value)}
                aria-describedby={`${id}-body-count`}
                aria-invalid={charCount(body) > max || undefined}
              />
              <CharCounter id={`${id}-body-count`} value={body} max={max} />
            </div>
            <AttachmentPicker state={uploads} />
          </>
        )}

        <ErrorNotice error={sendAction.error} context="message" target={debouncedTo} />

        {confirming ? (
          <div className="panel confirm" role="alertdialog" aria-labelledby={`${id}-confirm`} data-testid="inmail-confirm">
            <p id={`${id}-confirm`}>
              This InMail costs {plural(inmailCost, 'credit')}. You have {plural(credits, 'InMail credit')}
              {credits >= inmailCost ? `; ${credits - inmailCost} will be left.` : '.'} The credit comes back if {name} replies within {policy.inmailRefundDays}{' '}
              days.
            </p>
            <div className="button-row">
              <button type="button" className="btn btn-primary" onClick={() => void doSend()} disabled={sendAction.busy} autoFocus>
                {sendAction.busy ? 'Sending…' : `Spend ${plural(inmailCost, 'credit')} and send`}
              </button>
              <button type="button" className="btn btn-secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!ready} data-testid="compose-send">
            {inmailMode ? `Send InMail · ${plural(inmailCost, 'credit')}` : 'Send'}
          </button>
        )}
      </form>
    </div>
  );
}

/** Numeric ids as strings (up to 18 digits): `a` ≥ `b` without losing precision. */
function idAtLeast(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a >= b;
}
