/** One conversation: its messages live, the request banner, the pinned composer; delete behind the "More" menu. */
import { Fragment, useState, type ReactNode } from 'react';
import { api } from '../../api';
import { useConversation } from '../../hooks/useConversation';
import { link, navigate } from '../../router';
import { useSession } from '../../session';
import { formatTime, plural } from '../../text';
import { AttachmentLinks } from '../Attachments';
import { ActionMenu, Empty, ErrorNotice, Loading, MoreButton, ScreenHeading, useAction } from '../common';
import { bodyIsIntroductionNote, IntroductionCard } from '../Introductions';
import { Composer } from './Composer';
import { RequestBanner } from './RequestBanner';
import { asQuery, isMe, isReceivedRequest, MessageText, others, pageName, titleOf } from './shared';

export function ConversationScreen({ id, as }: { id: string; as: string | null }) {
  const session = useSession();
  const { policy, refreshUnread, pages } = session;
  const me = session.me?.member;
  const c = useConversation(id, as, me, refreshUnread);
  const { conv, messages, state } = c;
  const [confirmDelete, setConfirmDelete] = useState(false);
  const deleteAction = useAction();
  const asName = pageName(pages, as);

  const isRecipientOfRequest = isReceivedRequest(conv);
  const isSenderOfRequest = !!conv && conv.state === 'request' && conv.folder === 'inbox';
  const title = conv ? titleOf(conv, me, as) : 'Conversation';
  const firstTheirs = messages.find((m) => !isMe(m.sender, me, as)) ?? null;

  let other: ReactNode = null;
  if (conv) {
    const o = others(conv, me, as);
    other = o.map((p, i) => (
      <Fragment key={p.id}>
        {i > 0 && ', '}
        <a href={link(['profile', p.handle])}>{p.name}</a>
      </Fragment>
    ));
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
        <ActionMenu label="More actions for this conversation" testId="conversation-menu">
          <button type="button" className="menu-item menu-item-danger" onClick={() => setConfirmDelete(true)}>
            Delete conversation
          </button>
        </ActionMenu>
      </div>
      {conv && (
        <p className="muted small">
          With {other}
          {as ? ` · acting as ${asName}` : ''}
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
          asName={asName}
          from={title}
          sender={firstTheirs?.sender ?? others(conv, me, as)[0] ?? null}
          channel={firstTheirs?.channel ?? null}
          onChanged={c.accepted}
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
        <ErrorNotice error={state.error} onRetry={c.reload} overrides={{ not_found: "This conversation doesn't exist or isn't available to you." }} />
      )}
      {c.cursor && <MoreButton busy={c.more.busy} onClick={c.loadOlder} />}
      {state.status === 'ok' && messages.length === 0 && <Empty>No messages yet.</Empty>}
      {/* a log of divs: an <ol role="log"> loses its list semantics and leaves its <li>s orphaned */}
      <div className="message-list" ref={c.listRef} role="log" aria-live="polite" aria-label="Messages" data-testid="message-list" tabIndex={0}>
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
              {mine && m.id === c.lastMine && c.seenLast && (
                <p className="read-receipt" data-testid="read-receipt">
                  Seen
                </p>
              )}
            </div>
          );
        })}
      </div>
      <p className="typing-indicator" data-testid="typing-indicator" aria-live="polite">
        {c.typing ?? ''}
      </p>
      <ErrorNotice error={c.sendAction.error} context="message" target={conv ? others(conv, me, as)[0]?.handle : undefined} />
      <Composer
        onSend={c.send}
        max={policy.messageMaxChars}
        disabled={isRecipientOfRequest}
        disabledReason="Accept the request to reply"
        onTyping={c.sendTyping}
      />
    </div>
  );
}
