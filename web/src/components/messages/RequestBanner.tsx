/**
 * A message request as its recipient sees it: who the sender is (headline, degree, mutual
 * connections), why they could reach you (the channel of their first message), and Accept, Ignore
 * (Delete for a page) or Report.
 */
import { useState } from 'react';
import { api, type Conversation, type Member } from '../../api';
import { useProfile } from '../../hooks/useProfile';
import { link, navigate } from '../../router';
import { useSession } from '../../session';
import { plural } from '../../text';
import { DegreeBadge, ErrorNotice, useAction, useFieldId } from '../common';
import { asQuery } from './shared';

type ReportReason = 'spam' | 'harassment' | 'other';

/** Why the sender could write to you, from the channel their request came by. */
export function reachText(channel: string | undefined | null, name: string): string | null {
  switch (channel) {
    case 'group':
      return `${name} could write to you because you share a group.`;
    case 'tier_reach':
      return `${name}'s plan lets them message people within their reach in the network, as a request.`;
    case 'open_profile':
      return 'You have an Open Profile: anyone can message you.';
    case 'open_inbox':
      return 'Your settings let people outside your connections write to you.';
    case 'inmail':
      return `${name} spent an InMail credit to write to you.`;
    case 'introduction':
      return `A mutual connection introduced ${name} to you.`;
    case 'page':
      return `${name} wrote to the page's shared inbox.`;
    default:
      return null;
  }
}

function SenderContext({ sender, channel }: { sender: Member; channel: string | null }) {
  const { state } = useProfile(sender.handle);
  const p = state.status === 'ok' ? state.data : null;
  const why = reachText(channel, sender.name);
  return (
    <div className="request-sender" data-testid="request-sender">
      {sender.headline && <p className="member-headline">{sender.headline}</p>}
      {p && (
        <p className="muted small">
          <DegreeBadge degree={p.degree} />
          {p.mutualConnections.count !== null && (
            <span data-testid="request-mutuals">
              {' '}
              · {p.mutualConnections.count > 0 ? plural(p.mutualConnections.count, 'mutual connection') : 'No mutual connections'}
            </span>
          )}
        </p>
      )}
      {why && (
        <p className="small" data-testid="request-why">
          {why}
        </p>
      )}
    </div>
  );
}

export function RequestBanner({
  conv,
  as,
  asName,
  onChanged,
  from,
  sender,
  channel,
}: {
  conv: Conversation;
  as: string | null;
  asName: string;
  onChanged: (c: Conversation | null) => void;
  from: string;
  sender: Member | null;
  channel: string | null;
}) {
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
        <strong>{from}</strong> wants to start a conversation with {as ? `the page ${asName}` : 'you'}. Accept to reply;
        {as ? ' requests to a page can only be accepted or deleted.' : ' if you ignore it, they will not be told.'}
      </p>
      {sender && <SenderContext sender={sender} channel={channel} />}
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
