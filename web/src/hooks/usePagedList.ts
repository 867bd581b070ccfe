/** A cursor-paged list (API.md "Lists"): the first page on load, "Show more" appends the next. */
import { useState } from 'react';
import { useAction, useAsync } from './useAsync';

export function usePagedList<T>(fetchPage: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>, deps: unknown[]) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, reload] = useAsync(async () => {
    const l = await fetchPage(null);
    setItems(l.items);
    setCursor(l.nextCursor);
    return true;
  }, deps);
  const more = useAction();
  const loadMore = () =>
    cursor &&
    more.run(async () => {
      const l = await fetchPage(cursor);
      setItems((prev) => [...prev, ...l.items]);
      setCursor(l.nextCursor);
    });
  return { items, setItems, cursor, state, reload, more, loadMore };
}
