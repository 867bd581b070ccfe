/**
 * API.md "Messaging": sending, conversations and their folders, message requests, pages' shared
 * inboxes (`?as=<page handle>`), attachments, and the operator's list of reports. Schemas: src/contract/routes.ts.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import { attachmentForViewer, attachmentsDir, newAttachmentId, openAttachment, safeName, storeStream, toApiAttachment } from '../../services/attachments.js';
import {
  acceptRequest,
  actorFor,
  conversationFor,
  conversationView,
  hideConversation,
  ignoreRequest,
  listConversations,
  listMessages,
  listReports,
  markRead,
  reportConversation,
} from '../../services/conversations/index.js';
import { AppError, badRequest, notFound, Refusal } from '../../services/errors.js';
import { deny } from '../../policy/index.js';
import { housekeeperFor } from '../../services/housekeeping.js';
import { sendInConversation, sendToMember } from '../../services/messaging.js';
import { cachedMemberByHandle, lockMembers } from '../../services/members.js';
import { checkUploadLimits, fileExists, lockContent } from '../../services/uploads.js';
import { attachments } from '../../store/schema.js';
import { runWrite } from '../idempotency.js';
import { me, send, type RouteContext, type TypedApp } from '../plumbing.js';
import { parseLimit } from '../params.js';
import { route } from '../route.js';

/** A conversation id from the path: a well-formed id that cannot exist reads as not found. */
function convId(raw: string): number {
  if (!/^[0-9]{1,18}$/.test(raw)) throw badRequest('id: not an id', { field: 'id' });
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw notFound('no such conversation');
  return n;
}

export async function messagingRoutes(app: TypedApp, ctx: RouteContext) {
  const { deps, config } = ctx;
  const now = () => deps.clock.now();
  const db = () => deps.store.db;
  const maxBytes = deps.policy.attachmentMaxBytes;

  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: { fileSize: maxBytes + 1, files: 1, fields: 10, fieldSize: 1024, parts: 12, headerPairs: 100 },
  });

  // The session may come from the read model: the send checks it under its locks (messaging.ts).
  route(
    app,
    'postMessages',
    async (req, reply) => {
      const caller = me(req);
      // whom the handle names, from the read model (before the transaction: a miss reads on its own connection)
      const known = await cachedMemberByHandle(deps, req.body.to);
      const out = await runWrite(deps, req, async (u) => ({
        status: 201,
        body: await sendToMember(u, { member: caller, author: caller }, req.body.to, req.body, { known, session: req.sessionId }),
      }));
      return send(reply, out);
    },
    { sessionCheckedInWrite: true },
  );

  route(app, 'getConversations', async (req) => {
    const actor = await actorFor(db(), me(req), req.query.as);
    return listConversations(deps, db(), actor.member.id, req.query.folder ?? 'inbox', req.query.cursor, parseLimit(req.query.limit), now());
  });

  route(app, 'getPagesByHandleConversations', async (req) => {
    const actor = await actorFor(db(), me(req), req.params.handle);
    return listConversations(deps, db(), actor.member.id, req.query.folder ?? 'inbox', req.query.cursor, parseLimit(req.query.limit), now());
  });

  route(app, 'getConversationsById', async (req) => {
    const actor = await actorFor(db(), me(req), req.query.as);
    const { conv } = await conversationFor(db(), convId(req.params.id), actor.member.id);
    return conversationView(deps, db(), actor.member.id, conv, now());
  });

  route(app, 'getConversationsByIdMessages', async (req) => {
    const actor = await actorFor(db(), me(req), req.query.as);
    return listMessages(deps, db(), convId(req.params.id), actor.member.id, req.query.cursor, parseLimit(req.query.limit), now());
  });

  route(app, 'postConversationsByIdMessages', async (req, reply) => {
    const id = convId(req.params.id);
    const caller = me(req);
    const out = await runWrite(deps, req, async (u) => {
      const actor = await actorFor(u.tx, caller, req.query.as);
      return { status: 201, body: await sendInConversation(u, actor, id, req.body) };
    });
    return send(reply, out);
  });

  for (const [opId, fn] of [
    ['postConversationsByIdAccept', acceptRequest],
    ['postConversationsByIdIgnore', ignoreRequest],
    ['postConversationsByIdRead', markRead],
  ] as const) {
    route(app, opId, async (req, reply) => {
      const id = convId(req.params.id);
      const caller = me(req);
      const out = await runWrite(deps, req, async (u) => {
        const actor = await actorFor(u.tx, caller, req.query.as);
        return { status: 200, body: await fn(u, actor, id) };
      });
      return send(reply, out);
    });
  }

  route(app, 'postConversationsByIdReport', async (req, reply) => {
    const id = convId(req.params.id);
    const caller = me(req);
    const out = await runWrite(deps, req, async (u) => {
      const actor = await actorFor(u.tx, caller, req.query.as);
      return { status: 200, body: await reportConversation(u, actor, id, req.body.reason) };
    });
    return send(reply, out);
  });

  route(app, 'deleteConversationsById', async (req, reply) => {
    const id = convId(req.params.id);
    const caller = me(req);
    await runWrite(deps, req, async (u) => {
      const actor = await actorFor(u.tx, caller, req.query.as);
      await hideConversation(u, actor, id);
      return { status: 204, body: null };
    });
    return reply.code(204).send(null);
  });

  route(app, 'postAttachments', async (req, reply) => {
    const caller = me(req);
    if (caller.restricted) throw new Refusal(deny('sender_restricted'), now());
    // The upload rate before taking the bytes (a retry with an Idempotency-Key may still replay).
    if (req.headers['idempotency-key'] === undefined) await checkUploadLimits(db(), caller.id, 0, now(), deps.policy);
    let part: Awaited<ReturnType<typeof req.file>>;
    try {
      part = await req.file();
    } catch (e) {
      throw multipartError(e);
    }
    if (!part) throw badRequest('file: a multipart form with one file is required', { field: 'file' });
    const dir = attachmentsDir(config.dataDir);
    let stored;
    try {
      stored = await storeStream(dir, part.file, deps.policy, () => part.file.truncated);
    } catch (e) {
      part.file.resume();
      throw multipartError(e);
    }
    const name = safeName(part.filename);
    // Uploads never attached go after a day: a pass runs now and then (src/services/housekeeping.ts).
    housekeeperFor(deps)?.maybeRun();
    const out = await runWrite(
      deps,
      req,
      async (u) => {
        // The quota and the rate under the member's lock (parallel uploads cannot pass them together),
        // the row only while its file is there (the purge of unattached uploads takes the same lock).
        await lockMembers(u.tx, [caller.id]);
        await checkUploadLimits(u.tx, caller.id, stored.size, u.now, deps.policy);
        await lockContent(u.tx, stored.sha256);
        if (!(await fileExists(dir, stored.sha256)))
          throw new AppError(503, 'service_unavailable', 'the file was removed while it was being stored: send it again', { retryAfter: 1 });
        const row = { id: newAttachmentId(), uploaderId: caller.id, sha256: stored.sha256, name, type: stored.type, size: stored.size, createdAt: u.now };
        await u.tx.insert(attachments).values(row);
        return { status: 201, body: toApiAttachment(row) };
      },
      // Idempotency-Key: the same key, file name and bytes replay the first answer (issue 14).
      { bodyDigest: `file ${name} ${stored.sha256} ${stored.size}` },
    );
    return send(reply, out);
  });

  route(app, 'getAttachmentsById', async (req, reply) => {
    const caller = me(req);
    const row = await attachmentForViewer(db(), req.params.id, caller.id);
    if (!row) throw notFound('no such attachment');
    const dir = attachmentsDir(config.dataDir);
    const present = await stat(join(dir, row.sha256)).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!present) throw notFound('no such attachment');
    const ascii = row.name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
    reply
      .header('content-type', row.type === 'text/plain' ? 'text/plain; charset=utf-8' : row.type)
      .header('content-length', String(row.size))
      .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(row.name)}`)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, max-age=0, no-store');
    return reply.send(openAttachment(dir, row.sha256));
  });

  route(app, 'getAdminReports', async (req) => listReports(db(), req.query.cursor, parseLimit(req.query.limit), now(), req.query.handle));
}

/** Multipart parser errors in the API's shape (never a 500 for what a client sent). */
function multipartError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  const err = e as { statusCode?: number; code?: string; message?: string };
  if (err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return badRequest('file: the request must be multipart/form-data with one file', { field: 'file' });
  if (err.statusCode === 413 || err.code === 'FST_REQ_FILE_TOO_LARGE')
    return new AppError(413, 'payload_too_large', 'the file is too large', { details: { field: 'file' } });
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
    return new AppError(400, 'invalid_request', err.message ?? 'malformed multipart body', { details: { field: 'file' } });
  if (err.code === undefined && typeof err.message === 'string' && !(e instanceof TypeError || e instanceof RangeError))
    return new AppError(400, 'invalid_request', `malformed multipart body: ${err.message}`, { details: { field: 'file' } });
  return e;
}
