/** The message box of a conversation: Enter sends, Shift+Enter starts a new line; pinned to the bottom of the screen. */
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { AttachmentPicker, useUploads } from '../Attachments';
import { CharCounter, charCount, useFieldId } from '../common';

export function Composer({
  onSend,
  max,
  disabled,
  disabledReason,
  onTyping,
}: {
  onSend: (body: string, attachments: string[]) => Promise<boolean>;
  max: number;
  disabled?: boolean;
  disabledReason?: string;
  onTyping?: () => void;
}) {
  const id = useFieldId('composer');
  const [body, setBody] = useState('');
  const [sending, setSending] = useState(false);
  const uploads = useUploads();
  const tooLong = charCount(body) > max;
  const empty = body.trim() === '' && uploads.ids.length === 0;
  const canSend = !disabled && !sending && !tooLong && !empty && !uploads.busy;

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (!canSend) return;
    setSending(true);
    const ok = await onSend(body, uploads.ids);
    setSending(false);
    if (ok) {
      setBody('');
      uploads.clear();
      document.getElementById(`${id}-body`)?.focus();
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  }

  return (
    <form className="composer" onSubmit={submit} aria-label="Write a message" data-testid="composer">
      <label htmlFor={`${id}-body`} className="visually-hidden">
        Message
      </label>
      <textarea
        id={`${id}-body`}
        value={body}
        rows={3}
        placeholder={disabled ? disabledReason : 'Write a message…'}
        disabled={disabled}
        onChange={(e) => {
          setBody(e.target.value);
          onTyping?.();
        }}
        onKeyDown={onKeyDown}
        aria-describedby={`${id}-count ${id}-hint`}
        aria-invalid={tooLong || undefined}
      />
      <div className="composer-bar">
        <AttachmentPicker state={uploads} />
        <CharCounter id={`${id}-count`} value={body} max={max} />
        <span id={`${id}-hint`} className="visually-hidden">
          Enter sends, Shift+Enter starts a new line.
        </span>
        <button type="submit" className="btn btn-primary" disabled={!canSend}>
          {sending ? 'Sending…' : 'Send'}
        </button>
      </div>
    </form>
  );
}
