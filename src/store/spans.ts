/**
 * Spans of message ids, as PostgreSQL's int8multirange holds them (`conversation_members.deleted_spans`):
 * `[from, to)`, `from` null for "from the first message". Parsed from and written to the range's
 * text form ('{[3,7),[12,15)}'); a span's test is done in SQL where rows are read (`<@`) and here
 * where an event is judged.
 */
import type { SQL, SQLWrapper } from 'drizzle-orm';
import { sql } from './sql.js';

export type Span = readonly [from: number | null, to: number];

const SPAN = /([[(])(-?\d*),(-?\d*)([\])])/g;

/** The text form of a multirange ('{}' for none). */
export function formatSpans(spans: readonly Span[]): string {
  return `{${spans.map(([from, to]) => `[${from ?? ''},${to})`).join(',')}}`;
}

/** The spans of a multirange's text form (canonical int8 spans: `[a,b)` or `(,b)`). */
export function parseSpans(text: string | null | undefined): Span[] {
  if (!text) return [];
  const out: Span[] = [];
  for (const [, open, a, b, close] of text.matchAll(SPAN)) {
    const from = a === '' ? null : Number(a) + (open === '(' ? 1 : 0);
    const to = b === '' ? Number.MAX_SAFE_INTEGER : Number(b) + (close === ']' ? 1 : 0);
    out.push([from, to]);
  }
  return out;
}

/** Whether message `id` lies in one of `spans`. */
export function inSpans(id: number, spans: readonly Span[]): boolean {
  return spans.some(([from, to]) => (from === null || id >= from) && id < to);
}

/** SQL: `id` (a message id column) lies in none of `spans`; undefined when there are none. */
export function outsideSpans(id: SQLWrapper, spans: readonly Span[]): SQL | undefined {
  return spans.length ? sql`not (${id} <@ ${formatSpans(spans)}::int8multirange)` : undefined;
}
