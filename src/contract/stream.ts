/**
 * API.md `GET /v1/stream`: the live events over a WebSocket. Frames are `{ id, type, data }`;
 * reconnecting with `?since=<last id>` replays what was missed. The server (src/realtime) and the
 * typed client (src/client/stream.ts) share these names.
 */
import { Type, type Static } from '@sinclair/typebox';

export const STREAM_PATH = '/v1/stream';

/** How the stream is described: the route's schema and its operation in the OpenAPI document. */
export const STREAM_SUMMARY =
  'Live events over a WebSocket (message.created, conversation.request, invitation.received, invitation.accepted, read, typing, introduction.asked, introduction.forwarded, notification.created)';
export const STREAM_DESCRIPTION =
  'Frames are `{ id, type, data }`. Reconnect with `?since=<last id>` to get what was missed. Close codes: 1012 the instance is restarting (reconnect, ideally elsewhere), 4008 slow consumer, 4003 account inactive. The client may send `{ "type": "typing", "conversationId", "as"?: page handle }`.';

export const StreamQuery = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 200 })),
  since: Type.Optional(Type.String({ maxLength: 40 })),
});
export type StreamQuery = Static<typeof StreamQuery>;

/** The event types clients see; every other type feeds the graph indexes only. */
export const STREAM_EVENT_TYPES = [
  'message.created',
  'conversation.request',
  'invitation.received',
  'invitation.accepted',
  'read',
  'typing',
  // DOMAIN.md 11: to the introducer, and to the target with the request it became
  'introduction.asked',
  'introduction.forwarded',
  // DOMAIN.md 9: a notification written or updated (API.md Notification as its member sees it)
  'notification.created',
] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

/** One frame of the stream. `id` is what `?since=` takes (typing frames are not replayed). */
export interface StreamEvent {
  id: string;
  type: StreamEventType;
  data: unknown;
}

/** What a client may send: typing in a conversation (as a page it administers, optionally). */
export interface StreamTyping {
  type: 'typing';
  conversationId: string;
  as?: string;
  /** the same fields, nested (the server reads either) */
  data?: { conversationId?: string; as?: string };
}

/** Close codes. */
export const CLOSE = {
  /** the instance is shutting down: reconnect (to another instance) with ?since= */
  serviceRestart: 1012,
  /** the client did not read fast enough: reconnect with ?since= */
  slowConsumer: 4008,
  /** the account was deactivated or closed */
  accountInactive: 4003,
  /** the session this socket signed in with ended (signed out, revoked, password changed) */
  sessionEnded: 4001,
  /** heartbeats were not answered (terminated, so the client sees 1006) */
} as const;
