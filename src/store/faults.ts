/**
 * Which storage errors mean "storage is unreachable or overloaded right now, retry shortly" (503
 * service_unavailable with Retry-After, API.md) rather than a bug (500), and which mean the disk for
 * attachments is full (507 insufficient_storage). Errors come from node-postgres, pg-pool, PGlite
 * or the file system, possibly wrapped by Drizzle (in `cause`).
 */

/** SQLSTATE codes and classes after which the same request may well succeed a moment later. */
const UNAVAILABLE_SQLSTATE = new Set([
  '57P01', // admin_shutdown: pg_ctl stop -m fast, pg_terminate_backend
  '57P02', // crash_shutdown: another backend crashed, or -m immediate
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '57P05', // idle_session_timeout
  '57014', // query_canceled: statement_timeout (a slow query, a lock held too long)
  '55P03', // lock_not_available: lock_timeout
  '25P03', // idle_in_transaction_session_timeout
  '40001', // serialization_failure, still failing after the unit of work's retries
  '40P01', // deadlock_detected, likewise
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
]);
const UNAVAILABLE_CLASSES = [
  '08' /* connection exception */,
  '53' /* insufficient resources (server disk full, out of memory) */,
  '58' /* system error (I/O) */,
];

/** Node socket errors: the server is not there or went away. */
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
]);

/** Messages of node-postgres, pg-pool and PGlite for a connection that is gone, never came, or a pool that had none to give. */
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i, // "unexpectedly", "due to connection timeout"
  /timeout exceeded when trying to connect/i, // pg-pool connectionTimeoutMillis: every connection busy
  /not queryable/i, // a client that lost its connection
  /Query read timeout/i,
  /Cannot use a pool after calling end/i, // shutting down
  /PGlite is closed/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

const DISK_FULL_ERRNO = new Set(['ENOSPC', 'EDQUOT']);

function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur && typeof cur === 'object'; i++) {
    out.push(cur);
    const next = (cur as { cause?: unknown }).cause;
    // AggregateError (a connect that tried several addresses) carries its causes in `errors`
    const many = (cur as { errors?: unknown[] }).errors;
    if (!next && Array.isArray(many) && many.length) cur = many[0];
    else cur = next;
  }
  return out;
}

/** Why an error means storage is unavailable (a short reason for logs and metrics), or undefined when it does not. */
export function storageUnavailableReason(e: unknown): string | undefined {
  for (const x of chain(e)) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (/^[0-9A-Z]{5}$/.test(code) && (UNAVAILABLE_SQLSTATE.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2)))) return code;
      if (UNAVAILABLE_ERRNO.has(code)) return code;
    }
    const message = (x as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(message))) {
      if (/timeout exceeded when trying to connect/i.test(message)) return 'pool_timeout';
      return 'connection';
    }
  }
  return undefined;
}

export function isStorageUnavailable(e: unknown): boolean {
  return storageUnavailableReason(e) !== undefined;
}

/** Whether an error is a file system out of space (or over its quota). */
export function isDiskFull(e: unknown): boolean {
  return chain(e).some((x) => DISK_FULL_ERRNO.has(String((x as { code?: unknown }).code)));
}
