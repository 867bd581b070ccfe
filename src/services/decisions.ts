/** A refused decision stops the verb: the Refusal carries it to src/http, which answers for it (src/http/refusals.ts). */
import type { Decision } from '../policy/types.js';
import { Refusal } from './errors.js';

/** The error for a refused decision (status, message, unlock and Retry-After are src/http's business). */
export function refusal(d: Decision, now: Date, details?: Record<string, unknown>): Refusal {
  return new Refusal(d, now, details);
}

/** Throws the refusal when the decision is a denial. */
export function enforce(d: Decision, now: Date): void {
  if (!d.allowed) throw refusal(d, now);
}
