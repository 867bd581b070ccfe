/**
 * The stream's frames and the pure helpers around them: what a client sees of an event (ids as
 * strings), the members an event concerns, `?since=` and socket message text.
 */
import type { RawData } from 'ws';
import type { BusEvent } from '../services/context.js';
import type { events } from '../store/schema.js';

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

export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[0-9]{1,15}$/.test(v)) return Number(v);
  return undefined;
}

/** The value at `path` inside nested objects (a payload from the bus), or undefined where a step is not an object. */
export function at(v: unknown, ...path: string[]): unknown {
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A socket message's text (ws hands a Buffer by default; fragments or an ArrayBuffer otherwise). */
export function messageText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
}

/** Every member an event is about (its members and the actors its payload names). */
export function concerned(ev: { memberIds: number[]; payload: Record<string, unknown> }): number[] {
  const out = new Set<number>(ev.memberIds);
  const p = ev.payload;
  const list = at(p, 'notification', 'actors');
  const actors = Array.isArray(list) ? list.map((a) => at(a, 'id')) : [];
  const ids = [
    p.by,
    p.memberId,
    at(p, 'from', 'id'),
    at(p, 'message', 'sender', 'id'),
    at(p, 'invitation', 'from', 'id'),
    at(p, 'invitation', 'to', 'id'),
    at(p, 'member', 'id'),
    at(p, 'introduction', 'from', 'id'),
    at(p, 'introduction', 'via', 'id'),
    at(p, 'introduction', 'to', 'id'),
  ];
  for (const v of [...ids, ...actors]) {
    const n = num(v);
    if (n !== undefined) out.add(n);
  }
  return [...out];
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
