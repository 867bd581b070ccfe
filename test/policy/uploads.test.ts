/** The upload limits (src/policy/uploads.ts): the hourly rate, then the storage quota. */
import { describe, expect, it } from 'vitest';
import { decideUpload, UNATTACHED_TTL_MS } from '../../src/policy/index.js';

const NOW = new Date('2026-05-04T10:00:00Z');
const policy = { uploadsPerHour: 3, attachmentQuotaBytes: 1000 };
const base = { recentUploads: 0, oldestRecentAt: null, usedBytes: 0, size: 10, oldestUnattachedAt: null };
const at = (ms: number) => new Date(NOW.getTime() + ms);

describe('decideUpload', () => {
  it('within both limits: ok', () => {
    expect(decideUpload({ ...base, recentUploads: 2, usedBytes: 990 }, NOW, policy)).toEqual({ ok: true });
  });
  it('the hourly rate: rate_limited until the oldest upload of the hour leaves it', () => {
    const v = decideUpload({ ...base, recentUploads: 3, oldestRecentAt: at(-40 * 60_000) }, NOW, policy);
    expect(v).toEqual({
      ok: false,
      limit: 'rate',
      decision: { allowed: false, reason: 'rate_limited', unlock: [{ kind: 'wait', until: at(20 * 60_000).toISOString() }] },
    });
  });
  it('the quota: space comes back when the oldest unattached upload expires, or after a day', () => {
    expect(decideUpload({ ...base, usedBytes: 995, oldestUnattachedAt: at(-3_600_000) }, NOW, policy)).toEqual({
      ok: false,
      limit: 'quota',
      freesAt: at(UNATTACHED_TTL_MS - 3_600_000),
    });
    expect(decideUpload({ ...base, usedBytes: 995 }, NOW, policy)).toEqual({ ok: false, limit: 'quota', freesAt: at(UNATTACHED_TTL_MS) });
  });
  it('the rate is checked first', () => {
    const v = decideUpload({ ...base, recentUploads: 9, usedBytes: 5000 }, NOW, policy);
    expect(v.ok === false && v.limit).toBe('rate');
  });
});
