/**
 * Attachments: streamed to disk under `<data dir>/attachments/`, content-addressed by SHA-256,
 * at most `attachmentMaxBytes`, and typed by their content (magic bytes) against an allow-list:
 * images (PNG, JPEG, GIF, WebP), PDF, office documents (OOXML docx/xlsx/pptx, legacy OLE
 * doc/xls/ppt) and plain UTF-8 text. The file name a client gives is kept only as a display name.
 */
import { inSpans, parseSpans } from '../store/spans.js';
import { attachmentTooLarge, type Policy } from '../policy/index.js';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { and, eq, inArray } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { selectRows, type Runner } from '../store/db.js';
import { attachments } from '../store/schema.js';
import { AppError } from './errors.js';
import { stripBidiControls } from '../util/text.js';

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Attachment as ApiAttachment } from '../contract/index.js';
export type { ApiAttachment };

/**
 * Where attachment files live: `<dataDir>/attachments`, or a temp folder for in-memory stores
 * (`memory://<name>` gets a folder of its own, so one store's purge never touches another's files).
 */
export function attachmentsDir(dataDir: string): string {
  const memoryName = dataDir.startsWith('memory://') ? dataDir.slice('memory://'.length).replace(/[^\w-]/g, '_') : '';
  const dir = dataDir.startsWith('memory://') ? join(tmpdir(), 'liaison-attachments', memoryName) : join(dataDir, 'attachments');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A display name: no path, no control characters, no bidi controls (src/util/text.ts), at most 200 characters. */
export function safeName(name: string | undefined): string {
  const base = basename(stripBidiControls(String(name ?? '')).replaceAll('\\', '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .trim();
  const chars = [...base];
  const cut = chars.length > 200 ? chars.slice(chars.length - 200).join('') : base;
  return cut || 'file';
}

const startsWith = (b: Buffer, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** The entry names of a ZIP file from its central directory (empty if it is not a well-formed ZIP). */
async function zipEntryNames(path: string, size: number): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const tailLen = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return [];
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset + cdSize > size || cdSize > 16 * 1024 * 1024) return [];
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    const names: string[] = [];
    let p = 0;
    while (p + 46 <= cd.length && cd.readUInt32LE(p) === 0x02014b50 && names.length < 10_000) {
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      names.push(cd.subarray(p + 46, p + 46 + nameLen).toString('utf8'));
      p += 46 + nameLen + extraLen + commentLen;
    }
    return names;
  } finally {
    await fh.close();
  }
}

/** Whether a (≤ limit) file holds one of the UTF-16LE stream names of an OLE office document. */
async function oleOfficeType(path: string): Promise<string | null> {
  const fh = await open(path, 'r');
  const markers: [Buffer, string][] = [
    [Buffer.from('WordDocument', 'utf16le'), 'application/msword'],
    [Buffer.from('Workbook', 'utf16le'), 'application/vnd.ms-excel'],
    [Buffer.from('PowerPoint Document', 'utf16le'), 'application/vnd.ms-powerpoint'],
  ];
  try {
    const chunk = Buffer.alloc(1 << 20);
    let pos = 0;
    let carry = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) return null;
      const hay = Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      for (const [m, type] of markers) if (hay.includes(m)) return type;
      carry = hay.subarray(Math.max(0, hay.length - 64));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** The MIME type judged from the content, or null when it is not on the allow-list. */
export async function sniffType(head: Buffer, path: string, size: number, utf8Text: boolean): Promise<string | null> {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    const names = await zipEntryNames(path, size);
    if (!names.includes('[Content_Types].xml')) return null;
    if (names.some((n) => n.startsWith('word/'))) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    if (names.some((n) => n.startsWith('xl/'))) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    if (names.some((n) => n.startsWith('ppt/'))) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
    return null;
  }
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return oleOfficeType(path);
  if (utf8Text && size > 0) return 'text/plain';
  return null;
}

/** Control characters that never occur in plain text (tab, LF, FF, CR and ESC are allowed). */
function hasBinaryControl(chunk: Buffer): boolean {
  for (const b of chunk) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) return true;
    if (b === 0x7f) return true;
  }
  return false;
}

export interface StoredFile {
  sha256: string;
  size: number;
  type: string;
}

/**
 * Streams `source` to a temporary file while hashing it, stops at `maxBytes` (413), sniffs the
 * type (400 unsupported_attachment_type) and moves it to its content address. `truncated` tells
 * whether the multipart parser cut the file at its own limit.
 */
export async function storeStream(dir: string, source: Readable, policy: Policy, truncated: () => boolean): Promise<StoredFile> {
  const maxBytes = policy.attachmentMaxBytes;
  const tmp = join(dir, `.upload-${process.pid}-${randomBytes(8).toString('hex')}`);
  const out = createWriteStream(tmp, { flags: 'wx' });
  // A write that fails (the disk full: ENOSPC, 507 in src/http/errors.ts) must end the upload, not
  // leave it waiting for a 'drain' that never comes, nor be an unhandled 'error' event.
  let writeError: Error | null = null;
  out.on('error', (e) => (writeError ??= e));
  const hash = createHash('sha256');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let utf8 = true;
  let size = 0;
  let tooBig = false;
  const headParts: Buffer[] = [];
  let headLen = 0;
  try {
    for await (const raw of source) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- set by the stream's error callback, which narrowing cannot see
      if (writeError) throw writeError;
      const chunk = raw as Buffer;
      size += chunk.length;
      if (attachmentTooLarge(size, policy)) {
        tooBig = true;
        continue; // drain: the parser stops the part at its limit anyway
      }
      hash.update(chunk);
      if (headLen < 64) {
        headParts.push(chunk.subarray(0, 64));
        headLen += Math.min(64, chunk.length);
      }
      if (utf8) {
        try {
          decoder.decode(chunk, { stream: true });
          if (hasBinaryControl(chunk)) utf8 = false;
        } catch {
          utf8 = false;
        }
      }
      if (!out.write(chunk))
        await new Promise<void>((r) => {
          const done = () => {
            out.off('drain', done);
            out.off('error', done);
            r();
          };
          out.on('drain', done);
          out.on('error', done);
        });
    }
    out.end();
    await finished(out);
    if (tooBig || truncated())
      throw new AppError(413, 'payload_too_large', `the file is larger than ${maxBytes} bytes`, { details: { field: 'file', maxBytes } });
    if (utf8) {
      try {
        decoder.decode();
      } catch {
        utf8 = false;
      }
    }
    const head = Buffer.concat(headParts);
    const type = await sniffType(head, tmp, size, utf8);
    if (!type)
      throw new AppError(400, 'unsupported_attachment_type', 'this type of file is not accepted (images, PDF, office documents, plain text)', {
        details: { field: 'file' },
      });
    const sha256 = hash.digest('hex');
    const final = join(dir, sha256);
    const exists = await stat(final).then(
      () => true,
      () => false,
    );
    if (exists) await rm(tmp, { force: true });
    else await rename(tmp, final);
    return { sha256, size, type };
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

export function newAttachmentId(): string {
  return randomBytes(12).toString('hex');
}

export function toApiAttachment(a: { id: string; name: string; type: string; size: number }): ApiAttachment {
  return { id: a.id, name: a.name, type: a.type, size: Number(a.size) };
}

/** The attachments of the given ids uploaded by `uploaderIds`; 400 naming `attachments` otherwise. */
export async function ownedAttachments(db: Runner, ids: string[], uploaderIds: number[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const rows = await db
    .select()
    .from(attachments)
    .where(and(inArray(attachments.id, unique), inArray(attachments.uploaderId, uploaderIds)));
  if (rows.length !== unique.length) throw new AppError(400, 'invalid_request', 'attachments: unknown attachment id', { details: { field: 'attachments' } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return unique.map((id) => byId.get(id)!);
}

/**
 * The attachment if `viewerId` may download it: its uploader, a participant of a conversation
 * with a message that carries it, or an admin of a page that is such a participant.
 */
const ids = (xs: number[]) => `{${[...new Set(xs)].join(',')}}`;

export async function attachmentForViewer(db: Runner, id: string, viewerId: number) {
  const [row] = await db.select().from(attachments).where(eq(attachments.id, id)).limit(1);
  if (!row) return null;
  if (row.uploaderId === viewerId) return row;
  // Step by step, each table by its own key (on Citus the messages carrying it, their conversations
  // and their sides sit on different shards; downloads by others are deliberate multi-shard reads):
  // the messages that carry it, their live conversations, the sides of those, then who exists.
  const carriers = await selectRows<{ message_id: unknown }>(db, sql`select message_id from message_attachments where attachment_id = ${id}`);
  if (carriers.length === 0) return null;
  const msgs = await selectRows<{ id: unknown; conversation_id: unknown; recipient_id: unknown }>(
    db,
    sql`select id, conversation_id, recipient_id from messages where id = any(${ids(carriers.map((c) => Number(c.message_id)))}::bigint[])`,
  );
  if (msgs.length === 0) return null;
  const convs = new Map(
    (
      await selectRows<{ id: unknown; starter_id: unknown; recipient_id: unknown }>(
        db,
        sql`select id, starter_id, recipient_id from conversations where id = any(${ids(msgs.map((m) => Number(m.conversation_id)))}::bigint[]) and ended_at is null`,
      )
    ).map((c) => [Number(c.id), [Number(c.starter_id), Number(c.recipient_id)] as const]),
  );
  if (convs.size === 0) return null;
  const people = [...new Set([...convs.values()].flat())];
  const sides = await selectRows<{ conversation_id: unknown; member_id: unknown; ignored: boolean; deleted_spans: string | null }>(
    db,
    sql`select conversation_id, member_id, ignored, deleted_spans::text from conversation_members
         where member_id = any(${ids(people)}::bigint[]) and conversation_id = any(${ids([...convs.keys()])}::bigint[])`,
  );
  // the other side must still exist for the viewer (DOMAIN.md 6: attachments stop existing too)
  const gone = new Set(
    (await selectRows<{ id: unknown }>(db, sql`select id from members where id = any(${ids(people)}::bigint[]) and status <> 'active'`)).map((r) =>
      Number(r.id),
    ),
  );
  const blocked = new Set(
    (
      await selectRows<{ blocker: unknown; blocked: unknown }>(
        db,
        sql`select blocker, blocked from blocks where unblocked_at is null and blocker = any(${ids(people)}::bigint[]) and blocked = any(${ids(people)}::bigint[])`,
      )
    ).map((b) => `${Number(b.blocker)}:${Number(b.blocked)}`),
  );
  const administered = new Set(
    (
      await selectRows<{ page_id: unknown }>(
        db,
        sql`select page_id from page_admins where member_id = ${viewerId} and page_id = any(${ids(sides.map((s) => Number(s.member_id)))}::bigint[])`,
      )
    ).map((r) => Number(r.page_id)),
  );
  const ok = msgs.some((m) => {
    const conv = convs.get(Number(m.conversation_id));
    if (!conv) return false;
    const [a, b] = conv;
    if (gone.has(a) || gone.has(b) || blocked.has(`${a}:${b}`) || blocked.has(`${b}:${a}`)) return false;
    return sides.some((s) => {
      const member = Number(s.member_id);
      if (Number(s.conversation_id) !== Number(m.conversation_id) || (member !== a && member !== b)) return false;
      if (member === Number(m.recipient_id) && s.ignored) return false;
      // a message of a request this side had ignored is gone for it
      if (inSpans(Number(m.id), parseSpans(s.deleted_spans))) return false;
      return member === viewerId || administered.has(member);
    });
  });
  return ok ? row : null;
}

export function openAttachment(dir: string, sha256: string) {
  return createReadStream(join(dir, sha256));
}
