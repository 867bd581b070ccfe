/**
 * One conversation: its messages (newest page, older on demand), its summary, typing and "Seen",
 * kept live by the stream (or by polling while it is down); send and mark read.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, type Conversation, type Member, type Message, type StreamEvent } from '../api';
import { eventActor, eventConversationId, field, stream, usePollWhileOffline, useStreamEvents } from '../stream';
import { idAtLeast, isMe, isReceivedRequest } from '../components/messages/shared';
import { cached, findConversation, remember } from './conversationCache';
import { useAction, useAsync } from './useAsync';

function messageFromEvent(e: StreamEvent): Message | null {
  const m = field<Message>(e.data, 'message') ?? (e.data as Message | null);
  if (m && typeof m === 'object' && typeof m.id === 'string' && typeof m.body === 'string') return m;
  return null;
}

export function useConversation(id: string, as: string | null, me: Member | undefined, onRead: () => void) {
  const [conv, setConv] = useState<Conversation | null>(() => cached(id, as));
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

  const markRead = () => {
    api
      .conversationAction(id, 'read', as)
      .then((c) => {
        if (c && typeof c === 'object' && 'id' in c) {
          remember(c, as);
          setConv((prev) => (prev ? { ...prev, ...c } : c));
        }
        onRead();
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

  const atBottom = () => {
    const el = listRef.current;
    return !el || el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };

  // Without the live stream (down, reconnecting, or not offered by the server), fetch the newest
  // page every few seconds and append what is new; with the stream, events do this at once.
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  usePollWhileOffline(() => {
    if (state.status !== 'ok') return;
    api
      .messages(id, as)
      .then((l) => {
        const known = new Set(messagesRef.current.map((m) => m.id));
        const add = [...l.items].reverse().filter((m) => !known.has(m.id));
        if (add.length === 0) return;
        stickToBottom.current = atBottom();
        setMessages((prev) => [...prev, ...add.filter((m) => !prev.some((p) => p.id === m.id))]);
        if (add.some((m) => !isMe(m.sender, me, as)) && !isReceivedRequest(conv)) markRead();
      })
      .catch(() => undefined);
  }, 4000);

  useStreamEvents((e) => {
    if (eventConversationId(e.data) !== id) return;
    if (e.type === 'message.created') {
      const m = messageFromEvent(e);
      // the event's message lacks the introducer of a forwarded introduction: fetch it whole
      if (!m || (m.channel === 'introduction' && !m.introducedBy)) {
        reload();
        return;
      }
      stickToBottom.current = atBottom();
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
      if ((who.id || who.handle) && !isMe(who, me, as)) setSeen(true);
    }
  });

  const sendTyping = () => {
    const now = Date.now();
    if (now - lastTypingSent.current < 3000) return;
    lastTypingSent.current = now;
    stream.send({ type: 'typing', conversationId: id, data: { conversationId: id, ...(as ? { as } : {}) } });
  };

  const lastMine = useMemo(() => {
    for (let i = messages.length - 1; i >= 0; i--) if (isMe(messages[i].sender, me, as)) return messages[i].id;
    return null;
  }, [messages, me, as]);
  const lastIsMine = messages.length > 0 && messages[messages.length - 1].id === lastMine;
  // Seen: a read event while open, or what the server says the other side read (conversation.readUpTo,
  // when both have read receipts on), so a reload keeps it
  const readUpTo = conv?.readUpTo ?? null;
  const seenLast = lastIsMine && (seen || (readUpTo !== null && lastMine !== null && idAtLeast(readUpTo, lastMine)));

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

  const loadOlder = () =>
    cursor &&
    more.run(async () => {
      stickToBottom.current = false;
      const l = await api.messages(id, as, cursor);
      setMessages((prev) => [...[...l.items].reverse().filter((m) => !prev.some((p) => p.id === m.id)), ...prev]);
      setCursor(l.nextCursor);
    });

  const accepted = (c: Conversation | null) => {
    if (c) {
      remember(c, as);
      setConv(c);
    } else setConv((prev) => (prev ? { ...prev, state: 'open', folder: 'inbox' } : prev));
    markRead();
  };

  return { conv, messages, cursor, typing, state, reload, listRef, send, sendAction, sendTyping, more, loadOlder, lastMine, seenLast, accepted };
}
