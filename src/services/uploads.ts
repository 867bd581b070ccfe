/**
 * Limits on uploads (issue 15, finding 10): a per-member storage quota (policy
 * attachmentQuotaBytes) and an upload rate (policy uploadsPerHour), both checked under the
 * member's row lock so parallel uploads cannot pass them together; and the removal of uploads never
 * attached to a message, a day after they were made.
 *
 * Files are content-addressed and may be shared by several rows: a file goes only when no row names
 * its digest any more. The purge and an upload of the same content serialize on an advisory lock of
 * the digest: the upload's row is written only while its file is present, the purge deletes a file
 * only while no row names it.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from '../store/sql.js';
import { decideUpload, HOUR_MS, UNATTACHED_TTL_MS, type Policy } from '../policy/index.js';
import { rowsOf, type Runner, rowDate } from '../store/db.js';
import { textArray } from '../store/bulk.js';
import type { Deps } from './context.js';
import { AppError, Refusal } from './errors.js';
import { transact } from './uow.js';

export { UNATTACHED_TTL_MS };

/**
 * 429 when the member made uploadsPerHour uploads in the last hour (rate_limited) or when `size`
 * more bytes would pass attachmentQuotaBytes (storage_quota); Retry-After says when it clears.
 * Run it under the member's row lock to make it exact.
 */
export async function checkUploadLimits(db: Runner, memberId: number, size: number, now: Date, policy: Policy): Promise<void> {
  const hourAgo = new Date(now.getTime() - HOUR_MS);
  const [r] = rowsOf(
    await db.execute(sql`
      select (select count(*)::int from attachments where uploader_id = ${memberId} and created_at > ${hourAgo}) as recent,
             (select min(created_at) from attachments where uploader_id = ${memberId} and created_at > ${hourAgo}) as oldest_recent,
             (select coalesce(sum(size), 0)::bigint from attachments where uploader_id = ${memberId}) as used
    `),
  );
  const used = Number(r?.used ?? 0);
  const oldestUnattached = await oldestUnattachedOf(db, memberId);
  const verdict = decideUpload(
    {
      recentUploads: Number(r?.recent ?? 0),
      oldestRecentAt: r?.oldest_recent ? rowDate(r.oldest_recent) : null,
      usedBytes: used,
      size,
      oldestUnattachedAt: oldestUnattached,
    },
    now,
    policy,
  );
  if (verdict.ok) return;
  if (verdict.limit === 'rate')
    throw new Refusal(verdict.decision, now, undefined, `at most ${policy.uploadsPerHour} uploads an hour: wait before uploading again`);
  throw new AppError(429, 'storage_quota', `your attachments would take more than ${policy.attachmentQuotaBytes} bytes`, {
    unlock: [],
    retryAfter: Math.max(1, (verdict.freesAt.getTime() - now.getTime()) / 1000),
    details: { field: 'file', usedBytes: used, quotaBytes: policy.attachmentQuotaBytes },
  });
}

/**
 * When the member's oldest upload not attached to any message was made (null: none). The member's
 * uploads oldest first, a page at a time, then which of them messages name (message_attachments
 * is by message: on Citus a second statement, not a join across the two).
 */
async function oldestUnattachedOf(db: Runner, memberId: number): Promise<Date | null> {
  let after: { at: Date; id: string } | null = null;
  for (;;) {
    const page: { id: string; at: Date }[] = rowsOf(
      await db.execute(sql`select id, created_at from attachments where uploader_id = ${memberId}
        ${after ? sql`and (created_at, id) > (${after.at}, ${after.id})` : sql``}
        order by created_at, id limit 100`),
    ).map((a) => ({ id: String(a.id), at: rowDate(a.created_at)! }));
    if (page.length === 0) return null;
    const attached = await attachedOf(
      db,
      page.map((a) => a.id),
    );
    const free = page.find((a) => !attached.has(a.id));
    if (free) return free.at;
    if (page.length < 100) return null;
    after = page[page.length - 1]!;
  }
}

/** Which of these uploads a message names. */
async function attachedOf(db: Runner, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const list = textArray(ids);
  const rows = rowsOf(await db.execute(sql`select distinct attachment_id from message_attachments where attachment_id = any(${list}::text[])`));
  return new Set(rows.map((r) => String(r.attachment_id)));
}

/** Serializes everything that writes or removes the file of one digest, until the end of the transaction. */
export async function lockContent(db: Runner, sha256: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${'attachment:' + sha256}, 0))`);
}

export async function fileExists(dir: string, sha256: string): Promise<boolean> {
  return stat(join(dir, sha256)).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Removes uploads never attached to a message made more than a day before `now`, and files no row names any more. */
export async function purgeUnattached(deps: Deps, dir: string, now: Date, batch = 500): Promise<{ rows: number; files: number }> {
  const cutoff = new Date(now.getTime() - UNATTACHED_TTL_MS);
  let rows = 0;
  let files = 0;
  let skipped = 0;
  for (let round = 0; round < 100; round++) {
    // the old uploads (every member's: a deliberate multi-shard read on Citus), then those no message
    // names; a message attaching one meanwhile fails the delete on its foreign key (one PostgreSQL)
    const old = rowsOf(
      await deps.store.db.execute(sql`select id from attachments where created_at < ${cutoff} order by created_at, id limit ${batch} offset ${skipped}`),
    ).map((a) => String(a.id));
    const attached = await attachedOf(deps.store.db, old);
    skipped += attached.size;
    const free = old.filter((id) => !attached.has(id));
    const gone = free.length
      ? rowsOf(await deps.store.db.execute(sql`delete from attachments where id = any(${textArray(free)}::text[]) and created_at < ${cutoff} returning sha256`))
      : [];
    rows += gone.length;
    for (const sha of new Set(gone.map((g) => String(g.sha256)))) {
      if (!/^[0-9a-f]{64}$/.test(sha)) continue;
      const removed = await transact(deps, async (u) => {
        await lockContent(u.tx, sha);
        const [still] = rowsOf(await u.tx.execute(sql`select 1 as x from attachments where sha256 = ${sha} limit 1`));
        if (still) return false;
        await rm(join(dir, sha), { force: true });
        return true;
      });
      if (removed) files++;
    }
    if (old.length < batch) break;
  }
  return { rows, files };
}
