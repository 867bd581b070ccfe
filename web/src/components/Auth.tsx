import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { navigate } from '../router';
import { useSession } from '../session';
import { ErrorNotice, ScreenHeading, useAction, useFieldId } from './common';

const HANDLE_RE = /^[a-z0-9_-]{3,30}$/i;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function FieldError({ id, text }: { id: string; text: string | undefined }) {
  if (!text) return null;
  return (
    <p id={id} className="field-error">
      {text}
    </p>
  );
}

export function SignUp() {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [headline, setHeadline] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const id = useFieldId('signup');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!HANDLE_RE.test(handle)) errs.handle = 'Use 3 to 30 characters: letters, digits, _ or -.';
    if (!name.trim()) errs.name = 'Enter your name.';
    if (!EMAIL_RE.test(email)) errs.email = 'Enter a valid e-mail address, like name@example.com.';
    if (password.length < 10) errs.password = 'Use at least 10 characters.';
    setErrors(errs);
    if (Object.keys(errs).length > 0) {
      const first = Object.keys(errs)[0];
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    const res = await run(() =>
      api.signUp({
        handle: handle.trim().toLowerCase(),
        name: name.trim(),
        email: email.trim(),
        password,
        headline: headline.trim() || undefined,
      }),
    );
    if (res) {
      await session.signedIn(res.member);
      session.announce(`Welcome to Liaison, ${res.member.name}.`);
      navigate('#/home');
    }
  }

  const field = (key: string) => ({
    id: `${id}-${key}`,
    'aria-invalid': errors[key] ? true : undefined,
    'aria-describedby': errors[key] ? `${id}-${key}-error` : undefined,
  });

  return (
    <section className="auth card" aria-labelledby={`${id}-title`}>
      <ScreenHeading>
        <span id={`${id}-title`}>Join Liaison</span>
      </ScreenHeading>
      <form onSubmit={submit} noValidate aria-label="Sign up" data-testid="signup-form">
        <div className="field">
          <label htmlFor={`${id}-handle`}>Handle</label>
          <input
            {...field('handle')}
            name="handle"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={handle}
            onChange={(e) => setHandle(e.target.value)}
            required
          />
          <p className="hint">3 to 30 characters: letters, digits, _ or -. It is your profile address.</p>
          <FieldError id={`${id}-handle-error`} text={errors.handle} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input {...field('name')} name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} required />
          <FieldError id={`${id}-name-error`} text={errors.name} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-email`}>E-mail</label>
          <input {...field('email')} name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          <FieldError id={`${id}-email-error`} text={errors.email} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            {...field('password')}
            name="password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
          <p className="hint">At least 10 characters.</p>
          <FieldError id={`${id}-password-error`} text={errors.password} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-headline`}>Headline (optional)</label>
          <input
            id={`${id}-headline`}
            name="headline"
            value={headline}
            onChange={(e) => setHeadline(e.target.value)}
            placeholder="e.g. Product designer at Acme"
          />
        </div>
        <ErrorNotice error={error} overrides={{ conflict: 'That handle or e-mail address is already in use. Choose another, or sign in.' }} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Signing up…' : 'Sign up'}
        </button>
      </form>
      <p className="auth-switch">
        Already on Liaison? <a href="#/signin">Sign in</a>
      </p>
    </section>
  );
}

export function SignIn({ next, notice }: { next?: string; notice?: string }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const id = useFieldId('signin');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const res = await run(() => api.signIn({ login: login.trim(), password }));
    if (res) {
      await session.signedIn(res.member);
      navigate(next && !next.startsWith('/sign') ? '#' + next : '#/home');
    }
  }

  return (
    <section className="auth card" aria-labelledby={`${id}-title`}>
      <ScreenHeading>
        <span id={`${id}-title`}>Sign in</span>
      </ScreenHeading>
      {notice && <p className="notice notice-info">{notice}</p>}
      <form onSubmit={submit} aria-label="Sign in" data-testid="signin-form">
        <div className="field">
          <label htmlFor={`${id}-login`}>Handle or e-mail</label>
          <input
            id={`${id}-login`}
            name="login"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={login}
            onChange={(e) => setLogin(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </div>
        <ErrorNotice
          error={error}
          overrides={{
            unauthenticated: 'That handle, e-mail or password is not right. Check them and try again.',
            invalid_request: 'Enter your handle or e-mail and your password.',
            not_found: 'That handle, e-mail or password is not right. Check them and try again.',
          }}
        />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-switch">
        New to Liaison? <a href="#/signup">Sign up</a>
      </p>
    </section>
  );
}
