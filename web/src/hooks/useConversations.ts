/** The conversation list of one folder (for the member, or a page acted as), its unread counts per folder, live. */
import { useEffect, useRef, useState } from 'react';
import { api, type Conversation, type Folder } from '../api';
import { usePollWhileOffline, useStreamEvents } from '../stream';
import { FOLDERS, remember } from './conversationCache';
import { useAction, useAsync } from './useAsync';

export function useConversations(folder: Folder, as: string | null) {
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

  const loadMore = () =>
    cursor &&
    more.run(async () => {
      const l = await api.conversations(folder, as, cursor);
      l.items.forEach((c) => remember(c, as));
      setItems((prev) => [...prev, ...l.items.filter((c) => !prev.some((p) => p.id === c.id))]);
      setCursor(l.nextCursor);
    });

  return { items, cursor, counts, state, reload, more, loadMore };
}
