import { useState, type ReactNode } from 'react';
import { usePagedList } from '../hooks/usePagedList';
import { api, type Invitation, type Member, type Suggestion } from '../api';
import { link } from '../router';
import { useSession } from '../session';
import { usePollWhileOffline, useStreamEvents } from '../stream';
import { formatDate, plural } from '../text';
import { ActionMenu, CountBadge, Empty, ErrorNotice, Loading, MemberSummary, MoreButton, ScreenHeading, useAction, useAsync } from './common';
import { IntroductionsAsked, IntroductionsToForward } from './Introductions';

export function ReceivedInvitation({ inv, onDone }: { inv: Invitation; onDone: () => void }) {
  const { announce, refreshMe } = useSession();
  const { busy, error, run } = useAction();
  const act = async (a: 'accept' | 'ignore' | 'report', done: string) => {
    const ok = await run(async () => {
      await api.invitationAction(inv.id, a);
      return true;
    });
    if (ok) {
      announce(done);
      refreshMe().catch(() => undefined);
      onDone();
    }
  };
  return (
    <li className="list-item" data-testid="invitation-received" data-handle={inv.from.handle}>
      <MemberSummary member={inv.from} />
      {inv.note && (
        <blockquote className="note prewrap" aria-label={`Note from ${inv.from.name}`}>
          {inv.note}
        </blockquote>
      )}
      <p className="muted small">Sent {formatDate(inv.createdAt)}</p>
      <div className="button-row" role="group" aria-label={`Invitation from ${inv.from.name}`}>
        <button
          type="button"
          className="btn btn-primary btn-small"
          disabled={busy}
          onClick={() => act('accept', `You are now connected with ${inv.from.name}.`)}
        >
          Accept
        </button>
        <button
          type="button"
          className="btn btn-secondary btn-small"
          disabled={busy}
          onClick={() => act('ignore', `Invitation from ${inv.from.name} ignored.`)}
        >
          Ignore
        </button>
        <button
          type="button"
          className="btn btn-link btn-small"
          disabled={busy}
          onClick={() => act('report', `Thanks. ${inv.from.name}'s invitation was removed and reported.`)}
        >
          I don't know this person
        </button>
      </div>
      <ErrorNotice error={error} context="connect" target={inv.from.handle} />
    </li>
  );
}

function SentInvitation({ inv, onDone }: { inv: Invitation; onDone: () => void }) {
  const { announce, policy } = useSession();
  const { busy, error, run } = useAction();
  const [confirm, setConfirm] = useState(false);
  return (
    <li className="list-item" data-testid="invitation-sent" data-handle={inv.to.handle}>
      <MemberSummary member={inv.to} />
      <p className="muted small">Sent {formatDate(inv.createdAt)} · Pending</p>
      {!confirm ? (
        <button type="button" className="btn btn-secondary btn-small" onClick={() => setConfirm(true)}>
          Withdraw
        </button>
      ) : (
        <div className="panel" role="group" aria-label={`Withdraw invitation to ${inv.to.name}`}>
          <p>
            Withdraw? You won't be able to invite {inv.to.name} again for {plural(policy.withdrawCooldownDays, 'day')}.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="btn btn-primary btn-small"
              disabled={busy}
              onClick={async () => {
                const ok = await run(async () => {
                  await api.invitationAction(inv.id, 'withdraw');
                  return true;
                });
                if (ok) {
                  announce(`Invitation to ${inv.to.name} withdrawn.`);
                  onDone();
                }
              }}
            >
              Confirm withdraw
            </button>
            <button type="button" className="btn btn-secondary btn-small" onClick={() => setConfirm(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorNotice error={error} />
    </li>
  );
}

function ConnectionItem({ member, onDone }: { member: Member; onDone: () => void }) {
  const { announce } = useSession();
  const { busy, error, run } = useAction();
  const [confirm, setConfirm] = useState(false);
  return (
    <li className="list-item" data-testid="connection" data-handle={member.handle}>
      <MemberSummary member={member} />
      <div className="button-row">
        <a className="btn btn-secondary btn-small" href={link(['messages', 'new'], { to: member.handle })}>
          Message
        </a>
        {!confirm ? (
          <ActionMenu label={`More actions for ${member.name}`}>
            <button type="button" className="menu-item menu-item-danger" onClick={() => setConfirm(true)}>
              Remove connection
            </button>
          </ActionMenu>
        ) : (
          <>
            <button
              type="button"
              className="btn btn-danger btn-small"
              disabled={busy}
              onClick={async () => {
                const ok = await run(async () => {
                  await api.removeConnection(member.handle);
                  return true;
                });
                if (ok) {
                  announce(`${member.name} removed from your connections.`);
                  onDone();
                }
              }}
            >
              Confirm remove
            </button>
            <button type="button" className="btn btn-secondary btn-small" onClick={() => setConfirm(false)}>
              Cancel
            </button>
          </>
        )}
      </div>
      <ErrorNotice error={error} />
    </li>
  );
}

export function SuggestionItem({ s }: { s: Suggestion }) {
  const { announce } = useSession();
  const { busy, error, run } = useAction();
  const [sent, setSent] = useState(false);
  return (
    <li className="list-item" data-testid="suggestion" data-handle={s.member.handle}>
      <MemberSummary
        member={s.member}
        extra={
          s.mutualConnections !== null && s.mutualConnections > 0 ? (
            <span className="muted small"> · {plural(s.mutualConnections, 'mutual connection')}</span>
          ) : undefined
        }
      />
      {sent ? (
        <span className="badge">Pending</span>
      ) : (
        <button
          type="button"
          className="btn btn-secondary btn-small"
          disabled={busy}
          aria-label={`Connect with ${s.member.name}`}
          onClick={async () => {
            const inv = await run(() => api.invite({ to: s.member.handle }));
            if (inv) {
              setSent(true);
              announce(inv.status === 'accepted' ? `You are now connected with ${s.member.name}.` : `Invitation sent to ${s.member.name}.`);
            }
          }}
        >
          Connect
        </button>
      )}
      <ErrorNotice error={error} context="connect" target={s.member.handle} />
    </li>
  );
}

function Section({ id, title, count, urgent = false, children }: { id: string; title: string; count?: number; urgent?: boolean; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={`${id}-title`} data-testid={`section-${id}`}>
      <h2 id={`${id}-title`}>
        {title}
        {count != null &&
          (urgent ? (
            <CountBadge count={count} label="pending" testId={`count-${id}`} />
          ) : (
            count > 0 && (
              <span className="muted count-plain" data-testid={`count-${id}`}>
                {' '}
                ({count})
              </span>
            )
          ))}
      </h2>
      {children}
    </section>
  );
}

export function NetworkScreen() {
  const { me } = useSession();
  const received = usePagedList((c) => api.invitations('received', c), []);
  const sent = usePagedList((c) => api.invitations('sent', c), []);
  const connections = usePagedList((c) => api.connections(c), []);
  const [sugg, reloadSugg] = useAsync(() => api.suggestions(), []);

  useStreamEvents((e) => {
    if (e.type === 'invitation.received') received.reload();
    if (e.type === 'invitation.accepted') {
      sent.reload();
      connections.reload();
    }
  });

  usePollWhileOffline(() => {
    received.reload();
    sent.reload();
  }, 15_000);

  const hasSuggestions = sugg.status === 'ok' && sugg.data.items.length > 0;

  const afterReceived = () => {
    received.reload();
    connections.reload();
  };

  return (
    <div className="network">
      <ScreenHeading>My network</ScreenHeading>
      {me && (
        <p className="muted small">
          {plural(me.quotas.invitationsLeftThisWeek, 'invitation')} left this week
          {me.member.tier === 'free' && me.quotas.notesLeftThisMonth != null ? ` · ${plural(me.quotas.notesLeftThisMonth, 'note')} left this month` : ''}
        </p>
      )}

      <p className="small">
        <a href={link(['network', 'following'])}>People you follow</a> · <a href={link(['network', 'followers'])}>Your followers</a>
      </p>

      {/* cards with nothing in them collapse: only what has content, or is still loading, shows */}
      {(received.state.status !== 'ok' || received.items.length > 0) && (
        <Section id="received" title="Invitations received" count={received.items.length} urgent>
          {received.state.status === 'loading' && <Loading />}
          {received.state.status === 'error' && <ErrorNotice error={received.state.error} onRetry={received.reload} />}
          {received.items.length > 0 && (
            <ul className="list">
              {received.items.map((inv) => (
                <ReceivedInvitation key={inv.id} inv={inv} onDone={afterReceived} />
              ))}
            </ul>
          )}
          {received.cursor && <MoreButton busy={received.more.busy} onClick={received.loadMore} />}
        </Section>
      )}

      <IntroductionsToForward />

      <Section id="connections" title="Connections" count={connections.items.length}>
        {connections.state.status === 'loading' && <Loading />}
        {connections.state.status === 'error' && <ErrorNotice error={connections.state.error} onRetry={connections.reload} />}
        {connections.state.status === 'ok' && connections.items.length === 0 && (
          <Empty>
            No connections yet. {hasSuggestions ? 'People you may know are listed below.' : 'Search for people you know with the search box at the top.'}
          </Empty>
        )}
        {connections.items.length > 0 && (
          <ul className="list">
            {connections.items.map((m) => (
              <ConnectionItem key={m.id} member={m} onDone={connections.reload} />
            ))}
          </ul>
        )}
        {connections.cursor && <MoreButton busy={connections.more.busy} onClick={connections.loadMore} />}
      </Section>

      {(sent.state.status === 'error' || sent.items.length > 0) && (
        <Section id="sent" title="Invitations sent" count={sent.items.length}>
          {sent.state.status === 'error' && <ErrorNotice error={sent.state.error} onRetry={sent.reload} />}
          {sent.items.length > 0 && (
            <ul className="list">
              {sent.items.map((inv) => (
                <SentInvitation key={inv.id} inv={inv} onDone={sent.reload} />
              ))}
            </ul>
          )}
          {sent.cursor && <MoreButton busy={sent.more.busy} onClick={sent.loadMore} />}
        </Section>
      )}

      <IntroductionsAsked />

      {(sugg.status === 'error' || hasSuggestions) && (
        <Section id="suggestions" title="People you may know">
          {sugg.status === 'error' && <ErrorNotice error={sugg.error} onRetry={reloadSugg} />}
          {sugg.status === 'ok' && sugg.data.items.length > 0 && (
            <ul className="list">
              {sugg.data.items.map((s) => (
                <SuggestionItem key={s.member.id} s={s} />
              ))}
            </ul>
          )}
        </Section>
      )}
    </div>
  );
}
