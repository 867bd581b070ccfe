/** A profile: who they are, how you are related, what you can do (ProfileActions); your own, editable. */
import { useState } from 'react';
import { useProfile } from '../../hooks/useProfile';
import { link } from '../../router';
import { useSession } from '../../session';
import { plural } from '../../text';
import { Avatar, DegreeBadge, ErrorNotice, Loading, ScreenHeading } from '../common';
import { ProfileActions } from './ProfileActions';
import { ProfileEditor } from './ProfileEditor';

export function ProfileScreen({ handle, introduce = null }: { handle: string; introduce?: string | null }) {
  const session = useSession();
  const { me, pages } = session;
  const { state, reload, update } = useProfile(handle);
  const [editing, setEditing] = useState(false);

  if (state.status === 'loading') return <Loading label="Loading profile…" />;
  if (state.status === 'error') {
    return (
      <section>
        <ScreenHeading>Profile not available</ScreenHeading>
        <ErrorNotice
          error={state.error}
          onRetry={state.error.status === 0 || state.error.status === 503 ? reload : undefined}
          overrides={{ not_found: "This profile doesn't exist or isn't available.", recipient_unavailable: "This profile doesn't exist or isn't available." }}
        />
      </section>
    );
  }

  const p = state.data;
  const m = p.member;
  const isSelf = !!me && me.member.id === m.id;
  // a page the caller administers: theirs to run, not someone to connect with, follow or block
  const isOwnPage = m.kind === 'page' && pages.some((x) => x.handle.toLowerCase() === m.handle.toLowerCase());
  const own = isSelf || isOwnPage;

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
            {isOwnPage ? (
              <span className="badge badge-degree badge-self" data-testid="degree-badge">
                Your page
              </span>
            ) : (
              <DegreeBadge degree={p.degree} self={isSelf} />
            )}
            {m.kind === 'page' && <span className="badge badge-page">Page</span>}
            {m.tier !== 'free' && m.kind === 'person' && <span className="badge badge-premium">Premium</span>}
            {p.relationship.followedBy && !own && <span className="badge">Follows you</span>}
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
          {!own && p.mutualConnections.count !== null && p.mutualConnections.count > 0 && (
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
          {!own && p.mutualConnections.count === 0 && (
            <p className="mutuals muted" data-testid="mutual-connections">
              No mutual connections
            </p>
          )}
        </div>
      </header>

      {isSelf && !editing && (
        <section className="card profile-actions" aria-label="Your profile">
          <div className="button-row">
            <button type="button" className="btn btn-primary" data-testid="edit-profile" onClick={() => setEditing(true)}>
              Edit profile
            </button>
            <a className="btn btn-secondary" href="#/settings">
              Settings
            </a>
          </div>
          <p className="small">
            <a href={link(['network', 'following'])} data-testid="link-following">
              People you follow
            </a>{' '}
            ·{' '}
            <a href={link(['network', 'followers'])} data-testid="link-followers">
              Your followers
            </a>
          </p>
          {!m.headline && <p className="muted small">Add a headline so that people know what you do.</p>}
        </section>
      )}
      {isSelf && editing && (
        <ProfileEditor
          name={m.name}
          headline={m.headline ?? ''}
          about={p.about ?? ''}
          onCancel={() => setEditing(false)}
          onSaved={(r) => {
            update((prev) => ({ ...prev, member: r.member, about: r.about }));
            setEditing(false);
          }}
        />
      )}
      {isOwnPage && (
        <section className="card profile-actions" aria-label="Your page" data-testid="own-page">
          <p>You administer this page.</p>
          <div className="button-row">
            <a className="btn btn-primary" href={link(['messages'], { as: m.handle })}>
              Open its inbox
            </a>
            <a className="btn btn-secondary" href={link(['pages'])}>
              Manage page
            </a>
          </div>
        </section>
      )}
      {!own && <ProfileActions p={p} reload={reload} introduce={introduce} />}

      {p.full && p.about && (
        <section className="card" aria-labelledby="about-title">
          <h2 id="about-title">About</h2>
          <p className="prewrap" data-testid="profile-about">
            {p.about}
          </p>
        </section>
      )}
      {!p.full && !own && m.kind === 'person' && <p className="muted small">You see a limited profile. Connect with {m.name} to see their full profile.</p>}
    </article>
  );
}
