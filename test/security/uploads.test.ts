/**
 * Issue 15, finding 10: attachments. A per-member storage quota (policy attachmentQuotaBytes) and
 * an upload rate (policy uploadsPerHour), 429 with Retry-After; uploads never attached to a message
 * are removed a day after they were made (rows and files), opportunistically on upload and on the
 * server's timer. And (issue 14) POST /v1/attachments honours Idempotency-Key: the same key and file
 * replay the first answer and store nothing new.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentsDir } from '../../src/services/attachments.js';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { connect } from '../helpers/messaging.js';

let h: Harness;
const QUOTA = 200;
const RATE = 5;
const HOUR = 3_600_000;

function upload(h: Harness, token: string, content: string, filename = 'note.txt', headers: Record<string, string> = {}) {
  const boundary = 'uploadboundary';
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`;
  return h.call('POST', '/v1/attachments', {
    token,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...headers },
    rawBody: Buffer.from(body, 'utf8'),
  });
}

async function rows<T = Record<string, unknown>>(q: ReturnType<typeof sql>): Promise<T[]> {
  return ((await h.inst.store.db.execute(q)) as unknown as { rows: T[] }).rows;
}

const uploadsOf = async (memberId: string) =>
  Number((await rows<{ n: number }>(sql`select count(*)::int as n from attachments where uploader_id = ${Number(memberId)}`))[0]!.n);

beforeAll(async () => {
  h = await harness({ policy: { attachmentQuotaBytes: QUOTA, uploadsPerHour: RATE } });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('upload limits', () => {
  it(`at most uploadsPerHour (${RATE}) uploads an hour: then 429 rate_limited with Retry-After; an hour later again`, async () => {
    const a = await signUp(h);
    for (let i = 0; i < RATE; i++) expect((await upload(h, a.token, `small ${i}`)).status).toBe(201);
    h.clock.advance(10 * 60_000);
    const over = await upload(h, a.token, 'one too many');
    expect(over.status).toBe(429);
    // the unlock says when (the oldest upload of the hour leaves it), as Retry-After does
    expect(over.body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.any(String),
        unlock: [{ kind: 'wait', until: new Date(h.clock.now().getTime() + 50 * 60_000).toISOString() }],
      },
    });
    expect(Number(over.headers['retry-after'])).toBe(50 * 60);
    expect(await uploadsOf(a.member.id)).toBe(RATE);
    // another member is not affected
    const b = await signUp(h);
    expect((await upload(h, b.token, 'mine')).status).toBe(201);
    h.clock.advance(50 * 60_000 + 1000);
    expect((await upload(h, a.token, 'later')).status).toBe(201);
  });

  it(`the bytes a member keeps are capped by attachmentQuotaBytes (${QUOTA}): 429 storage_quota, nothing stored`, async () => {
    const a = await signUp(h);
    expect((await upload(h, a.token, 'x'.repeat(120))).status).toBe(201);
    const over = await upload(h, a.token, 'y'.repeat(100));
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({ code: 'storage_quota', unlock: [], details: { field: 'file', usedBytes: 120, quotaBytes: QUOTA } });
    // space comes back when the unattached upload expires: a day after it was made
    expect(Number(over.headers['retry-after'])).toBe(24 * 3600);
    expect(await uploadsOf(a.member.id)).toBe(1);
    expect((await upload(h, a.token, 'z'.repeat(80))).status).toBe(201);
  });

  it('parallel uploads cannot pass the quota together', async () => {
    const a = await signUp(h);
    const answers = await Promise.all([0, 1, 2, 3].map((i) => upload(h, a.token, String(i).repeat(90))));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(2);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(2);
    const [used] = await rows<{ n: number }>(sql`select coalesce(sum(size), 0)::int as n from attachments where uploader_id = ${Number(a.member.id)}`);
    expect(Number(used!.n)).toBeLessThanOrEqual(QUOTA);
  });
});

describe('unattached uploads are removed after a day', () => {
  it('rows and files of uploads never attached go (on the next upload); attached ones and shared files stay', async () => {
    const hp = await harness({ policy: { attachmentQuotaBytes: 10_000, uploadsPerHour: 100 } });
    try {
      const a = await signUp(hp);
      const b = await signUp(hp);
      await connect(hp, a, b);
      const dir = attachmentsDir(hp.config.dataDir);
      const lonely = await upload(hp, a.token, 'never attached');
      const kept = await upload(hp, a.token, 'sent with a message');
      const shared = await upload(hp, a.token, 'same bytes twice');
      const twin = await upload(hp, b.token, 'same bytes twice');
      expect([lonely, kept, shared, twin].map((r) => r.status)).toEqual([201, 201, 201, 201]);
      const m = await hp.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'see attached', attachments: [kept.body.id] } });
      expect(m.status).toBe(201);
      const sha = async (id: string) =>
        ((await hp.inst.store.db.execute(sql`select sha256 from attachments where id = ${id}`)) as unknown as { rows: { sha256: string }[] }).rows[0]?.sha256;
      const lonelySha = (await sha(lonely.body.id))!;
      const sharedSha = (await sha(shared.body.id))!;
      expect(existsSync(join(dir, lonelySha))).toBe(true);

      hp.clock.advance(23 * HOUR);
      // the twin is re-uploaded later: its row is younger than a day
      await hp.inst.housekeeper.runOnce();
      expect((await hp.call('GET', `/v1/attachments/${lonely.body.id}`, { token: a.token })).status).toBe(200);

      hp.clock.advance(2 * HOUR);
      const trigger = await upload(hp, b.token, 'a fresh one');
      expect(trigger.status).toBe(201);
      await hp.inst.housekeeper.idle();
      expect(await sha(lonely.body.id)).toBeUndefined();
      expect(existsSync(join(dir, lonelySha))).toBe(false);
      expect((await hp.call('GET', `/v1/attachments/${lonely.body.id}`, { token: a.token })).status).toBe(404);
      // attached: stays, for both sides
      expect((await hp.call('GET', `/v1/attachments/${kept.body.id}`, { token: b.token })).status).toBe(200);
      // both copies of the shared bytes were unattached and a day old: both rows and the file go
      expect(await sha(shared.body.id)).toBeUndefined();
      expect(await sha(twin.body.id)).toBeUndefined();
      expect(existsSync(join(dir, sharedSha))).toBe(false);
      expect((await hp.call('GET', `/v1/attachments/${trigger.body.id}`, { token: b.token })).status).toBe(200);
    } finally {
      await hp.close();
    }
  }, 120_000);

  it('a file still named by a younger row stays when an older row with the same bytes goes', async () => {
    const hp = await harness();
    try {
      const a = await signUp(hp);
      const dir = attachmentsDir(hp.config.dataDir);
      const old = await upload(hp, a.token, 'shared content');
      hp.clock.advance(20 * HOUR);
      const young = await upload(hp, a.token, 'shared content');
      hp.clock.advance(5 * HOUR);
      const report = await hp.inst.housekeeper.runOnce();
      expect(report.attachments).toBe(1);
      expect(report.files).toBe(0);
      expect((await hp.call('GET', `/v1/attachments/${old.body.id}`, { token: a.token })).status).toBe(404);
      const got = await hp.call('GET', `/v1/attachments/${young.body.id}`, { token: a.token });
      expect(got.status).toBe(200);
      expect(got.text).toBe('shared content');
      expect(dir).toContain('liaison-attachments');
    } finally {
      await hp.close();
    }
  }, 120_000);
});

describe('Idempotency-Key on POST /v1/attachments (issue 14)', () => {
  it('the same key and file replay the first answer and store nothing new; another file with that key is 409', async () => {
    const a = await signUp(h);
    const key = { 'idempotency-key': 'upload-1' };
    const first = await upload(h, a.token, 'idempotent bytes', 'doc.txt', key);
    expect(first.status).toBe(201);
    const again = await upload(h, a.token, 'idempotent bytes', 'doc.txt', key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await uploadsOf(a.member.id)).toBe(1);
    const other = await upload(h, a.token, 'different bytes', 'doc.txt', key);
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'conflict', details: { field: 'Idempotency-Key' } });
    const renamed = await upload(h, a.token, 'idempotent bytes', 'renamed.txt', key);
    expect(renamed.status).toBe(409);
    // a new key is a new upload (same bytes: a new id)
    const fresh = await upload(h, a.token, 'idempotent bytes', 'doc.txt', { 'idempotency-key': 'upload-2' });
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(first.body.id);
    expect(await uploadsOf(a.member.id)).toBe(2);
    // keys are per member
    const b = await signUp(h);
    const theirs = await upload(h, b.token, 'idempotent bytes', 'doc.txt', key);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(first.body.id);
  });
});
