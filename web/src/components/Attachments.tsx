import { useRef, useState } from 'react';
import { ApiError, downloadAttachment, toApiError, uploadAttachment, type Attachment } from '../api';
import { useSession } from '../session';
import { errorText, formatBytes } from '../text';
import { useFieldId } from './common';

export interface Upload {
  key: string;
  file: File;
  progress: number;
  attachment: Attachment | null;
  error: ApiError | null;
  abort: () => void;
}

/** Upload state of the composer: files picked, their progress, and the ids to send. */
export function useUploads() {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const { policy } = useSession();
  const patch = (key: string, p: Partial<Upload>) => setUploads((prev) => prev.map((u) => (u.key === key ? { ...u, ...p } : u)));

  const add = (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const key = `${file.name}-${file.size}-${Math.random().toString(36).slice(2)}`;
      if (file.size > policy.attachmentMaxBytes) {
        setUploads((prev) => [
          ...prev,
          {
            key,
            file,
            progress: 0,
            attachment: null,
            error: new ApiError(413, 'payload_too_large', 'too large'),
            abort: () => undefined,
          },
        ]);
        continue;
      }
      const { promise, abort } = uploadAttachment(file, (f) => patch(key, { progress: f }));
      setUploads((prev) => [...prev, { key, file, progress: 0, attachment: null, error: null, abort }]);
      promise.then(
        (attachment) => patch(key, { attachment, progress: 1 }),
        (e: unknown) => patch(key, { error: toApiError(e) }),
      );
    }
  };
  const remove = (key: string) =>
    setUploads((prev) => {
      prev.find((u) => u.key === key)?.abort();
      return prev.filter((u) => u.key !== key);
    });
  const clear = () => setUploads([]);
  const busy = uploads.some((u) => !u.attachment && !u.error);
  const ids = uploads.flatMap((u) => (u.attachment ? [u.attachment.id] : []));
  return { uploads, add, remove, clear, busy, ids };
}

export function AttachmentPicker({ state }: { state: ReturnType<typeof useUploads> }) {
  const id = useFieldId('attach');
  const input = useRef<HTMLInputElement>(null);
  const { policy } = useSession();
  return (
    <div className="attachments">
      <label htmlFor={id} className="btn btn-secondary btn-small file-label">
        Attach a file
      </label>
      <input
        ref={input}
        id={id}
        type="file"
        className="visually-hidden-file"
        data-testid="attachment-input"
        onChange={(e) => {
          if (e.target.files) state.add(e.target.files);
          e.target.value = '';
        }}
        aria-describedby={`${id}-hint`}
      />
      <span id={`${id}-hint`} className="hint">
        Up to {formatBytes(policy.attachmentMaxBytes)} each.
      </span>
      {state.uploads.length > 0 && (
        <ul className="upload-list" aria-label="Attachments">
          {state.uploads.map((u) => (
            <li key={u.key} className="upload" data-testid="upload">
              <span className="upload-name">
                {u.file.name} ({formatBytes(u.file.size)})
              </span>
              {!u.error && (
                <progress
                  max={1}
                  value={u.progress}
                  aria-label={`Uploading ${u.file.name}`}
                  aria-valuetext={`${Math.round(u.progress * 100)}%`}
                  data-testid="upload-progress"
                />
              )}
              {u.attachment && <span className="upload-done">Uploaded</span>}
              {u.error && (
                <span className="field-error" role="alert">
                  {errorText(u.error, policy)}
                </span>
              )}
              <button type="button" className="btn btn-link btn-small" onClick={() => state.remove(u.key)} aria-label={`Remove ${u.file.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function AttachmentLinks({ attachments }: { attachments: Attachment[]; as?: string | null }) {
  const { policy } = useSession();
  const [error, setError] = useState<string | null>(null);
  if (attachments.length === 0) return null;
  return (
    <div className="message-attachments">
      <ul aria-label="Attachments">
        {attachments.map((a) => (
          <li key={a.id}>
            <button
              type="button"
              className="btn btn-link attachment-link"
              data-testid="attachment-download"
              onClick={() => {
                setError(null);
                downloadAttachment(a).catch((e: unknown) => setError(errorText(toApiError(e), policy)));
              }}
            >
              <span aria-hidden="true">📎 </span>
              {a.name}
              <span className="muted small"> ({formatBytes(a.size)})</span>
              <span className="visually-hidden">, download</span>
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
