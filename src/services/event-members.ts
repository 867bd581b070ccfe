/**
 * The members an event names, read from its member ids and its payload (a payload from the bus:
 * nested objects, ids as numbers or numeric strings). The stream delivers and filters by them
 * (src/realtime); the read model forgets what they cached (src/services/cache.ts).
 */
import type { BusEvent } from './context.js';

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

/** Every member an event is about (its members and the actors its payload names). */
export function concerned(ev: Pick<BusEvent, 'memberIds' | 'payload'>): number[] {
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
