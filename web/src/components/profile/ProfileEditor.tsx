/** Edit your own name, headline and about (PATCH /v1/me/profile). */
import { useState, type FormEvent } from 'react';
import { api, type MemberAndAbout } from '../../api';
import { useSession } from '../../session';
import { CharCounter, charCount, ErrorNotice, useAction, useFieldId } from '../common';

export const HEADLINE_MAX = 220;
export const ABOUT_MAX = 2600;
export const NAME_MAX = 100;

export function ProfileEditor({
  name: name0,
  headline: headline0,
  about: about0,
  onSaved,
  onCancel,
}: {
  name: string;
  headline: string;
  about: string;
  onSaved: (r: MemberAndAbout) => void;
  onCancel: () => void;
}) {
  const id = useFieldId('edit');
  const { announce, setMe } = useSession();
  const [name, setName] = useState(name0);
  const [headline, setHeadline] = useState(headline0);
  const [about, setAbout] = useState(about0);
  const { busy, error, run } = useAction();
  const nameEmpty = name.trim() === '';
  const over = charCount(name) > NAME_MAX || charCount(headline) > HEADLINE_MAX || charCount(about) > ABOUT_MAX;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (nameEmpty || over) return;
    const patch: { name?: string; headline?: string; about?: string } = {};
    if (name.trim() !== name0) patch.name = name.trim();
    if (headline.trim() !== headline0) patch.headline = headline.trim();
    if (about.trim() !== about0) patch.about = about.trim();
    if (Object.keys(patch).length === 0) return onCancel();
    const r = await run(() => api.patchProfile(patch));
    if (r) {
      setMe((m) => ({ ...m, member: r.member }));
      announce('Profile saved.');
      onSaved(r);
    }
  }

  return (
    <form className="card profile-editor" onSubmit={submit} aria-label="Edit your profile" data-testid="profile-editor">
      <h2>Edit your profile</h2>
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} aria-invalid={nameEmpty || undefined} required autoComplete="name" />
        {nameEmpty && <p className="field-error">Enter your name.</p>}
      </div>
      <div className="field">
        <label htmlFor={`${id}-headline`}>Headline</label>
        <input
          id={`${id}-headline`}
          value={headline}
          onChange={(e) => setHeadline(e.target.value)}
          aria-describedby={`${id}-headline-count ${id}-headline-hint`}
          aria-invalid={charCount(headline) > HEADLINE_MAX || undefined}
        />
        <CharCounter id={`${id}-headline-count`} value={headline} max={HEADLINE_MAX} />
        <p className="hint" id={`${id}-headline-hint`}>
          What you do, in a line: it shows under your name everywhere.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-about`}>About</label>
        <textarea
          id={`${id}-about`}
          value={about}
          rows={6}
          onChange={(e) => setAbout(e.target.value)}
          aria-describedby={`${id}-about-count`}
          aria-invalid={charCount(about) > ABOUT_MAX || undefined}
        />
        <CharCounter id={`${id}-about-count`} value={about} max={ABOUT_MAX} />
      </div>
      <ErrorNotice error={error} />
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy || nameEmpty || over}>
          {busy ? 'Saving…' : 'Save profile'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
