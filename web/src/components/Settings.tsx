import { useEffect, useState, type FormEvent } from 'react';
import { api, DEFAULT_SETTINGS, NOTIFICATION_KINDS, type NotificationKind, type Settings } from '../api';
import { navigate } from '../router';
import { useSession } from '../session';
import { plural, tierName } from '../text';
import { Empty, ErrorNotice, Loading, ScreenHeading, useAction, useAsync, useFieldId } from './common';

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
      <legend>{legend}</legend>
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
      </label>
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

function Plans({ highlight }: { highlight: string | null }) {
  const { policy, me } = useSession();
  const tiers = ['free', 'career', 'business', 'sales_navigator'] as const;
  const reach = (n: number) => (n >= 3 ? '1st, 2nd and 3rd degree' : n === 2 ? '1st and 2nd degree' : '1st degree');
  return (
    <section className="card" aria-labelledby="plans-title" id="plans" data-testid="plans">
      <h2 id="plans-title">Plans</h2>
      <ul className="plans">
        {tiers.map((t) => (
          <li
            key={t}
            className={`plan ${highlight === t ? 'plan-highlight' : ''} ${me?.member.tier === t ? 'plan-current' : ''}`}
            aria-current={me?.member.tier === t ? 'true' : undefined}
          >
            <strong>{tierName(t)}</strong>
            {me?.member.tier === t && <span className="badge">Your plan</span>}
            <span>Message for free: {reach(policy.tierReach[t])}</span>
            <span>{plural(policy.inmailMonthlyCredits[t], 'InMail credit')} a month</span>
          </li>
        ))}
      </ul>
      <p className="hint">Plans are managed by your Liaison operator; contact them to upgrade.</p>
    </section>
  );
}

export function SettingsScreen({ upgrade = null }: { upgrade?: string | null }) {
  const session = useSession();
  const { me, announce, policy } = session;
  const [s, setS] = useState<Settings>(me?.settings ?? DEFAULT_SETTINGS);
  const [saved, setSaved] = useState<Settings>(me?.settings ?? DEFAULT_SETTINGS);
  const { busy, error, run } = useAction();
  const [status, setStatus] = useState('');

  useEffect(() => {
    if (me) {
      const merged = {
        ...DEFAULT_SETTINGS,
        ...me.settings,
        openTo: { ...DEFAULT_SETTINGS.openTo, ...me.settings.openTo },
        requestFilters: { ...DEFAULT_SETTINGS.requestFilters, ...me.settings.requestFilters },
        notifications: { ...DEFAULT_SETTINGS.notifications, ...me.settings.notifications },
      };
      setS(merged);
      setSaved(merged);
    }
  }, [me]);

  if (!me) return <Loading />;
  const premium = me.member.tier !== 'free';
  const set = <K extends keyof Settings>(k: K, v: Settings[K]) => {
    setStatus('');
    setS((prev) => ({ ...prev, [k]: v }));
  };
  /** one field of a nested setting (openTo, requestFilters, notifications) */
  const setIn = <K extends 'openTo' | 'requestFilters' | 'notifications'>(k: K, field: keyof Settings[K], v: boolean) => {
    setStatus('');
    setS((prev) => ({ ...prev, [k]: { ...prev[k], [field]: v } }));
  };
  const nestedSame = (a: object, b: object) => JSON.stringify(a) === JSON.stringify(b);
  const changed = (Object.keys(s) as (keyof Settings)[]).filter(
    (k) => (typeof s[k] === 'object' ? !nestedSame(s[k] as object, saved[k] as object) : s[k] !== saved[k]) && (k !== 'openProfile' || premium),
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (changed.length === 0) {
      setStatus('Nothing to save.');
      return;
    }
    const patch: Partial<Settings> = {};
    for (const k of changed) (patch as Record<string, unknown>)[k] = s[k];
    const res = await run(() => api.patchSettings(patch));
    if (res) {
      const next = { ...DEFAULT_SETTINGS, ...res.settings };
      setSaved(next);
      setS(next);
      session.setMe((m) => ({ ...m, settings: next }));
      setStatus('Settings saved.');
      announce('Settings saved.');
    }
  }

  return (
    <div className="settings">
      <ScreenHeading>Settings</ScreenHeading>
      <form className="card" onSubmit={submit} aria-label="Settings" data-testid="settings-form">
        <h2>Profile</h2>
        <Radio
          name="primaryAction"
          legend="Main button on my profile"
          value={s.primaryAction}
          onChange={(v) => set('primaryAction', v)}
          options={[
            { value: 'connect', label: 'Connect' },
            { value: 'message', label: 'Message' },
            { value: 'follow', label: 'Follow' },
          ]}
          hint="What people who are not connected to you see first. Connect stays available as a secondary action."
        />
        <Radio
          name="profileVisibility"
          legend="Who can see my profile"
          value={s.profileVisibility}
          onChange={(v) => set('profileVisibility', v)}
          options={[
            { value: 'everyone', label: 'Everyone' },
            { value: 'network', label: 'My network (1st, 2nd and 3rd degree)' },
            { value: 'connections', label: 'My connections only' },
          ]}
        />
        <fieldset className="field" data-testid="setting-openTo">
          <legend>Open to</legend>
          <Toggle name="openToJobs" label="Open to job opportunities" checked={s.openTo.jobs} onChange={(v) => setIn('openTo', 'jobs', v)} />
          <Toggle
            name="openToMentoring"
            label="Open to mentoring"
            checked={s.openTo.mentoring}
            onChange={(v) => setIn('openTo', 'mentoring', v)}
            hint="Shown as badges on your profile, to the people who may see your profile."
          />
        </fieldset>

        <h2>Messaging</h2>
        <Radio
          name="messagesFrom"
          legend="Who can message me"
          value={s.messagesFrom}
          onChange={(v) => set('messagesFrom', v)}
          options={[
            { value: 'anyone', label: 'Anyone' },
            { value: 'shared_connections', label: 'People I share connections with (1st and 2nd degree)' },
            { value: 'connections', label: 'My connections only' },
          ]}
        />
        <Toggle
          name="messageRequests"
          label="Message requests"
          checked={s.messageRequests === 'on'}
          onChange={(v) => set('messageRequests', v ? 'on' : 'off')}
          hint="On: messages from people outside your connections wait in Requests until you accept them. Off: they go straight to your inbox, which opens your inbox to anyone."
        />
        <fieldset className="field" data-testid="setting-requestFilters">
          <legend>Filter message requests</legend>
          <Toggle
            name="filterNewAccounts"
            label={`From new accounts (younger than ${policy.newAccountDays} days)`}
            checked={s.requestFilters.newAccounts}
            onChange={(v) => setIn('requestFilters', 'newAccounts', v)}
          />
          <Toggle
            name="filterNoSharedConnections"
            label="From people I share no connection with"
            checked={s.requestFilters.noSharedConnections}
            onChange={(v) => setIn('requestFilters', 'noSharedConnections', v)}
          />
          <Toggle
            name="filterNotFollowed"
            label="From people I don't follow"
            checked={s.requestFilters.notFollowed}
            onChange={(v) => setIn('requestFilters', 'notFollowed', v)}
            hint="A request that matches goes to the Filtered folder, without a notification. You can still accept it there. Filters apply to requests that arrive after you turn them on."
          />
        </fieldset>
        <Toggle
          name="acceptInMail"
          label="Accept InMail"
          checked={s.acceptInMail}
          onChange={(v) => set('acceptInMail', v)}
          hint="Premium members can spend a credit to message you even when they can't otherwise."
        />
        {premium ? (
          <Toggle
            name="openProfile"
            label="Open Profile"
            checked={s.openProfile}
            onChange={(v) => set('openProfile', v)}
            hint="Any member can message you for free, straight to your inbox."
          />
        ) : (
          <p className="hint" data-testid="open-profile-premium-only">
            Open Profile (anyone can message you for free) is available with a premium plan.
          </p>
        )}
        <Toggle
          name="readReceipts"
          label="Read receipts"
          checked={s.readReceipts}
          onChange={(v) => set('readReceipts', v)}
          hint="Let others see when you have read their messages."
        />
        <Toggle
          name="typingIndicators"
          label="Typing indicators"
          checked={s.typingIndicators}
          onChange={(v) => set('typingIndicators', v)}
          hint="Shown only when both of you have them on."
        />

        <h2>Notifications</h2>
        <fieldset className="field" data-testid="setting-notifications">
          <legend>Notify me about</legend>
          {NOTIFICATION_KINDS.map((k) => (
            <Toggle key={k} name={`notify-${k}`} label={KIND_LABELS[k]} checked={s.notifications[k] !== false} onChange={(v) => setIn('notifications', k, v)} />
          ))}
          <p className="hint">Notifications are kept {policy.notificationRetentionDays} days.</p>
        </fieldset>
        <ErrorNotice error={error} />
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save settings'}
          </button>
          <span role="status" className="save-status" data-testid="settings-status">
            {status}
          </span>
        </div>
      </form>
      <Account />
      <Plans highlight={upgrade} />
      <BlockedList />
    </div>
  );
}
