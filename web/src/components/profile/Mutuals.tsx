/** The mutual connections of the caller and a member. */
import { useState } from 'react';
import { api, type Member } from '../../api';
import { link } from '../../router';
import { Empty, ErrorNotice, Loading, MemberSummary, MoreButton, ScreenHeading, useAction, useAsync } from '../common';

export function MutualsScreen({ handle }: { handle: string }) {
  const [items, setItems] = useState<Member[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, reload] = useAsync(async () => {
    const l = await api.mutuals(handle);
    setItems(l.items);
    setCursor(l.nextCursor);
    return l;
  }, [handle]);
  const more = useAction();
  return (
    <section aria-labelledby="mutuals-title">
      <p>
        <a href={link(['profile', handle])}>← Back to profile</a>
      </p>
      <ScreenHeading>
        <span id="mutuals-title">Mutual connections with {handle}</span>
      </ScreenHeading>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorNotice error={state.error} onRetry={reload} />}
      {state.status === 'ok' && items.length === 0 && <Empty>You have no mutual connections.</Empty>}
      {items.length > 0 && (
        <ul className="list" data-testid="mutuals-list">
          {items.map((mm) => (
            <li key={mm.id} className="list-item" data-testid="mutual">
              <MemberSummary member={mm} />
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <MoreButton
          busy={more.busy}
          onClick={() =>
            more.run(async () => {
              const l = await api.mutuals(handle, cursor);
              setItems((prev) => [...prev, ...l.items]);
              setCursor(l.nextCursor);
            })
          }
        />
      )}
      <ErrorNotice error={more.error} />
    </section>
  );
}
