/**
 * Idempotency-Key on creating POSTs. The key row, the request hash and the stored response are
 * written in the same transaction as what the request creates, so a retry finds either nothing
 * (and redoes the work) or the full first answer. On PostgreSQL a second request with the same key
 * waits on the unique index until the first commits, then replays it. Keys live 24 hours per member;
 * an anonymous caller's keys (sign-up) are scoped to its client address. Nothing secret is stored:
 * a route whose answer holds a secret passes `redact` (sign-up stores `token: null`), and expired
 * rows are purged (src/services/housekeeping.ts).
 */
import { createHash } from 'node:crypto';
import { and, eq, gte, lt } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../services/context.js';
import { AppError, badRequest, conflict, unauthenticated } from '../services/errors.js';
import { KEY_TTL_MS } from '../services/housekeeping.js';
import { transact, type Uow } from '../services/uow.js';
import { idempotency } from '../store/schema.js';
import { selectRows } from '../store/db.js';
import { sessionLive } from '../services/accounts.js';

export interface Outcome {
  status: number;
  body: unknown;
}

class Replay extends Error {
  constructor(readonly row: { requestHash: string; statusCode: number | null; response: unknown }) {
    super('replay');
  }
}

/** JSON with every object's keys in one order: the same body sent with its keys in another order is the same request (found by a member). */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

function requestHash(req: FastifyRequest, extra?: string): string {
  const h = createHash('sha256');
  if (extra !== undefined) h.update(extra + ' ');
  h.update(req.method + ' ' + (req.routeOptions.url ?? req.url) + ' ' + canonicalJson(req.params ?? {}) + ' ');
  h.update(canonicalJson(req.query ?? {}) + ' ' + canonicalJson(req.body ?? null));
  return h.digest('hex');
}

export interface WriteOptions {
  /** what is stored for replays instead of the answer (no secret may be stored) */
  redact?: (body: unknown) => unknown;
  /** more of the request to compare (a multipart upload: its file's name, digest and size) */
  bodyDigest?: string;
}

/** Runs `fn` in one transaction, honouring the request's Idempotency-Key if it has one. */
export async function runWrite(deps: Deps, req: FastifyRequest, fn: (u: Uow) => Promise<Outcome>, opts: WriteOptions = {}): Promise<Outcome> {
  const scoped = keyOf(req);
  if (!scoped) return transact(deps, fn);
  const { memberId, key } = scoped;
  const hash = requestHash(req, opts.bodyDigest);
  try {
    return await transact(deps, async (u) => {
      const cutoff = new Date(u.now.getTime() - KEY_TTL_MS);
      await u.tx.delete(idempotency).where(and(eq(idempotency.memberId, memberId), eq(idempotency.key, key), lt(idempotency.createdAt, cutoff)));
      const inserted = await u.tx
        .insert(idempotency)
        .values({ memberId, key, requestHash: hash, createdAt: u.now })
        .onConflictDoNothing()
        .returning({ key: idempotency.key });
      if (inserted.length === 0) {
        const [row] = await u.tx
          .select()
          .from(idempotency)
          .where(and(eq(idempotency.memberId, memberId), eq(idempotency.key, key)));
        // A route let in by the read model's copy of the session checks it in its write; a replay
        // writes nothing, so it checks it here (a session ended elsewhere replays nothing).
        if (req.routeOptions.config?.sessionCheckedInWrite && req.sessionId !== undefined) {
          const [live] = await selectRows<{ live: unknown }>(u.tx, sql`select ${sessionLive(memberId, req.sessionId)} as live`);
          if (live?.live !== true) throw unauthenticated();
        }
        throw new Replay(row);
      }
      const out = await fn(u);
      await u.tx
        .update(idempotency)
        .set({ statusCode: out.status, response: sql`${JSON.stringify((opts.redact ? opts.redact(out.body) : out.body) ?? null)}::jsonb` })
        .where(and(eq(idempotency.memberId, memberId), eq(idempotency.key, key)));
      return out;
    });
  } catch (e) {
    if (!(e instanceof Replay)) throw e;
    return replayOf(e.row, hash);
  }
}

/** The key row's owner and key: the member, or for an anonymous caller its client address. */
function keyOf(req: FastifyRequest): { memberId: number; key: string } | null {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return null;
  const given = Array.isArray(raw) ? raw[0] : raw;
  if (given.length < 1 || given.length > 255) throw badRequest('Idempotency-Key must be 1-255 characters', { field: 'Idempotency-Key' });
  // Anonymous callers share member 0: their keys are scoped to the client address.
  return req.member ? { memberId: req.member.id, key: given } : { memberId: 0, key: `anon ${req.ip} ${given}` };
}

function replayOf(row: { requestHash: string; statusCode: number | null; response: unknown }, hash: string): Outcome {
  if (row.requestHash !== hash) throw conflict('this Idempotency-Key was used with a different request', { field: 'Idempotency-Key' });
  if (row.statusCode === null) throw new AppError(409, 'conflict', 'a request with this Idempotency-Key is in progress');
  return { status: row.statusCode, body: row.response };
}

/**
 * The answer stored for the request's Idempotency-Key, if it has one in force: what runWrite would
 * replay. Sign-up asks when its check before the write finds the handle or e-mail taken, so a
 * replay is not refused by that check.
 */
export async function storedOutcome(deps: Deps, req: FastifyRequest, opts: WriteOptions = {}): Promise<Outcome | null> {
  const scoped = keyOf(req);
  if (!scoped) return null;
  const cutoff = new Date(deps.clock.now().getTime() - KEY_TTL_MS);
  const [row] = await deps.store.db
    .select()
    .from(idempotency)
    .where(and(eq(idempotency.memberId, scoped.memberId), eq(idempotency.key, scoped.key), gte(idempotency.createdAt, cutoff)))
    .limit(1);
  return row ? replayOf(row, requestHash(req, opts.bodyDigest)) : null;
}
