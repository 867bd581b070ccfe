/** The conversation list of a folder (Inbox, Requests, Filtered), for the member or for a page they run. */
import type { Conversation, Folder } from '../../api';
import { useConversations } from '../../hooks/useConversations';
import { link, navigate } from '../../router';
import { useSession } from '../../session';
import { formatTime } from '../../text';
import { Avatar, CountBadge, Empty, ErrorNotice, Loading, MoreButton, ScreenHeading, useFieldId } from '../common';
import { IntroducedByBadge } from '../Introductions';
import { asQuery, isMe, isReceivedRequest, others, pageName, titleOf } from './shared';

/** "Inbox of": the member or one of the pages they administer (shown only to page admins, only on messaging screens). */
export function InboxSwitcher({ as }: { as: string | null }) {
  const { me, pages } = useSession();
  const id = useFieldId('inbox-of');
  if (!me || pages.length === 0) return null;
  return (
    <div className="inbox-switcher">
      <label htmlFor={id}>Inbox of</label>
      <select
        id={id}
        value={as ?? ''}
        data-testid="acting-as-select"
        onChange={(e) => {
          const v = e.target.value || null;
          navigate(link(['messages'], v ? { as: v } : undefined));
        }}
      >
        <option value="">{me.member.name} (you)</option>
        {pages.map((p) => (
          <option key={p.handle} value={p.handle}>
            {p.name} (page)
          </option>
        ))}
      </select>
    </div>
  );
}

export function MessagesScreen({ folder, as }: { folder: Folder; as: string | null }) {
  const session = useSession();
  const { items, cursor, counts, state, reload, more, loadMore } = useConversations(folder, as);
  const asName = pageName(session.pages, as);

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
        <ScreenHeading>{as ? `Messages of ${asName}` : 'Messaging'}</ScreenHeading>
        <a className="btn btn-primary" href={link(['messages', 'new'], asQuery(as))} data-testid="compose">
          New message
        </a>
      </div>
      <InboxSwitcher as={as} />
      {as && (
        <p className="acting-as" data-testid="acting-as">
          You are acting as the page <strong>{asName}</strong>: this is its shared inbox. <a href="#/messages">Back to my messages</a>
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
          overrides={
            as ? { forbidden: `You are not an admin of the page ${asName}.`, not_found: `There is no page ${asName} that you administer.` } : undefined
          }
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
      {items.length > 0 && <ConversationList items={items} as={as} label={folder === 'inbox' ? 'Inbox' : folder === 'filtered' ? 'Filtered' : 'Requests'} />}
      {cursor && <MoreButton busy={more.busy} onClick={loadMore} />}
      <ErrorNotice error={more.error} />
    </div>
  );
}

/** The rows of a folder: unread ones bold, with their count; `activeId` marks the open one (the split view). */
export function ConversationList({
  items,
  as,
  label,
  activeId,
  testId = 'conversation',
}: {
  items: Conversation[];
  as: string | null;
  label: string;
  activeId?: string;
  testId?: string;
}) {
  const me = useSession().me?.member;
  return (
    <ul className="conversation-list" aria-label={label}>
      {items.map((c) => {
        const title = titleOf(c, me, as);
        const last = c.lastMessage;
        const pendingSent = c.state === 'request' && c.folder === 'inbox';
        return (
          <li
            key={c.id}
            data-testid={testId}
            data-id={c.id}
            data-unread={c.unread}
            className={`${c.unread > 0 ? 'unread' : ''} ${activeId === c.id ? 'active' : ''}`}
          >
            <a href={link(['messages', c.id], asQuery(as))} className="conversation-link" aria-current={activeId === c.id ? 'page' : undefined}>
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
  );
}

/** The split view's left column on a wide screen: the folder of the open conversation, live. */
export function ConversationPane({ folder, as, activeId }: { folder: Folder; as: string | null; activeId: string }) {
  const { items, state } = useConversations(folder, as);
  const label = folder === 'inbox' ? 'Inbox' : folder === 'filtered' ? 'Filtered' : 'Requests';
  return (
    <aside className="conversation-pane" aria-label={`${label}: conversations`} data-testid="conversation-pane">
      <p className="pane-title">
        <a href={link(['messages'], { folder: folder === 'inbox' ? undefined : folder, ...asQuery(as) })}>{label}</a>
      </p>
      {state.status === 'loading' && items.length === 0 && <Loading label="Loading conversations…" />}
      {items.length > 0 && <ConversationList items={items} as={as} label={label} activeId={activeId} testId="pane-conversation" />}
    </aside>
  );
}
