/**
 * "To": a type-ahead over names, handles and headlines (people you know first: the search ranks by
 * degree), showing who was picked. An unknown handle gets "did you mean" with the nearest names
 * instead of a sentence that reads like a block.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { api, type Member, type SearchResult } from '../../api';
import { useMemberSearch } from '../../hooks/useMemberSearch';
import { Avatar, TypeaheadOption, useFieldId } from '../common';

export function RecipientPicker({
  picked,
  onPick,
  initialText = '',
  unknownHandle = null,
  label = 'To',
  hint = 'Type a name; your connections come first. Whether and how you can message them is shown before you write.',
  changeLabel = 'Change recipient',
}: {
  picked: Member | null;
  onPick: (m: Member | null) => void;
  initialText?: string;
  /** a handle that named no one (from the address): answer with "did you mean" */
  unknownHandle?: string | null;
  label?: string;
  hint?: string;
  changeLabel?: string;
}) {
  const id = useFieldId('to');
  const [text, setText] = useState(initialText);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [notFound, setNotFound] = useState<string | null>(unknownHandle);
  useEffect(() => {
    if (unknownHandle) setNotFound(unknownHandle);
  }, [unknownHandle]);
  const search = useMemberSearch(picked ? '' : text, { limit: 6 });
  const inputRef = useRef<HTMLInputElement>(null);
  const changeRef = useRef<HTMLButtonElement>(null);
  const pickedBefore = useRef(picked);

  useEffect(() => {
    // focus follows the picking: to "Change" once picked, back to the box when changed
    if (picked && !pickedBefore.current) changeRef.current?.focus();
    pickedBefore.current = picked;
  }, [picked]);

  useEffect(() => setActive(0), [search.results]);

  const results: SearchResult[] = search.results;
  const choose = (m: Member) => {
    setOpen(false);
    setNotFound(null);
    setText(m.handle);
    onPick(m);
  };

  async function resolveTyped() {
    const h = text.trim().replace(/^@/, '');
    if (!h) return;
    const exact = results.find((r) => r.member.handle.toLowerCase() === h.toLowerCase());
    if (exact) return choose(exact.member);
    try {
      const p = await api.profile(h);
      choose(p.member);
    } catch {
      setNotFound(h);
      setOpen(false);
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, Math.max(results.length - 1, 0)));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (open && results[active]) choose(results[active].member);
      else void resolveTyped();
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  }

  if (picked) {
    return (
      <div className="field">
        <span className="label" id={`${id}-label`}>
          {label}
        </span>
        <div className="recipient-chip" data-testid="recipient" data-handle={picked.handle} aria-labelledby={`${id}-label`} role="group">
          <Avatar member={picked} size="sm" />
          <span className="recipient-text">
            <strong data-testid="recipient-name">{picked.name}</strong> <span className="member-handle">@{picked.handle}</span>
            {picked.headline && <span className="member-headline">{picked.headline}</span>}
          </span>
          <button
            type="button"
            ref={changeRef}
            className="btn btn-secondary btn-small"
            aria-label={`${changeLabel} (${picked.name})`}
            onClick={() => {
              onPick(null);
              setTimeout(() => inputRef.current?.focus(), 0);
            }}
          >
            Change
          </button>
        </div>
      </div>
    );
  }

  const listId = `${id}-list`;
  const showList = open && text.trim() !== '' && results.length > 0;
  return (
    <div className="field combobox">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        ref={inputRef}
        value={text}
        role="combobox"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && results[active] ? `${listId}-${active}` : undefined}
        aria-describedby={`${id}-hint`}
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        placeholder="Name or handle"
        data-testid="recipient-input"
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setNotFound(null);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKeyDown}
      />
      <p className="hint" id={`${id}-hint`}>
        {hint}
      </p>
      <ul id={listId} role="listbox" aria-label="Members" className="typeahead-list" hidden={!showList} data-testid="recipient-options">
        {results.map((r, i) => (
          <TypeaheadOption
            key={r.member.id}
            result={r}
            id={`${listId}-${i}`}
            active={i === active}
            onPick={() => choose(r.member)}
            sub={
              <span className="typeahead-sub">
                @{r.member.handle}
                {r.member.headline ? ` · ${r.member.headline}` : ''}
              </span>
            }
          />
        ))}
      </ul>
      {notFound && (
        <div className="notice notice-info" role="status" data-testid="did-you-mean">
          {results.length > 0 ? (
            <>
              <p>No member has the handle “{notFound}”. Did you mean:</p>
              <ul className="did-you-mean">
                {results.slice(0, 3).map((r) => (
                  <li key={r.member.id}>
                    <button type="button" className="btn btn-link" onClick={() => choose(r.member)}>
                      {r.member.name} (@{r.member.handle})
                    </button>
                  </li>
                ))}
              </ul>
            </>
          ) : search.loading ? (
            <p>No member has the handle “{notFound}”. Looking for similar names…</p>
          ) : (
            <p>No member matches “{notFound}”. Check the spelling, or type part of their name.</p>
          )}
        </div>
      )}
    </div>
  );
}
