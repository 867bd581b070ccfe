/**
 * New message: pick the recipient, see whether and how you can message them before writing, send.
 * InMail is offered only when no free channel applies and you have the credits; the confirmation
 * says what the server did (channel and delivery), never what was asked.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Member, type MessageAndConversation } from '../../api';
import { remember } from '../../hooks/conversationCache';
import { messageOffer, useRecipient } from '../../hooks/useRecipient';
import { link, navigate } from '../../router';
import { useSession } from '../../session';
import { plural } from '../../text';
import { AttachmentPicker, useUploads } from '../Attachments';
import { CharCounter, charCount, ErrorNotice, Loading, ScreenHeading, useAction, useFieldId } from '../common';
import { DecisionExplanation } from '../profile/DecisionExplanation';
import { RecipientPicker } from './RecipientPicker';
import { asQuery, pageName } from './shared';

/** The confirmation of a send, from the server's answer. */
export function sentText(res: MessageAndConversation, name: string): string {
  const channel = res.message.channel;
  const request = res.conversation.state === 'request';
  if (channel === 'inmail') return `InMail sent to ${name}. It is in their inbox.`;
  if (channel === 'introduction') return `Introduction sent to ${name}.`;
  if (request) return `Message request sent to ${name}. It waits in their Requests until they accept.`;
  return `Message sent to ${name}.`;
}

export function ComposeScreen({ initialTo, initialBody, as }: { initialTo: string; initialBody: string; as: string | null }) {
  const session = useSession();
  const { policy, me, announce, pages } = session;
  const id = useFieldId('compose');
  const [picked, setPicked] = useState<Member | null>(null);
  // the handle in the address (a profile's Message button) until the member picks someone
  const [fromAddress, setFromAddress] = useState(initialTo.trim() !== '');
  const target = picked?.handle ?? (fromAddress ? initialTo.trim().replace(/^@/, '') : null);
  const [check, reloadCheck] = useRecipient(target, as);
  const [body, setBody] = useState(initialBody);
  const [subject, setSubject] = useState('');
  const [confirming, setConfirming] = useState(false);
  const uploads = useUploads();
  const sendAction = useAction();

  // a recipient named in the address (from a profile's Message button) is picked once known
  useEffect(() => {
    if (!picked && fromAddress && check.status === 'ok' && check.data?.member) setPicked(check.data.member);
  }, [check, picked, fromAddress]);

  const data = check.status === 'ok' ? check.data : null;
  // a handle in the address that names no one: the picker answers "did you mean"
  const unknown =
    fromAddress &&
    !picked &&
    ((check.status === 'error' && (check.error.code === 'not_found' || check.error.code === 'recipient_unavailable')) ||
      (check.status === 'ok' && !!check.data && !check.data.member && check.data.decision.reason === 'recipient_unavailable'))
      ? target
      : null;
  const d = data?.decision ?? null;
  const name = picked?.name ?? data?.member?.name ?? target ?? '';
  const credits = me?.quotas.inmailCredits ?? 0;
  const offer = messageOffer(data);
  const inmailMode = !offer.free && offer.inmail;
  const canWrite = !!target && (offer.free || offer.inmail);
  const max = inmailMode ? policy.inmailBodyMaxChars : policy.messageMaxChars;
  const tooLong = charCount(body) > max || (inmailMode && charCount(subject) > policy.inmailSubjectMaxChars);
  const empty = body.trim() === '' && uploads.ids.length === 0;
  const ready = canWrite && !tooLong && !empty && !uploads.busy && !sendAction.busy;

  useEffect(() => setConfirming(false), [target, inmailMode]);

  async function doSend() {
    if (!target) return;
    const res = await sendAction.run(() =>
      api.sendMessage({
        to: target,
        body,
        subject: inmailMode && subject.trim() ? subject.trim() : undefined,
        channel: inmailMode ? 'inmail' : undefined,
        attachments: uploads.ids.length ? uploads.ids : undefined,
      }),
    );
    if (res) {
      remember(res.conversation, as);
      announce(sentText(res, name));
      if (res.message.channel === 'inmail') session.refreshMe().catch(() => undefined);
      navigate(link(['messages', res.conversation.id], asQuery(as)), true);
    } else {
      setConfirming(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!ready) return;
    if (inmailMode) setConfirming(true);
    else void doSend();
  }

  return (
    <div className="compose">
      <p className="back-link">
        <a href={link(['messages'], asQuery(as))}>← Messages</a>
      </p>
      <ScreenHeading>{inmailMode ? 'New InMail' : 'New message'}</ScreenHeading>
      {as && <p className="acting-as">Sending as the page {pageName(pages, as)}.</p>}
      <form onSubmit={submit} aria-label="New message" data-testid="compose-form">
        <RecipientPicker
          key={initialTo}
          picked={picked}
          initialText={initialTo}
          unknownHandle={unknown}
          onPick={(m) => {
            setPicked(m);
            setFromAddress(false);
          }}
        />

        <div aria-live="polite" className="decision-slot">
          {target && check.status === 'loading' && <Loading label="Checking whether you can message them…" />}
          {target && check.status === 'error' && !unknown && (
            <ErrorNotice
              error={check.error}
              onRetry={reloadCheck}
              overrides={{
                not_found: 'We couldn’t find that member. Type part of their name to search.',
                recipient_unavailable: 'We couldn’t find that member. Type part of their name to search.',
              }}
            />
          )}
          {d && target && !unknown && (
            <DecisionExplanation
              decision={d}
              inmail={data?.inmail ?? undefined}
              inmailOffered={offer.inmail}
              name={name}
              handle={target}
              testId="decision-message"
              context="message"
            />
          )}
        </div>

        {canWrite && (
          <>
            {inmailMode && (
              <div className="field">
                <label htmlFor={`${id}-subject`}>Subject</label>
                <input
                  id={`${id}-subject`}
                  value={subject}
                  onChange={(e) => setSubject(e.target.value)}
                  aria-describedby={`${id}-subject-count`}
                  aria-invalid={charCount(subject) > policy.inmailSubjectMaxChars || undefined}
                />
                <CharCounter id={`${id}-subject-count`} value={subject} max={policy.inmailSubjectMaxChars} />
              </div>
            )}
            <div className="field">
              <label htmlFor={`${id}-body`}>Message</label>
              <textarea
                id={`${id}-body`}
                value={body}
                rows={6}
                onChange={(e) => setBody(e.target.value)}
                aria-describedby={`${id}-body-count`}
                aria-invalid={charCount(body) > max || undefined}
              />
              <CharCounter id={`${id}-body-count`} value={body} max={max} />
            </div>
            <AttachmentPicker state={uploads} />
          </>
        )}

        <ErrorNotice error={sendAction.error} context="message" target={target ?? undefined} />

        {confirming ? (
          <div className="panel confirm" role="alertdialog" aria-labelledby={`${id}-confirm`} data-testid="inmail-confirm">
            <p id={`${id}-confirm`}>
              This InMail costs {plural(offer.cost, 'credit')}. You have {plural(credits, 'InMail credit')}; {credits - offer.cost} will be left. The credit
              comes back if {name} replies within {policy.inmailRefundDays} days.
            </p>
            <div className="button-row">
              <button type="button" className="btn btn-primary" onClick={() => void doSend()} disabled={sendAction.busy} autoFocus>
                {sendAction.busy ? 'Sending…' : `Spend ${plural(offer.cost, 'credit')} and send`}
              </button>
              <button type="button" className="btn btn-secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!ready} data-testid="compose-send">
            {inmailMode ? `Send InMail · ${plural(offer.cost, 'credit')}` : 'Send'}
          </button>
        )}
      </form>
    </div>
  );
}
