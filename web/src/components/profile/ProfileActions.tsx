/**
 * What the caller can do on someone else's profile: the main button, Message (with a lock and the
 * explanation in place when it is denied), Connect, Follow; Remove connection and Block behind the
 * "More" menu; the panels they open.
 */
import { useEffect, useRef, useState, type ReactElement } from 'react';
import { api, type Profile as ProfileT } from '../../api';
import { link, navigate } from '../../router';
import { useSession } from '../../session';
import { plural } from '../../text';
import { ActionMenu, ErrorNotice, LockIcon, useAction } from '../common';
import { AskIntroductionPanel } from '../Introductions';
import { ConnectPanel } from './ConnectPanel';
import { DecisionExplanation } from './DecisionExplanation';

/** What the Message button says and does, from the message and InMail decisions (the server's: they know the caller's credits). */
export function messageButton(p: Pick<ProfileT, 'actions'>): { label: string; mode: 'message' | 'inmail' | 'denied'; cost: number } {
  const m = p.actions.message;
  const cost = m.cost?.inmailCredits ?? 0;
  if (m.allowed && cost === 0 && m.channel !== 'inmail') return { label: 'Message', mode: 'message', cost: 0 };
  const inmail = m.allowed ? m : p.actions.inmail;
  const c = inmail.cost?.inmailCredits ?? (cost || 1);
  // the InMail decision is the server's: allowed means the caller has the credits (a free member has none)
  if (inmail.allowed) return { label: `Message · ${plural(c, 'InMail credit')}`, mode: 'inmail', cost: c };
  return { label: 'Message', mode: 'denied', cost: 0 };
}

type Panel = null | 'connect' | 'withdraw' | 'remove' | 'block' | 'introduce';

export function ProfileActions({ p, reload, introduce }: { p: ProfileT; reload: () => void; introduce: string | null }) {
  const session = useSession();
  const { policy, announce } = session;
  const action = useAction();
  const m = p.member;
  const msg = messageButton(p);
  const inv = p.relationship.invitation;
  const [panel, setPanel] = useState<Panel>(introduce ? 'introduce' : null);
  const [askVia, setAskVia] = useState<string | null>(introduce);
  const [highlight, setHighlight] = useState(false);
  const explanationRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (introduce) {
      setAskVia(introduce);
      setPanel('introduce');
    }
  }, [introduce]);

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

  const goMessage = () => {
    if (msg.mode === 'denied') {
      // the explanation is right here: bring it into view and focus, rather than a screen with no message box
      setHighlight(true);
      explanationRef.current?.scrollIntoView({ block: 'nearest' });
      explanationRef.current?.focus();
      return;
    }
    navigate(link(['messages', 'new'], { to: m.handle }));
  };
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
  const explanationId = `why-message-${m.handle}`;

  const messageBtn = (primary: boolean) => (
    <button
      key="message"
      type="button"
      className={`btn ${primary ? 'btn-primary' : 'btn-secondary'} ${msg.mode === 'denied' ? 'btn-locked' : ''}`}
      data-testid={primary ? 'primary-action' : 'action-message'}
      data-action={primary ? 'message' : undefined}
      data-mode={msg.mode}
      onClick={goMessage}
      aria-describedby={msg.mode === 'denied' ? explanationId : undefined}
    >
      {msg.mode === 'denied' && <LockIcon />}
      {msg.label}
      {msg.mode === 'denied' && <span className="visually-hidden"> (not available: see why)</span>}
    </button>
  );

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
      primary = messageBtn(true);
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
  if (p.primaryAction !== 'message') secondary.push(messageBtn(false));
  if (p.primaryAction !== 'connect' && m.kind === 'person' && !p.relationship.connected && !inv) {
    secondary.push(
      <button key="connect" type="button" className="btn btn-secondary" data-testid="action-connect" onClick={openConnect} aria-expanded={panel === 'connect'}>
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

  return (
    <section className="card profile-actions" aria-label="Actions">
      <div className="button-row">
        {primary}
        {secondary.length > 0 && (
          <div className="secondary-actions" role="group" aria-label="More actions" data-testid="secondary-actions">
            {secondary}
          </div>
        )}
        <ActionMenu label={`More actions for ${m.name}`} testId="profile-menu">
          {p.relationship.connected && (
            <button type="button" className="menu-item" data-testid="action-remove-connection" onClick={() => setPanel('remove')}>
              Remove connection
            </button>
          )}
          <button type="button" className="menu-item menu-item-danger" data-testid="action-block" onClick={() => setPanel('block')}>
            Block {m.name}
          </button>
        </ActionMenu>
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
            Block {m.name}? You will disappear for each other: the connection, follows, invitations and messages between you are removed. They won't be told.
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
        ref={explanationRef}
        id={explanationId}
        highlight={highlight}
        decision={p.actions.message}
        inmail={p.actions.inmail}
        inmailOffered={msg.mode === 'inmail'}
        name={m.name}
        handle={m.handle}
        testId="decision-message"
        context="message"
        onConnect={p.actions.connect.allowed ? openConnect : undefined}
        onIntroduction={m.kind === 'person' ? openIntroduction : undefined}
      />
      {panel === 'introduce' && <AskIntroductionPanel key={askVia ?? ''} target={m} vias={introVias} initialVia={askVia} onClose={() => setPanel(null)} />}
      {panel !== 'connect' && !p.actions.connect.allowed && m.kind === 'person' && !p.relationship.connected && !inv && (
        <DecisionExplanation decision={p.actions.connect} name={m.name} handle={m.handle} testId="decision-connect" context="connect" />
      )}
    </section>
  );
}
