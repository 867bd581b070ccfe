/**
 * Unread conversations per page the caller administers (inbox and requests of each page's shared
 * inbox), for the badges beside each page's name; live, and polled while the stream is down.
 */
import { useEffect, useRef, useState } from 'react';
import { api, type Member } from '../api';
import { usePollWhileOffline, useStreamEvents } from '../stream';

export function usePageUnread(pages: Member[]): Record<string, number> {
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [tick, setTick] = useState(0);
  const key = pages.map((p) => p.handle).join(',');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!key) return;
    let live = true;
    const handles = key.split(',');
    void Promise.all(
      handles.map(async (h) => {
        const lists = await Promise.all([api.conversations('inbox', h).catch(() => null), api.conversations('requests', h).catch(() => null)]);
        return [h, lists.reduce((n, l) => n + (l?.items.filter((c) => c.unread > 0).length ?? 0), 0)] as const;
      }),
    ).then((pairs) => {
      if (live) setCounts(Object.fromEntries(pairs));
    });
    return () => {
      live = false;
    };
  }, [key, tick]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  useStreamEvents((e) => {
    if (!key) return;
    if (e.type === 'message.created' || e.type === 'conversation.request' || e.type === 'read' || e.type === 'notification.created') {
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => setTick((t) => t + 1), 500);
    }
  });
  usePollWhileOffline(() => {
    if (key) setTick((t) => t + 1);
  }, 15_000);
  return counts;
}
