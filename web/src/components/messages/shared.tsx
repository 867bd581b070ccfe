/** What the messaging screens share: who is "me" (or the page acted as), titles, message text. */
import { Fragment } from 'react';
import type { Conversation, Member } from '../../api';

export function isMe(m: { id?: string; handle?: string }, me: Member | undefined, as: string | null | undefined): boolean {
  if (as) return !!m.handle && m.handle.toLowerCase() === as.toLowerCase();
  if (!me) return false;
  return (m.id != null && m.id === me.id) || (m.handle != null && m.handle.toLowerCase() === me.handle.toLowerCase());
}

export function others(c: Conversation, me: Member | undefined, as: string | null | undefined): Member[] {
  const o = c.participants.filter((p) => !isMe(p, me, as));
  return o.length > 0 ? o : c.participants;
}

export function titleOf(c: Conversation, me: Member | undefined, as: string | null | undefined): string {
  return others(c, me, as)
    .map((p) => p.name)
    .join(', ');
}

export function asQuery(as: string | null | undefined): Record<string, string | undefined> {
  return as ? { as } : {};
}

/** A request the viewer received, in Requests or set aside in Filtered (DOMAIN.md 9). */
export function isReceivedRequest(c: Conversation | null | undefined): boolean {
  return !!c && c.state === 'request' && c.folder !== 'inbox';
}

/** The name of a page the caller administers, from its handle (the header and titles show names, not handles). */
export function pageName(pages: Member[], as: string | null | undefined): string {
  if (!as) return '';
  return pages.find((p) => p.handle.toLowerCase() === as.toLowerCase())?.name ?? as;
}

const URL_RE = /(https?:\/\/[^\s<>"']+)/g;

/** Message text as text; http(s) links become anchors. Never HTML. */
export function MessageText({ text }: { text: string }) {
  const parts = text.split(URL_RE);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} target="_blank" rel="noopener noreferrer nofollow ugc">
            {part}
          </a>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </>
  );
}

/** Numeric ids as strings (up to 18 digits): `a` ≥ `b` without losing precision. */
export function idAtLeast(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a >= b;
}
