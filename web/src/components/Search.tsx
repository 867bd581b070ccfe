/**
 * Search: the box in the header on every screen (type-ahead on names and headlines, people you know
 * first), and the results page with the degree filter and pages of results. An empty query is never
 * sent.
 */
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, type SearchResult } from '../api';
import { useMemberSearch } from '../hooks/useMemberSearch';
import { useAsync } from '../hooks/useAsync';
import { link, navigate } from '../router';
import { plural } from '../text';
import { DegreeBadge, Empty, TypeaheadOption, ErrorNotice, Loading, MemberSummary, ScreenHeading, useFieldId } from './common';

export function HeaderSearch({ initial = '' }: { initial?: string }) {
  const id = useFieldId('header-search');
  const [text, setText] = useState(initial);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const { results, query } = useMemberSearch(text, { limit: 6 });
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => setActive(-1), [results]);
  useEffect(() => setText(initial), [initial]);
  const listId = `${id}-list`;
  const showList = open && query !== '' && results.length > 0;

  const goTo = (r: SearchResult) => {
    setOpen(false);
    setText('');
    inputRef.current?.blur();
    navigate(link(['profile', r.member.handle]));
  };

  function submit(e: FormEvent) {
    e.preventDefault();
    if (showList && active >= 0 && results[active]) return goTo(results[active]);
    const q = text.trim();
    if (!q) {
      // nothing to search for: say so where the eye is, send nothing
      inputRef.current?.focus();
      return;
    }
    setOpen(false);
    navigate(link(['search'], { q }));
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, results.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, -1));
    } else if (e.key === 'Escape') {
      setOpen(false);
      setActive(-1);
    }
  }

  return (
    <form role="search" aria-label="Search people" className="header-search" onSubmit={submit} data-testid="header-search">
      <label htmlFor={id} className="visually-hidden">
        Search people
      </label>
      <input
        id={id}
        ref={inputRef}
        type="search"
        value={text}
        placeholder="Search people"
        role="combobox"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && active >= 0 ? `${listId}-${active}` : undefined}
        autoComplete="off"
        spellCheck={false}
        enterKeyHint="search"
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="header-search-button" aria-label="Search" disabled={text.trim() === ''}>
        <svg width="18" height="18" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
          <circle cx="8.5" cy="8.5" r="6" fill="none" stroke="currentColor" strokeWidth="2" />
          <path d="M13 13l5 5" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
      </button>
      <ul id={listId} role="listbox" aria-label="People" className="typeahead-list" hidden={!showList} data-testid="typeahead">
        {results.map((r, i) => (
          <TypeaheadOption
            key={r.member.id}
            result={r}
            id={`${listId}-${i}`}
            active={i === active}
            onPick={() => goTo(r)}
            sub={r.member.headline && <span className="typeahead-sub">{r.member.headline}</span>}
          />
        ))}
        {query && (
          <li
            role="option"
            aria-selected={false}
            className="typeahead-option typeahead-all"
            id={`${listId}-all`}
            onMouseDown={(e) => {
              e.preventDefault();
              setOpen(false);
              navigate(link(['search'], { q: query }));
            }}
          >
            See all results for “{query}”
          </li>
        )}
      </ul>
    </form>
  );
}

const PAGE_SIZE = 20;
const DEGREES = [1, 2, 3] as const;

/** The results page: #/search?q=&degree=1,2&page= */
export function SearchScreen({ q, degrees }: { q: string; degrees: number[] }) {
  const id = useFieldId('search');
  const [text, setText] = useState(q);
  // cursors of the pages seen so far: pages[0] is the first page (no cursor)
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [pageIndex, setPageIndex] = useState(0);
  const degreeKey = degrees.join(',');
  useEffect(() => {
    setCursors([null]);
    setPageIndex(0);
    setText(q);
  }, [q, degreeKey]);
  const cursor = cursors[pageIndex] ?? null;
  const [state, reload] = useAsync(async (signal) => (q ? api.search(q, degrees, cursor, PAGE_SIZE, signal) : null), [q, degreeKey, cursor]);

  const setDegrees = (next: number[]) => navigate(link(['search'], { q, degree: next.length ? [...next].sort().join(',') : undefined }), true);
  const toggle = (d: number) => setDegrees(degrees.includes(d) ? degrees.filter((x) => x !== d) : [...degrees, d]);
  const next = state.status === 'ok' && state.data ? state.data.nextCursor : null;

  return (
    <div className="search-screen">
      <ScreenHeading>{q ? `People matching “${q}”` : 'Search people'}</ScreenHeading>
      <form
        role="search"
        aria-label="Search people"
        className="search-form"
        onSubmit={(e) => {
          e.preventDefault();
          const t = text.trim();
          if (t) navigate(link(['search'], { q: t, degree: degreeKey || undefined }));
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-q`}>Name, handle or headline</label>
          <input id={`${id}-q`} type="search" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />
        </div>
        <button type="submit" className="btn btn-primary" disabled={text.trim() === ''}>
          Search
        </button>
      </form>
      <fieldset className="degree-filter" data-testid="degree-filter">
        <legend>Degree</legend>
        {DEGREES.map((d) => (
          <label key={d} className="checkbox">
            <input type="checkbox" checked={degrees.includes(d)} onChange={() => toggle(d)} data-testid={`degree-${d}`} />
            {d === 1 ? '1st' : d === 2 ? '2nd' : '3rd'}
          </label>
        ))}
      </fieldset>
      {!q && <p className="muted">Type a name, a handle or words of a headline.</p>}
      {state.status === 'loading' && q && <Loading label="Searching…" />}
      {state.status === 'error' && <ErrorNotice error={state.error} onRetry={reload} />}
      <div aria-live="polite">
        {state.status === 'ok' && state.data && state.data.items.length === 0 && (
          <Empty>{pageIndex === 0 ? `No one matches “${q}”${degrees.length ? ' in these degrees' : ''}.` : 'No more results.'}</Empty>
        )}
        {state.status === 'ok' && state.data && state.data.items.length > 0 && (
          <>
            <p className="muted small" data-testid="search-page">
              Page {pageIndex + 1} · {plural(state.data.items.length, 'person', 'people')}
            </p>
            <ul className="list" data-testid="search-results">
              {state.data.items.map((r) => (
                <li key={r.member.id} className="list-item" data-testid="search-result" data-handle={r.member.handle}>
                  <MemberSummary
                    member={r.member}
                    extra={
                      <>
                        {' '}
                        <DegreeBadge degree={r.degree} />
                      </>
                    }
                  />
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      {(pageIndex > 0 || next) && (
        <nav className="pagination" aria-label="Result pages">
          <button type="button" className="btn btn-secondary" disabled={pageIndex === 0} onClick={() => setPageIndex((i) => Math.max(0, i - 1))}>
            Previous
          </button>
          <button
            type="button"
            className="btn btn-secondary"
            disabled={!next}
            data-testid="search-next"
            onClick={() => {
              if (!next) return;
              setCursors((cs) => [...cs.slice(0, pageIndex + 1), next]);
              setPageIndex((i) => i + 1);
            }}
          >
            Next
          </button>
        </nav>
      )}
    </div>
  );
}
