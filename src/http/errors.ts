/** Every error leaves in API.md's shape: { error: { code, message, unlock?, details? } }. Never a 500 for client input. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, Refusal } from '../services/errors.js';
import { refusalAnswer } from './refusals.js';
import { isDiskFull, storageUnavailableReason } from '../store/faults.js';
import type { Metrics } from '../util/metrics.js';

/** Seconds a client is told to wait (Retry-After) when storage is unreachable or busy. */
export const STORAGE_RETRY_AFTER_S = 2;

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
  503: 'service_unavailable',
  507: 'insufficient_storage',
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

function metricsOf(req: FastifyRequest): Metrics | undefined {
  return (req.server as unknown as { metrics?: Metrics }).metrics;
}

export function errorReply(e: unknown, req: FastifyRequest, reply: FastifyReply) {
  let status = 500;
  const body: Body = { error: { code: 'internal', message: 'internal error' } };
  if (e instanceof Refusal) {
    const a = refusalAnswer(e);
    status = a.status;
    body.error = a.error;
    if (a.retryAfter !== undefined) reply.header('retry-after', String(a.retryAfter));
  } else if (e instanceof AppError) {
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
    } else {
      // Storage unreachable or saturated (PostgreSQL stopped or restarting, connections gone, the
      // pool busy past its wait, a statement past its timeout): 503 with Retry-After, never a 500.
      // The same request may be retried (with its Idempotency-Key): it either did not commit, or
      // the key replays what did. The attachment disk full: 507.
      const reason = storageUnavailableReason(e);
      if (reason) {
        status = 503;
        body.error = { code: 'service_unavailable', message: 'storage is unreachable or busy: retry shortly', details: { retryAfter: STORAGE_RETRY_AFTER_S } };
        reply.header('retry-after', String(STORAGE_RETRY_AFTER_S));
        metricsOf(req)?.storageUnavailable.inc({ reason });
        req.log.warn({ reason, error: (e as Error)?.message }, 'storage unavailable: answered 503');
      } else if (isDiskFull(e)) {
        status = 507;
        body.error = { code: 'insufficient_storage', message: 'the file cannot be stored: the attachment storage is full' };
        metricsOf(req)?.diskFull.inc();
        req.log.warn({ error: (e as Error)?.message }, 'attachment storage full: answered 507');
      } else if (err.statusCode === 503) {
        status = 503;
        body.error = { code: 'service_unavailable', message: err.message || 'service unavailable: retry shortly' };
        reply.header('retry-after', '1');
      }
    }
  }
  if (status === 500) req.log.error({ err: e }, 'unhandled error');
  reply.code(status).type('application/json; charset=utf-8').send(body);
}
