/** Whom you follow, and who follows you (GET /v1/follows?direction=). */
import { api } from '../../api';
import { usePagedList } from '../../hooks/usePagedList';
import { link } from '../../router';
import { Empty, ErrorNotice, Loading, MemberSummary, MoreButton, ScreenHeading } from '../common';

export function FollowsScreen({ direction }: { direction: 'followers' | 'following' }) {
  const list = usePagedList((c) => api.follows(direction, c), [direction]);
  const title = direction === 'followers' ? 'Your followers' : 'People you follow';
  return (
    <section aria-labelledby="follows-title" data-testid={`follows-${direction}`}>
      <nav className="folder-tabs" aria-label="Follows">
        <a
          href={link(['network', 'following'])}
          className={`folder-tab ${direction === 'following' ? 'active' : ''}`}
          aria-current={direction === 'following' ? 'page' : undefined}
        >
          Following
        </a>
        <a
          href={link(['network', 'followers'])}
          className={`folder-tab ${direction === 'followers' ? 'active' : ''}`}
          aria-current={direction === 'followers' ? 'page' : undefined}
        >
          Followers
        </a>
      </nav>
      <ScreenHeading>
        <span id="follows-title">{title}</span>
      </ScreenHeading>
      {list.state.status === 'loading' && <Loading />}
      {list.state.status === 'error' && <ErrorNotice error={list.state.error} onRetry={list.reload} />}
      {list.state.status === 'ok' && list.items.length === 0 && (
        <Empty>{direction === 'followers' ? 'Nobody follows you yet.' : "You don't follow anyone yet. Follow people and pages from their profiles."}</Empty>
      )}
      {list.items.length > 0 && (
        <ul className="list" data-testid="follows-list">
          {list.items.map((m) => (
            <li key={m.id} className="list-item" data-testid="follow-item" data-handle={m.handle}>
              <MemberSummary member={m} />
            </li>
          ))}
        </ul>
      )}
      {list.cursor && <MoreButton busy={list.more.busy} onClick={list.loadMore} />}
      <ErrorNotice error={list.more.error} />
    </section>
  );
}
