/**
 * Limits on uploads (issue 15, finding 10): at most `uploadsPerHour` uploads in any hour, and a
 * member's files together within `attachmentQuotaBytes`. Files never attached to a message go a
 * day after they were made (UNATTACHED_TTL_MS), which is when quota space comes back by itself.
 */
import type { Policy } from './policy.js';
import { deny, type Decision } from './types.js';
import { waitUntil } from './limits.js';
import { addMs, DAY_MS, HOUR_MS } from './time.js';

/** Uploads never attached to a message are removed this long after they were made. */
export const UNATTACHED_TTL_MS = DAY_MS;

export interface UploadFacts {
  /** the member's uploads in the last hour, and when the oldest of them was made */
  recentUploads: number;
  oldestRecentAt: Date | null;
  /** bytes the member's files take now, and the size of this one */
  usedBytes: number;
  size: number;
  /** when the oldest upload not attached to any message was made */
  oldestUnattachedAt: Date | null;
}

/**
 * May the member upload this file now? `rate` is the hourly limit, a decision (`rate_limited`,
 * with the wait until the oldest upload of the hour leaves it); `quota` is the storage quota, with
 * the moment space may come back (the oldest unattached upload expiring) or null when only an
 * operator can give it back.
 */
export function decideUpload(
  f: UploadFacts,
  now: Date,
  policy: Pick<Policy, 'uploadsPerHour' | 'attachmentQuotaBytes'>,
): { ok: true } | { ok: false; limit: 'rate'; decision: Decision } | { ok: false; limit: 'quota'; freesAt: Date } {
  if (f.recentUploads >= policy.uploadsPerHour)
    return { ok: false, limit: 'rate', decision: deny('rate_limited', [waitUntil(addMs(f.oldestRecentAt ?? now, HOUR_MS))]) };
  if (f.usedBytes + f.size > policy.attachmentQuotaBytes)
    return { ok: false, limit: 'quota', freesAt: f.oldestUnattachedAt ? addMs(f.oldestUnattachedAt, UNATTACHED_TTL_MS) : addMs(now, UNATTACHED_TTL_MS) };
  return { ok: true };
}
