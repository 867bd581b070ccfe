/** Query and body values the schemas cannot judge alone: limits, cursors, instants (HTTP glue). */
import { badRequest } from '../services/errors.js';

/** The most items a list answers (API.md: limit ≤ 100). */
export const MAX_LIMIT = 100;

/** A 400 naming a query field, in the shape the error handler maps as a schema's (API.md error shape). */
function queryError(field: string, message: string): Error {
  const e = new Error(`${field}: ${message}`) as Error & { statusCode: number; validation: unknown[]; validationContext: string };
  e.statusCode = 400;
  e.validation = [{ instancePath: `/${field}`, keyword: 'range', message, params: {} }];
  e.validationContext = 'querystring';
  return e;
}

/** Parses `limit` (1 to 100, default 20); 0 or above 100 is a 400 naming `limit`, as bad input is (found by a member probe: it was clamped). */
export function parseLimit(limit: string | undefined, dflt = 20): number {
  if (limit === undefined || limit === '') return dflt;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw queryError('limit', `from 1 to ${MAX_LIMIT}`);
  return n;
}

/** The largest value of a PostgreSQL `integer` (member ids, offsets): a cursor above it cannot name a row. */
export const INT4_MAX = 2_147_483_647;

/**
 * Parses a numeric keyset cursor no larger than `max` (what the column it is compared with holds:
 * an `integer` by default, `Number.MAX_SAFE_INTEGER` for `bigint` ids); anything else is a 400
 * naming `cursor`, never the storage error an out-of-range value would cause.
 */
export function parseCursor(cursor: string | undefined, max: number = INT4_MAX): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(cursor) || Number(cursor) > max) throw queryError('cursor', 'not a cursor this list gave');
  return Number(cursor);
}

export function page(q: { cursor?: string; limit?: string }, max: number = INT4_MAX) {
  return { cursor: parseCursor(q.cursor, max), limit: parseLimit(q.limit) };
}

/** The instants PostgreSQL's timestamptz and JavaScript's Date both hold, and ISO 8601 writes plainly: years 1 to 9999. */
export const MIN_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** A date-time from a request as a Date; 400 naming `field` when it is not a real instant of years 1 to 9999. */
export function parseInstant(value: string, field: string): Date {
  const t = Date.parse(value);
  if (!Number.isFinite(t) || t < MIN_INSTANT || t > MAX_INSTANT) throw badRequest(`${field}: not a date-time between years 1 and 9999`, { field });
  return new Date(t);
}
