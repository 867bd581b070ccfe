import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { attachmentsDir } from '../../src/services/attachments.js';
import { connect, count, send, type User } from '../helpers/messaging.js';

const MAX = 4096;

function multipartBody(filename: string, content: Buffer, contentType = 'application/octet-stream') {
  const boundary = '----liaisontest' + Math.random().toString(16).slice(2);
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A ZIP (stored, no compression) with the given entries; CRCs are not checked by the sniffer. */
function zip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Object.keys(entries).length, 8);
  eocd.writeUInt16LE(Object.keys(entries).length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR fake png payload'), Buffer.alloc(64, 7)]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(100, 0)]);

describe(`attachments (${storageKind})`, () => {
  let h: Harness;
  let a: User;
  let b: User;
  let outsider: User;
  beforeAll(async () => {
    h = await harness({ policy: { attachmentMaxBytes: MAX } });
    a = await signUp(h);
    b = await signUp(h);
    outsider = await signUp(h);
    await connect(h, a, b);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function upload(u: User, filename: string, content: Buffer, ct?: string) {
    const { payload, contentType } = multipartBody(filename, content, ct);
    return h.call('POST', '/v1/attachments', { token: u.token, rawBody: payload, headers: { 'content-type': contentType } });
  }

  it('stores a file content-addressed and answers 201 { id, name, type, size }', async () => {
    const r = await upload(a, 'photo.png', PNG, 'image/png');
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ id: expect.any(String), name: 'photo.png', type: 'image/png', size: PNG.length });
    const sha = createHash('sha256').update(PNG).digest('hex');
    expect(existsSync(join(attachmentsDir(h.config.dataDir), sha))).toBe(true);
  });

  it('the type comes from the content, not the file name', async () => {
    const lying = await upload(a, 'invoice.pdf', ELF, 'application/pdf');
    expect(lying.status).toBe(400);
    expect(lying.body.error).toMatchObject({ code: 'unsupported_attachment_type', details: { field: 'file' } });
    const pdfAsTxt = await upload(a, 'notes.txt', PDF, 'text/plain');
    expect(pdfAsTxt.body.type).toBe('application/pdf');
    const pngAsExe = await upload(a, 'setup.exe', PNG);
    expect(pngAsExe.body).toMatchObject({ type: 'image/png', name: 'setup.exe' });
    const html = await upload(a, 'page.html', Buffer.from('<html><script>alert(1)</script></html>'), 'text/html');
    expect(html.body.type).toBe('text/plain');
    const docx = await upload(a, 'cv.bin', zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>' }));
    expect(docx.body.type).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const xlsx = await upload(a, 'sheet', zip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' }));
    expect(xlsx.body.type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const plainZip = await upload(a, 'cv.docx', zip({ 'evil.js': 'alert(1)' }));
    expect(plainZip.status).toBe(400);
    const binary = await upload(a, 'data.txt', Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe]));
    expect(binary.status).toBe(400);
    const traversal = await upload(a, '../../etc/passwd', Buffer.from('root:x:0:0'));
    expect(traversal.body.name).toBe('passwd');
  });

  it('over attachmentMaxBytes: 413 payload_too_large and nothing stored; at the limit: 201', async () => {
    const before = await count(h, 'attachments');
    const big = await upload(a, 'big.txt', Buffer.alloc(MAX + 1, 'a'));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const huge = await upload(a, 'huge.txt', Buffer.alloc(MAX * 50, 'a'));
    expect(huge.status).toBe(413);
    expect(await count(h, 'attachments')).toBe(before);
    const exact = await upload(a, 'exact.txt', Buffer.alloc(MAX, 'b'));
    expect(exact.status).toBe(201);
    expect(exact.body.size).toBe(MAX);
  });

  it('bad uploads: 400 in the error shape', async () => {
    const json = await h.call('POST', '/v1/attachments', { token: a.token, body: { file: 'x' } });
    expect(json.status).toBe(400);
    expect(json.body.error.details.field).toBe('file');
    const boundary = 'xyz';
    const noFile = await h.call('POST', '/v1/attachments', {
      token: a.token,
      rawBody: `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(noFile.status).toBe(400);
    const broken = await h.call('POST', '/v1/attachments', {
      token: a.token,
      rawBody: 'garbage',
      headers: { 'content-type': 'multipart/form-data' },
    });
    expect(broken.status).toBeGreaterThanOrEqual(400);
    expect(broken.status).toBeLessThan(500);
    expect((await h.call('POST', '/v1/attachments', { rawBody: 'x', headers: { 'content-type': 'multipart/form-data; boundary=x' } })).status).toBe(401);
  });

  it("attached to a message: the participants and the uploader may download it, as an attachment with nosniff; others can't", async () => {
    const up = await upload(a, 'résumé final.txt', Buffer.from('Hello <b>world</b>\n'));
    expect(up.status).toBe(201);
    const other = await upload(a, 'other.txt', Buffer.from('unsent'));
    const r = await send(h, a, b, 'see attached: https://example.test', { attachments: [up.body.id] });
    expect(r.status).toBe(201);
    expect(r.body.message.attachments).toEqual([up.body]);
    const msgs = await h.call('GET', `/v1/conversations/${r.body.conversation.id}/messages`, { token: b.token });
    expect(msgs.body.items[0].attachments).toEqual([up.body]);
    const dl = await h.call('GET', `/v1/attachments/${up.body.id}`, { token: b.token });
    expect(dl.status).toBe(200);
    expect(dl.text).toBe('Hello <b>world</b>\n');
    expect(dl.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    expect(String(dl.headers['content-disposition'])).toMatch(/^attachment; filename="r_sum_ final.txt"; filename\*=UTF-8''r%C3%A9sum%C3%A9%20final.txt$/);
    expect((await h.call('GET', `/v1/attachments/${up.body.id}`, { token: a.token })).status).toBe(200);
    expect((await h.call('GET', `/v1/attachments/${up.body.id}`, { token: outsider.token })).status).toBe(404);
    expect((await h.call('GET', `/v1/attachments/${other.body.id}`, { token: b.token })).status).toBe(404);
    expect((await h.call('GET', `/v1/attachments/nope`, { token: b.token })).status).toBe(404);
    // someone else's upload cannot be attached
    const steal = await send(h, b, a, 'mine now', { attachments: [other.body.id] });
    expect(steal.status).toBe(400);
    expect(steal.body.error.details.field).toBe('attachments');
    // an attachment alone (empty text) is a message
    const only = await send(h, a, b, '', { attachments: [other.body.id] });
    expect(only.status).toBe(201);
  });
});
