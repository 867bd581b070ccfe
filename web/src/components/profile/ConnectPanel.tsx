/** The Connect form: an optional note (with the free members' monthly allowance), the e-mail when required. */
import { useState, type FormEvent } from 'react';
import { api, type Profile as ProfileT } from '../../api';
import { useSession } from '../../session';
import { CharCounter, charCount, ErrorNotice, useAction, useFieldId } from '../common';

export function ConnectPanel({ profile, onDone, onCancel }: { profile: ProfileT; onDone: () => void; onCancel: () => void }) {
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
