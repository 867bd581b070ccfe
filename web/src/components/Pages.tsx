import { useState, type FormEvent } from 'react';
import { api, type Member } from '../api';
import { link } from '../router';
import { useSession } from '../session';
import { Empty, ErrorNotice, MemberSummary, ScreenHeading, useAction, useFieldId } from './common';
import { RecipientPicker } from './messages/RecipientPicker';

const HANDLE_RE = /^[a-z0-9_-]{3,30}$/i;

/** Invite an admin by name (the picker searches names, connections first). */
function AddAdmin({ page }: { page: Member }) {
  const [picked, setPicked] = useState<Member | null>(null);
  const [round, setRound] = useState(0);
  const { busy, error, run } = useAction();
  const { announce } = useSession();
  return (
    <form
      className="inline-form add-admin"
      aria-label={`Add an admin to ${page.name}`}
      onSubmit={async (e) => {
        e.preventDefault();
        if (!picked) return;
        const ok = await run(async () => {
          await api.addPageAdmin(page.handle, picked.handle);
          return true;
        });
        if (ok) {
          announce(`${picked.name} is invited to administer ${page.name}: they become an admin when they accept.`);
          setPicked(null);
          setRound((r) => r + 1);
        }
      }}
    >
      <RecipientPicker
        key={round}
        picked={picked}
        onPick={setPicked}
        label="New admin"
        hint="Type their name; your connections come first."
        changeLabel="Change admin"
      />
      <button type="submit" className="btn btn-secondary btn-small" disabled={busy || !picked}>
        Invite admin
      </button>
      <ErrorNotice error={error} overrides={{ not_found: 'We couldn’t find that member.' }} />
    </form>
  );
}

export function PagesScreen() {
  const session = useSession();
  const { pages, rememberPage, announce } = session;
  const id = useFieldId('page');
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [headline, setHeadline] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const create = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const h = handle.trim().toLowerCase();
    if (!HANDLE_RE.test(h)) {
      setFieldError('Use 3 to 30 characters: letters, digits, _ or -.');
      document.getElementById(`${id}-handle`)?.focus();
      return;
    }
    if (!name.trim()) {
      setFieldError('Enter the page name.');
      document.getElementById(`${id}-name`)?.focus();
      return;
    }
    setFieldError(null);
    const page = await create.run(() => api.createPage({ handle: h, name: name.trim(), headline: headline.trim() || undefined }));
    if (page) {
      rememberPage(page);
      announce(`Page ${page.name} created. You are its admin.`);
      setHandle('');
      setName('');
      setHeadline('');
    }
  }

  return (
    <div className="pages">
      <ScreenHeading>Pages</ScreenHeading>
      <section className="card" aria-labelledby="my-pages-title">
        <h2 id="my-pages-title">Pages you administer</h2>
        {pages.length === 0 && <Empty>You don't administer any page yet. Create one below.</Empty>}
        {pages.length > 0 && (
          <ul className="list">
            {pages.map((p) => (
              <li key={p.handle} className="list-item" data-testid="my-page" data-handle={p.handle}>
                <MemberSummary member={p} />
                <div className="button-row">
                  <a className="btn btn-primary btn-small" href={link(['messages'], { as: p.handle })} data-testid="act-as-page">
                    Open the inbox of {p.name}
                  </a>
                  <a className="btn btn-secondary btn-small" href={link(['profile', p.handle])}>
                    View page
                  </a>
                </div>
                <AddAdmin page={p} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="create-page-title">
        <h2 id="create-page-title">Create a page</h2>
        <form onSubmit={submit} noValidate aria-label="Create a page" data-testid="create-page-form">
          <div className="field">
            <label htmlFor={`${id}-handle`}>Page handle</label>
            <input id={`${id}-handle`} value={handle} onChange={(e) => setHandle(e.target.value)} autoCapitalize="none" spellCheck={false} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-name`}>Page name</label>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-headline`}>Page headline (optional)</label>
            <input id={`${id}-headline`} value={headline} onChange={(e) => setHeadline(e.target.value)} />
          </div>
          {fieldError && (
            <p className="field-error" role="alert">
              {fieldError}
            </p>
          )}
          <ErrorNotice error={create.error} overrides={{ conflict: 'That handle is already taken. Choose another.' }} />
          <button type="submit" className="btn btn-primary" disabled={create.busy}>
            {create.busy ? 'Creating…' : 'Create page'}
          </button>
        </form>
      </section>
    </div>
  );
}
