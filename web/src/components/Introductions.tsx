/**
 * Warm introductions (DOMAIN.md 11, API.md "Introductions"): ask a mutual connection to introduce
 * you to a 2nd-degree member, forward or decline the asks waiting for you, follow your own asks, and
 * the introduced request as its recipient sees it.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, type ApiError, type Introduction, type Member, type Message } from '../api';
import { link } from '../router';
import { useSession } from '../session';
import { field, usePollWhileOffline, useStreamEvents } from '../stream';
import { formatDate, introductionReasonText, introductionStatusText, plural } from '../text';
import { CharCounter, charCount, CountBadge, Empty, ErrorNotice, Loading, MemberSummary, MoreButton, useAction, useAsync, useFieldId } from './common';

/** Fired on window after this browser forwarded or declined an ask (the header badge recounts). */
const CHANGED = 'liaison:introductions-changed';

function changed(): void {
  window.dispatchEvent(new Event(CHANGED));
}

/** The error of an ask, worded for introductions, with its unlocks (wait date, other mutuals). */
function askErrorOverrides(e: ApiError | null, policy: ReturnType<typeof useSession>['policy'], via: string, to: string) {
  if (!e) return undefined;
  return { [e.code]: introductionReasonText(e.code, policy, via, to) };
}

/** Keeps focus sensible for a panel: focus its heading when it opens, give focus back when it closes. */
function usePanelFocus<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    return () => {
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);
  return ref;
}

// ------------------------------------------------------------------ ask (the asker, on a profile)

/**
 * "Ask for an introduction": pick the mutual connection (the profile's introduction unlocks list
 * them), write a note, send. Refusals are shown in words, with the wait date or the other mutuals.
 */
export function AskIntroductionPanel({
  target,
  vias,
  initialVia,
  onClose,
}: {
  target: Member;
  /** handles of the mutual connections the viewer may ask */
  vias: string[];
  initialVia: string | null;
  onClose: () => void;
}) {
  const { policy, announce } = useSession();
  const id = useFieldId('intro');
  const headingRef = usePanelFocus<HTMLHeadingElement>();
  const candidates = [...new Set([...(initialVia ? [initialVia] : []), ...vias])];
  const [via, setVia] = useState<string>(initialVia ?? candidates[0] ?? '');
  const [note, setNote] = useState('');
  const [sent, setSent] = useState<Introduction | null>(null);
  const { busy, error, run, setError } = useAction();
  // names of the mutual connections (the unlocks carry handles only)
  const [mutuals] = useAsync(async () => (await api.mutuals(target.handle)).items, [target.handle]);
  const names = new Map<string, Member>(mutuals.status === 'ok' ? mutuals.data.map((m) => [m.handle, m]) : []);
  const nameOf = (h: string) => names.get(h)?.name ?? h;
  const tooLong = charCount(note) > policy.noteMaxChars;
  const doneRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (sent) doneRef.current?.focus();
  }, [sent]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!via || tooLong) return;
    const r = await run(() => api.askIntroduction({ to: target.handle, via, note: note.trim() || undefined }));
    if (r) {
      setSent(r);
      announce(`You asked ${r.via.name} to introduce you to ${r.to.name}.`);
    }
  }

  const pick = (h: string) => {
    setVia(h);
    setError(null);
    document.getElementById(`${id}-via-${h}`)?.focus();
  };

  return (
    <section className="panel intro-panel" aria-labelledby={`${id}-title`} data-testid="introduction-panel">
      <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1} className="panel-title">
        Ask for an introduction to {target.name}
      </h2>
      {sent ? (
        <div data-testid="introduction-sent">
          <p ref={doneRef} tabIndex={-1} role="status">
            You asked {sent.via.name} to introduce you to {sent.to.name}. If they forward it, {sent.to.name} gets your message request, introduced by{' '}
            {sent.via.name}. You'll see the answer under <a href="#/network">My network</a>.
          </p>
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Done
          </button>
        </div>
      ) : (
        <form onSubmit={submit} aria-label={`Ask for an introduction to ${target.name}`}>
          <p className="hint">
            A mutual connection can forward your note to {target.name} with a note of their own. Nobody else learns that you asked. You can ask for{' '}
            {plural(policy.introductionsPerMonth, 'introduction')} a month.
          </p>
          <fieldset className="radio-group">
            <legend>Who should introduce you?</legend>
            {candidates.map((h) => (
              <label key={h} className="radio">
                <input
                  type="radio"
                  id={`${id}-via-${h}`}
                  name={`${id}-via`}
                  value={h}
                  checked={via === h}
                  onChange={() => {
                    setVia(h);
                    setError(null);
                  }}
                />
                <span>
                  {nameOf(h)} <span className="member-handle">@{h}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor={`${id}-note`}>Your note (optional)</label>
            <textarea
              id={`${id}-note`}
              value={note}
              rows={4}
              onChange={(e) => setNote(e.target.value)}
              aria-describedby={`${id}-note-count ${id}-note-hint`}
              aria-invalid={tooLong || undefined}
            />
            <CharCounter id={`${id}-note-count`} value={note} max={policy.noteMaxChars} />
            <p className="hint" id={`${id}-note-hint`}>
              Why you'd like to meet {target.name}. {via ? nameOf(via) : 'Your connection'} reads it, and so does {target.name} if it's forwarded.
            </p>
          </div>
          <ErrorNotice
            error={error}
            context="other"
            target={target.handle}
            overrides={askErrorOverrides(error, policy, nameOf(via), target.name)}
            onIntroduction={pick}
          />
          <div className="button-row">
            <button type="submit" className="btn btn-primary" disabled={busy || tooLong || !via} data-testid="introduction-send">
              {busy ? 'Sending…' : 'Send ask'}
            </button>
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

// ------------------------------------------------------------------ forward or decline (the introducer)

function ToForwardItem({ intro, onDone }: { intro: Introduction; onDone: (text: string) => void }) {
  const { policy } = useSession();
  const id = useFieldId('fwd');
  const [note, setNote] = useState('');
  const { busy, error, run } = useAction();
  const tooLong = charCount(note) > policy.noteMaxChars;
  const { from, to } = intro;

  async function forward(e: FormEvent) {
    e.preventDefault();
    if (tooLong) return;
    const r = await run(() => api.forwardIntroduction(intro.id, note.trim() || undefined));
    if (r) onDone(`You introduced ${from.name} to ${to.name}.`);
  }
  async function decline() {
    const r = await run(() => api.declineIntroduction(intro.id));
    if (r) onDone(`You declined ${from.name}'s request. They will only see that it was not forwarded.`);
  }

  return (
    <li className="list-item intro-item" data-testid="introduction-to-forward" data-id={intro.id} data-from={from.handle} data-to={to.handle}>
      <p className="intro-ask">
        <a href={link(['profile', from.handle])}>{from.name}</a> asks you to introduce them to <a href={link(['profile', to.handle])}>{to.name}</a>.
      </p>
      <div className="intro-target" role="group" aria-label={`Who ${from.name} wants to meet`} data-testid="introduction-target">
        <MemberSummary member={to} />
      </div>
      {intro.note ? (
        <blockquote className="note prewrap" aria-label={`Note from ${from.name}`} data-testid="introduction-note">
          {intro.note}
        </blockquote>
      ) : (
        <p className="muted small">{from.name} wrote no note.</p>
      )}
      <p className="muted small">
        Asked {formatDate(intro.createdAt)}. {from.name} is only told whether you forwarded it.
      </p>
      <form onSubmit={forward} aria-label={`Introduce ${from.name} to ${to.name}`}>
        <div className="field">
          <label htmlFor={`${id}-note`}>Your note to {to.name} (optional)</label>
          <textarea
            id={`${id}-note`}
            value={note}
            rows={3}
            onChange={(e) => setNote(e.target.value)}
            aria-describedby={`${id}-note-count`}
            aria-invalid={tooLong || undefined}
          />
          <CharCounter id={`${id}-note-count`} value={note} max={policy.noteMaxChars} />
        </div>
        <ErrorNotice
          error={error}
          overrides={error ? { not_in_reach: `You are no longer connected with ${to.name}, so you can't forward this.` } : undefined}
        />
        <div className="button-row">
          <button type="submit" className="btn btn-primary btn-small" disabled={busy || tooLong}>
            Forward
          </button>
          <button type="button" className="btn btn-secondary btn-small" disabled={busy} onClick={() => void decline()}>
            Decline
          </button>
        </div>
      </form>
    </li>
  );
}

function useIntroductionList(role: 'asked' | 'to_forward') {
  const [items, setItems] = useState<Introduction[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, reload] = useAsync(async () => {
    const l = await api.introductions(role);
    setItems(l.items);
    setCursor(l.nextCursor);
    return true;
  }, [role]);
  const more = useAction();
  const loadMore = () =>
    cursor &&
    more.run(async () => {
      const l = await api.introductions(role, cursor);
      setItems((prev) => [...prev, ...l.items.filter((i) => !prev.some((p) => p.id === i.id))]);
      setCursor(l.nextCursor);
    });
  return { items, cursor, state, reload, more, loadMore };
}

/** Asks waiting for the caller to forward (live: introduction.asked). */
export function IntroductionsToForward() {
  const { announce } = useSession();
  const list = useIntroductionList('to_forward');
  const headingRef = useRef<HTMLHeadingElement>(null);
  useStreamEvents((e) => {
    if (e.type === 'introduction.asked') list.reload();
  });
  usePollWhileOffline(list.reload, 15_000);
  // an empty card collapses, unless it just emptied under the member's eyes (they forwarded the last one)
  const everHad = useRef(false);
  if (list.items.length > 0) everHad.current = true;
  const done = (text: string) => {
    announce(text);
    list.reload();
    changed();
    // the item is gone: keep the keyboard user in the section
    headingRef.current?.focus();
  };
  if (list.state.status === 'ok' && list.items.length === 0 && !everHad.current) return null;
  return (
    <section className="card" aria-labelledby="introductions-title" data-testid="section-introductions" id="introductions">
      <h2 id="introductions-title" ref={headingRef} tabIndex={-1}>
        Introductions to forward
        <CountBadge count={list.items.length} label="waiting" testId="count-introductions" />
      </h2>
      {list.state.status === 'loading' && <Loading />}
      {list.state.status === 'error' && <ErrorNotice error={list.state.error} onRetry={list.reload} />}
      {list.state.status === 'ok' && list.items.length === 0 && <Empty>No one is waiting for an introduction from you.</Empty>}
      {list.items.length > 0 && (
        <ul className="list" aria-label="Introductions to forward">
          {list.items.map((i) => (
            <ToForwardItem key={i.id} intro={i} onDone={done} />
          ))}
        </ul>
      )}
      {list.cursor && <MoreButton busy={list.more.busy} onClick={list.loadMore} />}
      <ErrorNotice error={list.more.error} />
    </section>
  );
}

// ------------------------------------------------------------------ the asker's list

function statusSentence(i: Introduction, expiryDays: number): string {
  if (i.status === 'asked') return `Waiting for ${i.via.name} (an ask expires after ${plural(expiryDays, 'day')}).`;
  if (i.status === 'forwarded') return `${i.via.name} forwarded it to ${i.to.name}.`;
  return `${i.via.name} did not forward it.`;
}

/** The caller's own asks with their status (asked / forwarded / not forwarded). */
export function IntroductionsAsked() {
  const { policy } = useSession();
  const list = useIntroductionList('asked');
  // a forward sends the asker's message: the sender's own message.created says it happened
  useStreamEvents((e) => {
    if (e.type === 'message.created' && field<string>(field(e.data, 'message'), 'channel') === 'introduction') list.reload();
  });
  usePollWhileOffline(list.reload, 15_000);
  if (list.state.status === 'ok' && list.items.length === 0) return null;
  return (
    <section className="card" aria-labelledby="introductions-asked-title" data-testid="section-introductions-asked">
      <h2 id="introductions-asked-title">Introductions you asked for</h2>
      {list.state.status === 'loading' && <Loading />}
      {list.state.status === 'error' && <ErrorNotice error={list.state.error} onRetry={list.reload} />}
      {list.state.status === 'ok' && list.items.length === 0 && (
        <Empty>You haven't asked for an introduction. On the profile of someone 2 steps away, ask a mutual connection.</Empty>
      )}
      {list.items.length > 0 && (
        <ul className="list" aria-label="Introductions you asked for">
          {list.items.map((i) => (
            <li key={i.id} className="list-item" data-testid="introduction-asked" data-id={i.id} data-status={i.status} data-to={i.to.handle}>
              <MemberSummary
                member={i.to}
                extra={
                  <span className={`badge intro-status intro-status-${i.status}`} data-testid="introduction-status">
                    {introductionStatusText(i.status)}
                  </span>
                }
              />
              <p className="small">
                Through <a href={link(['profile', i.via.handle])}>{i.via.name}</a> · asked {formatDate(i.createdAt)}.{' '}
                {statusSentence(i, policy.introductionExpiryDays)}
                {i.status === 'forwarded' && i.conversationId && (
                  <>
                    {' '}
                    <a href={link(['messages', i.conversationId])}>Open the conversation</a>
                  </>
                )}
              </p>
              {i.note && (
                <blockquote className="note prewrap small" aria-label="Your note">
                  {i.note}
                </blockquote>
              )}
            </li>
          ))}
        </ul>
      )}
      {list.cursor && <MoreButton busy={list.more.busy} onClick={list.loadMore} />}
      <ErrorNotice error={list.more.error} />
    </section>
  );
}

/** The count of asks waiting for the caller, for the "My network" link (live). */
export function IntroductionsWaitingBadge() {
  const { me } = useSession();
  const [count, setCount] = useState(0);
  const [tick, setTick] = useState(0);
  const refresh = () => setTick((t) => t + 1);
  useEffect(() => {
    if (!me) return;
    let live = true;
    api
      .introductions('to_forward')
      .then((l) => live && setCount(l.items.length))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [me, tick]);
  useEffect(() => {
    window.addEventListener(CHANGED, refresh);
    return () => window.removeEventListener(CHANGED, refresh);
  }, []);
  useStreamEvents((e) => {
    if (e.type === 'introduction.asked') refresh();
  });
  usePollWhileOffline(refresh, 15_000);
  return <CountBadge count={count} label="introductions to forward" testId="nav-introductions" />;
}

// ------------------------------------------------------------------ the introduced request

/** On a message that delivers a forwarded introduction: who vouched, and both notes. */
export function IntroductionCard({ message, mine }: { message: Message; mine: boolean }) {
  const via = message.introducedBy;
  if (!via) return null;
  const intro = message.introduction ?? { note: null, forwardNote: null };
  const asker = mine ? 'Your' : `${message.sender.name}'s`;
  return (
    <div className="intro-card" role="group" aria-label={`Introduced by ${via.name}`} data-testid="introduction-card">
      <p className="intro-by" data-testid="introduced-by">
        Introduced by <a href={link(['profile', via.handle])}>{via.name}</a>
      </p>
      <p className="intro-label">{via.name}'s note</p>
      {intro.forwardNote ? (
        <blockquote className="note prewrap" aria-label={`Note from ${via.name}`} data-testid="introduction-forward-note">
          {intro.forwardNote}
        </blockquote>
      ) : (
        <p className="muted small">{via.name} added no note.</p>
      )}
      <p className="intro-label">{asker} note</p>
      {intro.note ? (
        <blockquote className="note prewrap" aria-label={mine ? 'Your note' : `Note from ${message.sender.name}`} data-testid="introduction-note">
          {intro.note}
        </blockquote>
      ) : (
        <p className="muted small">No note.</p>
      )}
    </div>
  );
}

/** The message body repeats the asker's note: the card shows it, so the body is not shown twice. */
export function bodyIsIntroductionNote(m: Message): boolean {
  return !!m.introducedBy && !!m.introduction?.note && m.body === m.introduction.note;
}

/** "Introduced by <name>" on a conversation in a folder list. */
export function IntroducedByBadge({ message }: { message: Message | null }) {
  if (!message?.introducedBy) return null;
  return (
    <span className="badge badge-intro" data-testid="introduced-by">
      Introduced by {message.introducedBy.name}
    </span>
  );
}
