/** Every error leaves in API.md's shape: { error: { code, message, unlock?, details? } }. Never a 500 for client input. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../services/errors.js';

interface Body {
  error: { code: string; message: string; unlock?: unknown[]; details?: Record<string, unknown> };
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

function fieldOf(err: FastifyError): string | undefined {
  const v = err.validation?.[0];
  if (!v) return undefined;
  const base = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const params = v.params as Record<string, unknown> | undefined;
  const extra = (params?.missingProperty ?? params?.additionalProperty) as string | undefined;
  const path = [base, extra].filter(Boolean).join('.');
  return path || undefined;
}

export function errorReply(e: unknown, req: FastifyRequest, reply: FastifyReply) {
  let status = 500;
  const body: Body = { error: { code: 'internal', message: 'internal error' } };
  if (e instanceof AppError) {
    status = e.status;
    body.error = { code: e.code, message: e.message };
    if (e.extra.unlock || status === 403 || status === 429) body.error.unlock = e.extra.unlock ?? [];
    if (e.extra.details) body.error.details = e.extra.details;
    if (e.extra.retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(e.extra.retryAfter))));
  } else {
    const err = e as FastifyError;
    if (err.validation) {
      status = 400;
      const field = fieldOf(err);
      const where = err.validationContext ?? 'body';
      body.error = {
        code: 'invalid_request',
        message: `${field ? `${field}: ` : ''}${err.validation[0]?.message ?? 'invalid'} (${where})`,
        details: { field: field ?? where, in: where, issue: err.validation[0]?.keyword },
      };
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      body.error = { code: CODE_BY_STATUS[status] ?? 'invalid_request', message: err.message || 'bad request' };
      if (status === 413) body.error.code = 'payload_too_large';
      if (status === 429) body.error.unlock = [];
    }
  }
  if (status >= 500) req.log.error({ err: e }, 'unhandled error');
  reply.code(status).type('application/json; charset=utf-8').send(body);
}
