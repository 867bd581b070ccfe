/** The one error type services throw; src/http maps it to API.md's error shape. */
import type { ErrorCode } from '../contract/codes.js';

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

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError(400, 'invalid_request', message, { details });
export const notFound = (message = 'not found') => new AppError(404, 'not_found', message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError(409, 'conflict', message, { details });
export const unauthenticated = (message = 'authentication required') => new AppError(401, 'unauthenticated', message);
export const forbidden = (code: ErrorCode, message: string, unlock: UnlockLike[] = []) =>
  new AppError(403, code, message, { unlock });
