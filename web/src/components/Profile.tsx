import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import { api, type Decision, type Member, type Profile as ProfileT } from '../api';
import { link, navigate } from '../router';
import { useSession } from '../session';
import { usePollWhileOffline, useStreamEvents } from '../stream';
import { allowedMessageText, plural, reasonText } from '../text';
import {
  Avatar,
  CharCounter,
  charCount,
  DegreeBadge,
  Empty,
  ErrorNotice,
  Loading,
  MemberSummary,
  MoreButton,
  ScreenHeading,
  Unlocks,
  useAction,
  useAsync,
  useFieldId,
} from './common';
import { AskIntroductionPanel } from './Introductions';

/** What the Message button says and does, from the message and InMail decisions. */
export function messageButton(p: Pick<ProfileT, 'actions'>): { label: string; mode: 'message' | 'inmail' | 'denied'; cost: number } {
  const m = p.actions.message;
  const cost = m.cost?.inmailCredits ?? 0;
  if (m.allowed && (cost > 0 || m.channel === 'inmail')) {
    return { label: `Message · ${plural(cost || 1, 'InMail credit')}`, mode: 'inmail', cost: cost || 1 };
  }
  if (m.allowed) return { label: 'Message', mode: 'message', cost: 0 };
  const inmail = p.actions.inmail;
  if (inmail.allowed) {
    const c = inmail.cost?.inmailCredits ?? 1;
    return { label: `Message · ${plural(c, 'InMail credit')}`, mode: 'inmail', cost: c };
  }
  return { label: 'Message', mode: 'denied', cost: 0 };
}

export function DecisionExplanation({
  decision,
  inmail,
  name,
  handle,
  testId,
  context,
  onConnect,
  onIntroduction,
}: {
  decision: Decision;
  inmail?: Decision;
  name: string;
  handle: string;
  testId: string;
  context: 'message' | 'connect' | 'other';
  onConnect?: () => void;
  onIntroduction?: (via: string) => void;
}) {
  const { policy } = useSession();
  let text: string;
  if (decision.allowed) {
    text = context === 'message' ? allowedMessageText(decision, name) : reasonText(decision.reason, policy);
  } else {
    text = reasonText(decision.reason, policy);
    if (context === 'message' && inmail?.allowed) {
      text += ` You can send ${name} an InMail for ${plural(inmail.cost?.inmailCredits ?? 1, 'credit')} instead.`;
    }
  }
  // The InMail unlock says what an InMail would cost, not that the viewer can pay it: when the InMail
  // decision is known and denied (a free member has no credits), offering it would lead nowhere.
  const unlocks = context === 'message' && inmail && !inmail.allowed ? decision.unlock.filter((u) => u.kind !== 'inmail') : decision.unlock;
  const wait = decision.unlock.find((u) => u.kind === 'wait');
  if (!decision.allowed && context === 'connect' && wait && wait.kind === 'wait') {
    text += ` You can invite again on ${new Date(wait.until).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' })}.`;
  }
  return (
    <div
      className={`decision ${decision.allowed ? 'decision-allowed' : 'decision-denied'}`}
      data-testid={testId}
      data-allowed={String(decision.allowed)}
      data-reason={decision.reason}
    >
      <p>{text}</p>
      {!decision.allowed && <Unlocks unlocks={unlocks} context={context} target={handle} onConnect={onConnect} onIntroduction={onIntroduction} />}
    </div>
  );
}

function ConnectPanel({ profile, onDone, onCancel }: { profile: ProfileT; onDone: () => void; onCancel: () => void }) {
  const { me, policy, announce, refreshMe } = useSession();
  const { busy, error, run } = useAction();
  const [note, setNote] = useState('');
  const [email, setEmail] = useState('');
  const id = useFieldId('connect');
  const free = !me || me.member.tier === 'free';
  const notesLeft = me?.quotas.notesLeftThisMonth;
  const tooLong = charCount(note) > policy.noteMaxChars;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const res = await run(() => api.invite({ to: profile.member.handle, note: note.trim() || undefined, email: email.trim() || undefined }));
    if (res) {
      announce(res.status === 'accepted' ? `You are now connected with ${profile.member.name}.` : `Invitation sent to ${profile.member.name}.`);
      refreshMe().catch(() => undefined);
      onDone();
    }
  }

  const needEmail = error?.code === 'email_required' || email !== '';

  return (
    <form className="panel" onSubmit={submit} aria-label={`Invite ${profile.member.name} to connect`} data-testid="connect-panel">
      <div className="field">
        <label htmlFor={`${id}-note`}>Note (optional)</label>
        <textarea
          id={`${id}-note`}
          value={note}
          rows={3}
          onChange={(e) => setNote(e.target.value)}
          aria-describedby={`${id}-note-count ${id}-note-hint`}
          aria-invalid={tooLong || undefined}
        />
        <CharCounter id={`${id}-note-count`} value={note} max={policy.noteMaxChars} />
        <p className="hint" id={`${id}-note-hint`}>
          {free && notesLeft != null
            ? `Free members can add a note to ${policy.notesPerMonthFree} invitations a month; you have ${notesLeft} left.`
            : 'Say how you know each other.'}
        </p>
      </div>
      {needEmail && (
        <div className="field">
          <label htmlFor={`${id}-email`}>Their e-mail address</label>
          <input id={`${id}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </div>
      )}
      <ErrorNotice error={error} context="connect" target={profile.member.handle} />
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy || tooLong}>
          {busy ? 'Sending…' : 'Send invitation'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ProfileScreen({ handle, introduce = null }: { handle: string; introduce?: string | null }) {
  const session = useSession();
  const { me, policy, announce } = session;
  const [state, reload] = useAsync((signal) => api.profile(handle, signal), [handle]);
  // an invitation accepted or received elsewhere changes the buttons: Pending → Message, Connect → Accept
  useStreamEvents((e) => {
    if (e.type === 'invitation.accepted' || e.type === 'invitation.received') reload();
  });
  usePollWhileOffline(reload, 15_000);
  const action = useAction();
  const [panel, setPanel] = useState<null | 'connect' | 'withdraw' | 'remove' | 'block' | 'introduce'>(introduce ? 'introduce' : null);
  const [askVia, setAskVia] = useState<string | null>(introduce);
  useEffect(() => {
    if (introduce) {
      setAskVia(introduce);
      setPanel('introduce');
    }
  }, [introduce]);

  if (state.status === 'loading') return <Loading label="Loading profile…" />;
  if (state.status === 'error') {
    return (
      <section>
        <ScreenHeading>Profile not available</ScreenHeading>
        <ErrorNotice
          error={state.error}
          onRetry={state.error.status === 0 ? reload : undefined}
          overrides={{ not_found: "This profile doesn't exist or isn't available.", recipient_unavailable: "This profile doesn't exist or isn't available." }}
        />
      </section>
    );
  }

  const p = state.data;
  const m = p.member;
  const isSelf = p.primaryAction === 'none' && !!me && me.member.id === m.id;
  const msg = messageButton(p);
  const inv = p.relationship.invitation;

  const act = async (fn: () => Promise<unknown>, done: string) => {
    const ok = await action.run(async () => {
      await fn();
      return true;
    });
    if (ok) {
      announce(done);
      setPanel(null);
      reload();
      session.refreshMe().catch(() => undefined);
    }
  };

  const goMessage = () => navigate(link(['messages', 'new'], { to: m.handle, channel: msg.mode === 'inmail' ? 'inmail' : undefined }));
  const follow = () =>
    p.relationship.following ? act(() => api.unfollow(m.handle), `You unfollowed ${m.name}.`) : act(() => api.follow(m.handle), `You are following ${m.name}.`);
  const accept = () => inv && act(() => api.invitationAction(inv.id, 'accept'), `You are now connected with ${m.name}.`);
  const ignore = () => inv && act(() => api.invitationAction(inv.id, 'ignore'), `Invitation from ${m.name} ignored.`);
  const openConnect = () => setPanel('connect');
  // DOMAIN.md 11: a 2nd-degree member's introduction unlocks name the mutual connections to ask
  const introVias = p.actions.message.unlock.flatMap((u) => (u.kind === 'introduction' && u.via.length === 1 ? [u.via[0]] : []));
  const openIntroduction = (via: string) => {
    setAskVia(via);
    setPanel('introduce');
  };

  const followLabel = p.relationship.following ? 'Following' : 'Follow';

  let primary: ReactElement | null = null;
  switch (p.primaryAction) {
    case 'connect':
      primary = (
        <button
          type="button"
          className="btn btn-primary"
          data-testid="primary-action"
          data-action="connect"
          onClick={openConnect}
          aria-expanded={panel === 'connect'}
        >
          Connect
        </button>
      );
      break;
    case 'message':
      primary = (
        <button type="button" className="btn btn-primary" data-testid="primary-action" data-action="message" data-mode={msg.mode} onClick={goMessage}>
          {msg.label}
        </button>
      );
      break;
    case 'follow':
      primary = (
        <button
          type="button"
          className="btn btn-primary"
          data-testid="primary-action"
          data-action="follow"
          aria-pressed={p.relationship.following}
          onClick={follow}
          disabled={action.busy}
        >
          {followLabel}
        </button>
      );
      break;
    case 'pending':
      primary = (
        <button
          type="button"
          className="btn btn-primary btn-pending"
          data-testid="primary-action"
          data-action="pending"
          onClick={() => setPanel(panel === 'withdraw' ? null : 'withdraw')}
          aria-expanded={panel === 'withdraw'}
          aria-label="Pending: withdraw invitation"
        >
          Pending
        </button>
      );
      break;
    case 'accept':
      primary = (
        <>
          <button type="button" className="btn btn-primary" data-testid="primary-action" data-action="accept" onClick={accept} disabled={action.busy}>
            Accept
          </button>
          <button type="button" className="btn btn-secondary" data-testid="action-ignore" onClick={ignore} disabled={action.busy}>
            Ignore
          </button>
        </>
      );
      break;
    case 'none':
      primary = null;
  }

  const secondary: ReactElement[] = [];
  if (!isSelf) {
    if (p.primaryAction !== 'message') {
      secondary.push(
        <button key="message" type="button" className="btn btn-secondary" data-testid="action-message" data-mode={msg.mode} onClick={goMessage}>
          {msg.label}
        </button>,
      );
    }
    if (p.primaryAction !== 'connect' && m.kind === 'person' && !p.relationship.connected && !inv) {
      secondary.push(
        <button
          key="connect"
          type="button"
          className="btn btn-secondary"
          data-testid="action-connect"
          onClick={openConnect}
          aria-expanded={panel === 'connect'}
        >
          Connect
        </button>,
      );
    }
    if (p.primaryAction !== 'follow') {
      secondary.push(
        <button
          key="follow"
          type="button"
          className="btn btn-secondary"
          data-testid="action-follow"
          aria-pressed={p.relationship.following}
          onClick={follow}
          disabled={action.busy}
        >
          {followLabel}
        </button>,
      );
    }
    if (p.relationship.connected) {
      secondary.push(
        <button key="remove" type="button" className="btn btn-secondary" data-testid="action-remove-connection" onClick={() => setPanel('remove')}>
          Remove connection
        </button>,
      );
    }
    secondary.push(
      <button key="block" type="button" className="btn btn-secondary btn-danger-text" data-testid="action-block" onClick={() => setPanel('block')}>
        Block
      </button>,
    );
  }

  return (
    <article className="profile" data-testid="profile" data-handle={m.handle} aria-labelledby="profile-name">
      <header className="profile-header card">
        <Avatar member={m} size="lg" />
        <div className="profile-ident">
          <ScreenHeading className="profile-name">
            <span id="profile-name" data-testid="profile-name">
              {m.name}
            </span>
          </ScreenHeading>
          <div className="profile-badges">
            <DegreeBadge degree={p.degree} self={isSelf} />
            {m.kind === 'page' && <span className="badge badge-page">Page</span>}
            {m.tier !== 'free' && m.kind === 'person' && <span className="badge badge-premium">Premium</span>}
            {p.relationship.followedBy && !isSelf && <span className="badge">Follows you</span>}
            {p.openTo?.jobs && (
              <span className="badge badge-open-to" data-testid="open-to-jobs">
                Open to job opportunities
              </span>
            )}
            {p.openTo?.mentoring && (
              <span className="badge badge-open-to" data-testid="open-to-mentoring">
                Open to mentoring
              </span>
            )}
          </div>
          {m.headline && (
            <p className="profile-headline" data-testid="profile-headline">
              {m.headline}
            </p>
          )}
          <p className="member-handle">@{m.handle}</p>
          {!isSelf && p.mutualConnections.count !== null && p.mutualConnections.count > 0 && (
            <p className="mutuals">
              <a href={link(['profile', m.handle, 'mutuals'])} data-testid="mutual-connections">
                {plural(p.mutualConnections.count ?? 0, 'mutual connection')}
              </a>
              {p.mutualConnections.sample.length > 0 && (
                <span className="mutual-sample">
                  {' '}
                  including{' '}
                  {p.mutualConnections.sample
                    .slice(0, 3)
                    .map((s) => s.name)
                    .join(', ')}
                </span>
              )}
            </p>
          )}
          {!isSelf && p.mutualConnections.count === 0 && (
            <p className="mutuals muted" data-testid="mutual-connections">
              No mutual connections
            </p>
          )}
        </div>
      </header>

      <section className="card profile-actions" aria-label="Actions">
        {isSelf ? (
          <p>
            This is your profile. <a href="#/settings">Edit your settings</a>.
          </p>
        ) : (
          <>
            <div className="button-row">
              {primary}
              {secondary.length > 0 && (
                <div className="secondary-actions" role="group" aria-label="More actions" data-testid="secondary-actions">
                  {secondary}
                </div>
              )}
            </div>
            <ErrorNotice error={action.error} context="connect" target={m.handle} />
            {panel === 'connect' && (
              <>
                {!p.actions.connect.allowed && (
                  <DecisionExplanation decision={p.actions.connect} name={m.name} handle={m.handle} testId="decision-connect" context="connect" />
                )}
                <ConnectPanel
                  profile={p}
                  onDone={() => {
                    setPanel(null);
                    reload();
                  }}
                  onCancel={() => setPanel(null)}
                />
              </>
            )}
            {panel === 'withdraw' && inv && (
              <div className="panel" role="group" aria-label="Withdraw invitation" data-testid="withdraw-panel">
                <p>
                  Withdraw your invitation to {m.name}? You won't be able to invite them again for {plural(policy.withdrawCooldownDays, 'day')}.
                </p>
                <div className="button-row">
                  <button
                    type="button"
                    className="btn btn-primary"
                    onClick={() => act(() => api.invitationAction(inv.id, 'withdraw'), 'Invitation withdrawn.')}
                    disabled={action.busy}
                  >
                    Withdraw
                  </button>
                  <button type="button" className="btn btn-secondary" onClick={() => setPanel(null)}>
                    Keep it
                  </button>
                </div>
              </div>
            )}
            {panel === 'remove' && (
              <div className="panel" role="group" aria-label="Remove connection">
                <p>Remove {m.name} from your connections? They won't be told.</p>
                <div className="button-row">
                  <button
                    type="button"
                    className="btn btn-primary"
                    onClick={() => act(() => api.removeConnection(m.handle), `${m.name} removed from your connections.`)}
                    disabled={action.busy}
                  >
                    Remove
                  </button>
                  <button type="button" className="btn btn-secondary" onClick={() => setPanel(null)}>
                    Cancel
                  </button>
                </div>
              </div>
            )}
            {panel === 'block' && (
              <div className="panel" role="group" aria-label={`Block ${m.name}`}>
                <p>
                  Block {m.name}? You will disappear for each other: the connection, follows, invitations and messages between you are removed. They won't be
                  told.
                </p>
                <div className="button-row">
                  <button
                    type="button"
                    className="btn btn-danger"
                    disabled={action.busy}
                    onClick={async () => {
                      const ok = await action.run(async () => {
                        await api.block(m.handle);
                        return true;
                      });
                      if (ok) {
                        announce(`You blocked ${m.name}.`);
                        navigate('#/network');
                      }
                    }}
                  >
                    Block
                  </button>
                  <button type="button" className="btn btn-secondary" onClick={() => setPanel(null)}>
                    Cancel
                  </button>
                </div>
              </div>
            )}
            <DecisionExplanation
              decision={p.actions.message}
              inmail={p.actions.inmail}
              name={m.name}
              handle={m.handle}
              testId="decision-message"
              context="message"
              onConnect={p.actions.connect.allowed ? openConnect : undefined}
              onIntroduction={m.kind === 'person' ? openIntroduction : undefined}
            />
            {panel === 'introduce' && (
              <AskIntroductionPanel key={askVia ?? ''} target={m} vias={introVias} initialVia={askVia} onClose={() => setPanel(null)} />
            )}
            {panel !== 'connect' && !p.actions.connect.allowed && m.kind === 'person' && !p.relationship.connected && !inv && (
              <DecisionExplanation decision={p.actions.connect} name={m.name} handle={m.handle} testId="decision-connect" context="connect" />
            )}
          </>
        )}
      </section>

      {p.full && p.about && (
        <section className="card" aria-labelledby="about-title">
          <h2 id="about-title">About</h2>
          <p className="prewrap" data-testid="profile-about">
            {p.about}
          </p>
        </section>
      )}
      {!p.full && !isSelf && <p className="muted small">You see a limited profile. Connect with {m.name} to see their full profile.</p>}
    </article>
  );
}

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
