import { createContext, useContext, useEffect, useRef, useState } from 'react';
import { api, DEFAULT_SETTINGS, NOTIFICATION_KINDS, type NotificationKind, type Settings, type SettingsPatch } from '../api';
import { link, navigate } from '../router';
import { useSession } from '../session';
import { plural, tierName } from '../text';
import { Empty, ErrorNotice, Loading, ScreenHeading, useAction, useAsync, useFieldId } from './common';

type Saving = 'saving' | 'saved' | 'error';
const SaveContext = createContext<Partial<Record<string, Saving>>>({});

/** "Saving…" / "Saved" beside the control that changed (each control saves on change). */
function SaveStatus({ name }: { name: string }) {
  const status = useContext(SaveContext)[name];
  return (
    <span className={`save-status save-${status ?? 'idle'}`} data-testid={`saved-${name}`} role="status">
      {status === 'saving' ? 'Saving…' : status === 'saved' ? 'Saved' : status === 'error' ? 'Not saved' : ''}
    </span>
  );
}

function Radio<T extends string>({
  name,
  legend,
  value,
  options,
  onChange,
  hint,
}: {
  name: string;
  legend: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (v: T) => void;
  hint?: string;
}) {
  const id = useFieldId(name);
  return (
    <fieldset className="field" aria-describedby={hint ? `${id}-hint` : undefined} data-testid={`setting-${name}`}>
      <legend>
        {legend} <SaveStatus name={name} />
      </legend>
      {options.map((o) => (
        <label key={o.value} className="radio">
          <input type="radio" name={`${id}-${name}`} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
          {o.label}
        </label>
      ))}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </fieldset>
  );
}

function Toggle({ name, label, checked, onChange, hint }: { name: string; label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string }) {
  const id = useFieldId(name);
  return (
    <div className="field field-toggle" data-testid={`setting-${name}`}>
      <label className="checkbox" htmlFor={id}>
        <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} aria-describedby={hint ? `${id}-hint` : undefined} />
        {label}
      </label>{' '}
      <SaveStatus name={name} />
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** What each notification kind is about, as the settings list them. */
const KIND_LABELS: Record<NotificationKind, string> = {
  'invitation.received': 'Invitations I receive',
  'invitation.accepted': 'Invitations of mine that are accepted',
  'request.received': 'Message requests',
  'inmail.received': 'InMails',
  'page.request': 'Message requests to pages I run',
  'credits.granted': 'InMail credits granted',
  'introduction.asked': 'Introductions asked of me',
  'introduction.forwarded': 'Introductions forwarded for me',
};

function BlockedList() {
  const [state, reload] = useAsync(() => api.blocks(), []);
  const { announce } = useSession();
  const { error, run, busy } = useAction();
  return (
    <section className="card" aria-labelledby="blocked-title">
      <h2 id="blocked-title">Blocked members</h2>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorNotice error={state.error} onRetry={reload} />}
      {state.status === 'ok' && state.data.items.length === 0 && <Empty>You haven't blocked anyone.</Empty>}
      {state.status === 'ok' && state.data.items.length > 0 && (
        <ul className="list">
          {state.data.items.map((m) => (
            <li key={m.handle} className="list-item" data-testid="blocked">
              <div className="member-summary-text">
                <span className="member-name">{m.name}</span>
                <p className="member-handle">@{m.handle}</p>
              </div>
              <button
                type="button"
                className="btn btn-secondary btn-small"
                disabled={busy}
                aria-label={`Unblock ${m.name}`}
                onClick={async () => {
                  const ok = await run(async () => {
                    await api.unblock(m.handle);
                    return true;
                  });
                  if (ok) {
                    announce(`${m.name} unblocked.`);
                    reload();
                  }
                }}
              >
                Unblock
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}

function Account() {
  const session = useSession();
  const { me } = session;
  const { busy, error, run } = useAction();
  const [confirm, setConfirm] = useState<null | 'deactivate' | 'close'>(null);
  if (!me) return null;
  const deactivated = me.member.status === 'deactivated';
  const doIt = async (what: 'deactivate' | 'reactivate' | 'close') => {
    const res = await run(() => (what === 'deactivate' ? api.deactivate() : what === 'reactivate' ? api.reactivate() : api.close()));
    if (res) {
      setConfirm(null);
      if (what === 'close') {
        await session.signOut();
        navigate('#/signin');
        return;
      }
      session.announce(what === 'deactivate' ? 'Your account is deactivated.' : 'Welcome back: your account is active again.');
      await session.refreshMe();
    }
  };
  return (
    <section className="card" aria-labelledby="account-title">
      <h2 id="account-title">Account</h2>
      <p>
        Plan: <strong data-testid="tier">{tierName(me.member.tier)}</strong> · Status: <strong data-testid="status">{me.member.status}</strong>
      </p>
      <ul className="quotas" data-testid="quotas">
        <li>{plural(me.quotas.inmailCredits, 'InMail credit')}</li>
        <li>{plural(me.quotas.invitationsLeftThisWeek, 'invitation')} left this week</li>
        {me.member.tier === 'free' && me.quotas.notesLeftThisMonth != null && (
          <li>{plural(me.quotas.notesLeftThisMonth, 'invitation note')} left this month</li>
        )}
      </ul>
      <div className="button-row">
        {deactivated ? (
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => doIt('reactivate')}>
            Reactivate account
          </button>
        ) : (
          <button type="button" className="btn btn-secondary" onClick={() => setConfirm('deactivate')}>
            Deactivate account
          </button>
        )}
        <button type="button" className="btn btn-danger-text btn-link" onClick={() => setConfirm('close')}>
          Close account
        </button>
      </div>
      {confirm === 'deactivate' && (
        <div className="panel" role="group" aria-label="Deactivate account">
          <p>Deactivate? Your profile is hidden and nobody can message you until you reactivate. You can still sign in.</p>
          <div className="button-row">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => doIt('deactivate')}>
              Deactivate
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {confirm === 'close' && (
        <div className="panel" role="group" aria-label="Close account">
          <p>Close your account for good? This is permanent: you will not be able to sign in again.</p>
          <div className="button-row">
            <button type="button" className="btn btn-danger" disabled={busy} onClick={() => doIt('close')}>
              Close my account
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}

export function SettingsScreen() {
  const session = useSession();
  const { me, policy } = session;
  const [s, setS] = useState<Settings>(me?.settings ?? DEFAULT_SETTINGS);
  const [status, setStatus] = useState<Partial<Record<string, Saving>>>({});
  const { error, run } = useAction();
  const timers = useRef<Record<string, ReturnType<typeof setTimeout>>>({});

  useEffect(() => {
    if (me) {
      setS({
        ...DEFAULT_SETTINGS,
        ...me.settings,
        openTo: { ...DEFAULT_SETTINGS.openTo, ...me.settings.openTo },
        requestFilters: { ...DEFAULT_SETTINGS.requestFilters, ...me.settings.requestFilters },
        notifications: { ...DEFAULT_SETTINGS.notifications, ...me.settings.notifications },
      });
    }
  }, [me]);
  useEffect(() => {
    const t = timers.current;
    return () => Object.values(t).forEach(clearTimeout);
  }, []);

  if (!me) return <Loading />;
  const premium = me.member.tier !== 'free';

  /** Save one control's change at once; its status shows beside it. */
  const save = async (control: string, patch: SettingsPatch, next: Settings) => {
    const before = s;
    setS(next);
    setStatus((st) => ({ ...st, [control]: 'saving' }));
    const res = await run(() => api.patchSettings(patch));
    if (res) {
      const merged = { ...DEFAULT_SETTINGS, ...res.settings };
      session.setMe((m) => ({ ...m, settings: merged }));
      setStatus((st) => ({ ...st, [control]: 'saved' }));
      clearTimeout(timers.current[control]);
      timers.current[control] = setTimeout(() => setStatus((st) => ({ ...st, [control]: undefined })), 4000);
    } else {
      setS(before);
      setStatus((st) => ({ ...st, [control]: 'error' }));
    }
  };
  const set = <K extends keyof Settings>(k: K, v: Settings[K], control: string = k) => save(control, { [k]: v }, { ...s, [k]: v });
  /** one field of a nested setting (openTo, requestFilters, notifications) */
  const setIn = <K extends 'openTo' | 'requestFilters' | 'notifications'>(k: K, field: keyof Settings[K], v: boolean, control: string) => {
    const nested = { ...s[k], [field]: v };
    return save(control, { [k]: nested }, { ...s, [k]: nested });
  };

  return (
    <div className="settings">
      <ScreenHeading>Settings</ScreenHeading>
      <p className="muted">Each change is saved as soon as you make it.</p>
      <SaveContext.Provider value={status}>
        <ErrorNotice error={error} />
        <section className="card" aria-labelledby="settings-profile" data-testid="settings-form">
          <h2 id="settings-profile">Your profile</h2>
          <Radio
            name="primaryAction"
            legend="The main button people see on my profile"
            value={s.primaryAction}
            onChange={(v) => set('primaryAction', v)}
            options={[
              { value: 'connect', label: 'Connect' },
              { value: 'message', label: 'Message' },
              { value: 'follow', label: 'Follow' },
            ]}
            hint="What people who are not connected to you see first. Connect stays available as a second button."
          />
          <Radio
            name="profileVisibility"
            legend="Who can see my profile"
            value={s.profileVisibility}
            onChange={(v) => set('profileVisibility', v)}
            options={[
              { value: 'everyone', label: 'Everyone' },
              { value: 'network', label: 'People in my network (up to 3 steps away)' },
              { value: 'connections', label: 'My connections only' },
            ]}
          />
          <fieldset className="field" data-testid="setting-openTo">
            <legend>Show on my profile that I am</legend>
            <Toggle name="openToJobs" label="Open to job opportunities" checked={s.openTo.jobs} onChange={(v) => setIn('openTo', 'jobs', v, 'openToJobs')} />
            <Toggle
              name="openToMentoring"
              label="Open to mentoring"
              checked={s.openTo.mentoring}
              onChange={(v) => setIn('openTo', 'mentoring', v, 'openToMentoring')}
              hint="Shown as badges on your profile, to the people who may see your profile."
            />
          </fieldset>
        </section>

        <section className="card" aria-labelledby="settings-messaging">
          <h2 id="settings-messaging">Messages</h2>
          <Radio
            name="messagesFrom"
            legend="Who can message me"
            value={s.messagesFrom}
            onChange={(v) => set('messagesFrom', v)}
            options={[
              { value: 'anyone', label: 'Anyone' },
              { value: 'shared_connections', label: 'People I share a connection with' },
              { value: 'connections', label: 'My connections only' },
            ]}
          />
          <Radio
            name="messageRequests"
            legend="Messages from people outside my connections"
            value={s.messageRequests}
            onChange={(v) => set('messageRequests', v)}
            options={[
              { value: 'on', label: 'Go to Requests first: I accept them before they reach my inbox' },
              { value: 'off', label: 'Go straight to my inbox' },
            ]}
          />
          <fieldset className="field" data-testid="setting-requestFilters">
            <legend>Set these requests aside in Filtered, without a notification, when they come</legend>
            <Toggle
              name="filterNewAccounts"
              label={`From new accounts (younger than ${policy.newAccountDays} days)`}
              checked={s.requestFilters.newAccounts}
              onChange={(v) => setIn('requestFilters', 'newAccounts', v, 'filterNewAccounts')}
            />
            <Toggle
              name="filterNoSharedConnections"
              label="From people I share no connection with"
              checked={s.requestFilters.noSharedConnections}
              onChange={(v) => setIn('requestFilters', 'noSharedConnections', v, 'filterNoSharedConnections')}
            />
            <Toggle
              name="filterNotFollowed"
              label="From people I don't follow"
              checked={s.requestFilters.notFollowed}
              onChange={(v) => setIn('requestFilters', 'notFollowed', v, 'filterNotFollowed')}
              hint="You can still accept them from Filtered. This applies to requests that arrive after you turn it on."
            />
          </fieldset>
          <Toggle
            name="acceptInMail"
            label="Let premium members send me InMail"
            checked={s.acceptInMail}
            onChange={(v) => set('acceptInMail', v)}
            hint="They spend a credit to reach you when they can't message you otherwise."
          />
          {premium ? (
            <Toggle
              name="openProfile"
              label="Open Profile: anyone can message me for free, straight to my inbox"
              checked={s.openProfile}
              onChange={(v) => set('openProfile', v)}
            />
          ) : (
            <p className="hint" data-testid="open-profile-premium-only">
              Open Profile (anyone can message you for free) comes with a premium plan. <a href={link(['plans', 'career'])}>See the plans</a>.
            </p>
          )}
          <Toggle name="readReceipts" label="Show people when I have read their messages" checked={s.readReceipts} onChange={(v) => set('readReceipts', v)} />
          <Toggle
            name="typingIndicators"
            label="Show people when I am typing"
            checked={s.typingIndicators}
            onChange={(v) => set('typingIndicators', v)}
            hint="You see theirs only when both of you have this on."
          />
        </section>

        <section className="card" aria-labelledby="settings-notifications">
          <h2 id="settings-notifications">Notifications</h2>
          <fieldset className="field" data-testid="setting-notifications">
            <legend>Notify me about</legend>
            {NOTIFICATION_KINDS.map((k) => (
              <Toggle
                key={k}
                name={`notify-${k}`}
                label={KIND_LABELS[k]}
                checked={s.notifications[k] !== false}
                onChange={(v) => setIn('notifications', k, v, `notify-${k}`)}
              />
            ))}
            <p className="hint">Notifications are kept {policy.notificationRetentionDays} days.</p>
          </fieldset>
        </section>
      </SaveContext.Provider>
      <Account />
      <section className="card" aria-labelledby="plans-title">
        <h2 id="plans-title">Plan</h2>
        <p>
          Your plan: <strong>{tierName(me.member.tier)}</strong>. Plans are granted by the administrator of this network. <a href="#/plans">See the plans</a>.
        </p>
      </section>
      <BlockedList />
    </div>
  );
}
