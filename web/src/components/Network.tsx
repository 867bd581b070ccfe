import { useState, type FormEvent, type ReactNode } from 'react';
import { api, type Invitation, type Member, type SearchResult, type Suggestion } from '../api';
import { link } from '../router';
import { useSession } from '../session';
import { usePollWhileOffline, useStreamEvents } from '../stream';
import { formatDate, plural } from '../text';
import { CountBadge, DegreeBadge, Empty, ErrorNotice, Loading, MemberSummary, MoreButton, ScreenHeading, useAction, useAsync, useFieldId } from './common';
import { IntroductionsAsked, IntroductionsToForward } from './Introductions';

function ReceivedInvitation({ inv, onDone }: { inv: Invitation; onDone: () => void }) {
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
          <button type="button" className="btn btn-link btn-small" onClick={() => setConfirm(true)} aria-label={`Remove connection with ${member.name}`}>
            Remove
          </button>
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

function SuggestionItem({ s }: { s: Suggestion }) {
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

function useList<T>(fetchPage: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>, deps: unknown[]) {
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
  return { items, cursor, state, reload, more, loadMore };
}

function Section({ id, title, count, children }: { id: string; title: string; count?: number; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={`${id}-title`} data-testid={`section-${id}`}>
      <h2 id={`${id}-title`}>
        {title}
        {count != null && <CountBadge count={count} label="pending" testId={`count-${id}`} />}
      </h2>
      {children}
    </section>
  );
}

function SearchPanel() {
  const id = useFieldId('search');
  const [q, setQ] = useState('');
  const [degrees, setDegrees] = useState<number[]>([]);
  const [results, setResults] = useState<SearchResult[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [lastQuery, setLastQuery] = useState<{ q: string; degrees: number[] } | null>(null);
  const { busy, error, run } = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const query = { q: q.trim(), degrees: [...degrees].sort() };
    const l = await run(() => api.search(query.q, query.degrees));
    if (l) {
      setResults(l.items);
      setCursor(l.nextCursor);
      setLastQuery(query);
    }
  }

  const toggle = (d: number) => setDegrees((prev) => (prev.includes(d) ? prev.filter((x) => x !== d) : [...prev, d]));

  return (
    <>
      <form role="search" aria-label="Find people" onSubmit={submit} className="search-form">
        <div className="field">
          <label htmlFor={`${id}-q`}>Search people</label>
          <input id={`${id}-q`} type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name or handle" />
        </div>
        <fieldset className="degree-filter">
          <legend>Degree</legend>
          {[1, 2, 3].map((d) => (
            <label key={d} className="checkbox">
              <input type="checkbox" checked={degrees.includes(d)} onChange={() => toggle(d)} />
              {d === 1 ? '1st' : d === 2 ? '2nd' : '3rd'}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      <ErrorNotice error={error} />
      <div aria-live="polite">
        {results && results.length === 0 && <Empty>No one matches “{lastQuery?.q}”.</Empty>}
        {results && results.length > 0 && (
          <>
            <p className="muted small">
              {plural(results.length, 'result')}
              {cursor ? ' so far' : ''}
            </p>
            <ul className="list" data-testid="search-results">
              {results.map((r) => (
                <li key={r.member.id} className="list-item" data-testid="search-result" data-handle={r.member.handle}>
                  <MemberSummary
                    member={r.member}
                    extra={
                      <>
                        {' '}
                        <DegreeBadge degree={r.degree} />
                      </>
                    }
                  />
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      {cursor && lastQuery && (
        <MoreButton
          busy={busy}
          onClick={() =>
            run(async () => {
              const l = await api.search(lastQuery.q, lastQuery.degrees, cursor);
              setResults((prev) => [...(prev ?? []), ...l.items]);
              setCursor(l.nextCursor);
            })
          }
        />
      )}
    </>
  );
}

export function NetworkScreen() {
  const { me } = useSession();
  const received = useList((c) => api.invitations('received', c), []);
  const sent = useList((c) => api.invitations('sent', c), []);
  const connections = useList((c) => api.connections(c), []);
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

      <Section id="received" title="Invitations received" count={received.items.length}>
        {received.state.status === 'loading' && <Loading />}
        {received.state.status === 'error' && <ErrorNotice error={received.state.error} onRetry={received.reload} />}
        {received.state.status === 'ok' && received.items.length === 0 && <Empty>No pending invitations.</Empty>}
        {received.items.length > 0 && (
          <ul className="list">
            {received.items.map((inv) => (
              <ReceivedInvitation key={inv.id} inv={inv} onDone={afterReceived} />
            ))}
          </ul>
        )}
        {received.cursor && <MoreButton busy={received.more.busy} onClick={received.loadMore} />}
      </Section>

      <Section id="sent" title="Invitations sent" count={sent.items.length}>
        {sent.state.status === 'loading' && <Loading />}
        {sent.state.status === 'error' && <ErrorNotice error={sent.state.error} onRetry={sent.reload} />}
        {sent.state.status === 'ok' && sent.items.length === 0 && <Empty>You have no pending invitations sent.</Empty>}
        {sent.items.length > 0 && (
          <ul className="list">
            {sent.items.map((inv) => (
              <SentInvitation key={inv.id} inv={inv} onDone={sent.reload} />
            ))}
          </ul>
        )}
        {sent.cursor && <MoreButton busy={sent.more.busy} onClick={sent.loadMore} />}
      </Section>

      <IntroductionsToForward />
      <IntroductionsAsked />

      <Section id="search" title="Search">
        <SearchPanel />
      </Section>

      <Section id="connections" title="Connections">
        {connections.state.status === 'loading' && <Loading />}
        {connections.state.status === 'error' && <ErrorNotice error={connections.state.error} onRetry={connections.reload} />}
        {connections.state.status === 'ok' && connections.items.length === 0 && (
          <Empty>No connections yet. Search for people you know, or look at the suggestions.</Empty>
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

      <Section id="suggestions" title="People you may know">
        {sugg.status === 'loading' && <Loading />}
        {sugg.status === 'error' && <ErrorNotice error={sugg.error} onRetry={reloadSugg} />}
        {sugg.status === 'ok' && sugg.data.items.length === 0 && <Empty>No suggestions right now.</Empty>}
        {sugg.status === 'ok' && sugg.data.items.length > 0 && (
          <ul className="list">
            {sugg.data.items.map((s) => (
              <SuggestionItem key={s.member.id} s={s} />
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}
