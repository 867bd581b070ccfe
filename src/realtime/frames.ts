/**
 * The stream's frames and the pure helpers around them: what a client sees of an event (ids as
 * strings), the members an event concerns, `?since=` and socket message text.
 */
import type { RawData } from 'ws';
import type { BusEvent } from '../services/context.js';
import type { events } from '../store/schema.js';
export { at, concerned, num } from '../services/event-members.js';

/** Converts numeric id-like fields (`by`, `…Id`) to strings: ids are strings on the API. */
export function clientData(payload: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(payload)) {
    if (typeof v === 'number' && (k === 'by' || k.endsWith('Id'))) {
      out ??= { ...payload };
      out[k] = String(v);
    }
  }
  return out ?? payload;
}

/** A socket message's text (ws hands a Buffer by default; fragments or an ArrayBuffer otherwise). */
export function messageText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
}

/** Parses `?since=`: a durable id, or a typing id whose cursor part is one. */
export function parseSince(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = /^([0-9]{1,15})(?::t[0-9]{1,15})?$/.exec(raw);
  return m ? Number(m[1]) : undefined;
}

/** The frame a client receives for a durable event. */
export function frameOf(ev: BusEvent): string {
  return JSON.stringify({ id: String(ev.id), type: ev.type, data: clientData(ev.payload) });
}

/** An outbox row as the event the bus and the sockets carry (the one mapper: catch-up and replay). */
export function rowToEvent(r: typeof events.$inferSelect): BusEvent {
  return { id: r.id, type: r.type, memberIds: r.memberIds, payload: r.payload as Record<string, unknown>, createdAt: r.createdAt.toISOString() };
}
