/**
 * The errors services throw; src/http maps them once to API.md's error shape: a Refusal is the
 * policy saying no (its decision travels as it was taken), an AppError is anything else (not
 * found, conflict, bad input).
 */
import type { ErrorCode } from '../contract/codes.js';
import type { Decision } from '../policy/index.js';

export type { ErrorCode };
export interface UnlockLike {
  kind: string;
  [k: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: { unlock?: UnlockLike[]; details?: Record<string, unknown>; retryAfter?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) => new AppError(400, 'invalid_request', message, { details });
export const notFound = (message = 'not found') => new AppError(404, 'not_found', message);
export const conflict = (message: string, details?: Record<string, unknown>) => new AppError(409, 'conflict', message, { details });
export const unauthenticated = (message = 'authentication required') => new AppError(401, 'unauthenticated', message);
export const forbidden = (code: ErrorCode, message: string, unlock: UnlockLike[] = []) => new AppError(403, code, message, { unlock });

/**
 * A verb the policy refused: the decision with its reason and unlock, and the moment it was taken
 * (a `wait` unlock becomes Retry-After from then). `message` overrides the reason's sentence;
 * `details` names the field at fault when there is one.
 */
export class Refusal extends Error {
  constructor(
    readonly decision: Decision,
    readonly at: Date,
    readonly details?: Record<string, unknown>,
    message = '',
    /** a throttle outside the policy (sign-in, sign-up) names its own wait, with no unlock */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}
