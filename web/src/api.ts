/**
 * The web UI's access to the Liaison API: the typed client (src/client) on the contract
 * (src/contract), same origin, authenticated by the HttpOnly session cookie. The types are the
 * contract's (import type, never copies); `api` names the calls the screens make.
 */
import { ApiError, apiErrorOf, createClient, NETWORK_ERROR, newIdempotencyKey } from '../../src/client/index';
import type { Attachment, Conversation, Folder, Introduction, Invitation, Member, SettingsPatch, SignUp } from '../../src/contract/index';

export type {
  Attachment,
  Channel,
  Conversation,
  Decision,
  Degree,
  ErrorCode,
  Folder,
  Introduction,
  Invitation,
  List,
  Me,
  Member,
  MemberAndAbout,
  MemberStatus,
  Message,
  MessageAndConversation,
  Notification,
  NotificationKind,
  OpenTo,
  Policy,
  Profile,
  Quotas,
  Reason,
  RequestFilters,
  SearchResult,
  Settings,
  SettingsPatch,
  StreamEvent,
  StreamEventType,
  Suggestion,
  Tier,
  Unlock,
  Unread,
} from '../../src/contract/index';
export { DEFAULT_SETTINGS, NOTIFICATION_KINDS } from '../../src/contract/index';
export { ApiError, NETWORK_ERROR, newIdempotencyKey };

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(0, NETWORK_ERROR, e instanceof Error ? e.message : String(e));
}

// ---------------------------------------------------------------- session

// The session token lives only in the HttpOnly cookie the server sets at sign-up and sign-in: page
// script never sees it (an XSS could not steal the session), and every request is same-origin, so
// the browser sends the cookie and names our origin (the server checks it: docs/SECURITY.md).

let onUnauthenticated: (() => void) | null = null;
/** Called when an authenticated request answers 401: the session is over. */
export function setUnauthenticatedHandler(fn: (() => void) | null): void {
  onUnauthenticated = fn;
}

/** The typed client of this origin (the stream included). */
export const client = createClient({
  baseUrl: '',
  credentials: 'same-origin',
  // sign-up and sign-in: a 401 is a wrong password, not the end of a session
  onError: (e, op) => {
    if (e.status === 401 && op !== 'postAccounts' && op !== 'postSessions' && onUnauthenticated) onUnauthenticated();
  },
});

const page = (cursor: string | null | undefined, limit: number) => ({ cursor: cursor ?? undefined, limit });
const asQuery = (as: string | null | undefined) => (as ? { as } : {});

// ---------------------------------------------------------------- routes

export const api = {
  // accounts and sessions
  signUp: (b: SignUp) => client.postAccounts({ body: b }),
  signIn: (b: { login: string; password: string }) => client.postSessions({ body: b }),
  signOut: () => client.deleteSessions(),
  me: (signal?: AbortSignal) => client.getMe({}, { signal }),
  patchSettings: (s: SettingsPatch) => client.patchMeSettings({ body: s }),
  notifications: (cursor?: string | null) => client.getNotifications({ query: page(cursor, 50) }),
  readNotifications: (upTo: string) => client.postNotificationsRead({ body: { upTo } }),
  deactivate: () => client.postMeDeactivate(),
  reactivate: () => client.postMeReactivate(),
  close: () => client.postMeClose(),
  policy: () => client.getPolicy(),

  // profiles and the graph
  profile: (handle: string, signal?: AbortSignal) => client.getMembersByHandle({ params: { handle } }, { signal }),
  mutuals: (handle: string, cursor?: string | null) => client.getMembersByHandleMutuals({ params: { handle }, query: page(cursor, 50) }),
  messageDecision: (handle: string, signal?: AbortSignal) => client.getMembersByHandleDecisionsMessage({ params: { handle } }, { signal }),
  connections: (cursor?: string | null) => client.getConnections({ query: page(cursor, 50) }),
  removeConnection: (handle: string) => client.deleteConnectionsByHandle({ params: { handle } }),
  follow: (handle: string) => client.postFollows({ body: { handle } }),
  unfollow: (handle: string) => client.deleteFollowsByHandle({ params: { handle } }),
  block: (handle: string) => client.postBlocks({ body: { handle } }),
  unblock: (handle: string) => client.deleteBlocksByHandle({ params: { handle } }),
  /** Blocks lists show handle and name only (DOMAIN.md 7). */
  blocks: (cursor?: string | null) => client.getBlocks({ query: page(cursor, 100) }),
  search: (q: string, degrees: number[], cursor?: string | null, limit = 25, signal?: AbortSignal) =>
    client.getSearchMembers({ query: { q, degree: degrees.length ? degrees.join(',') : undefined, ...page(cursor, limit) } }, { signal }),
  follows: (direction: 'following' | 'followers', cursor?: string | null) => client.getFollows({ query: { direction, ...page(cursor, 50) } }),
  patchProfile: (b: { name?: string; headline?: string; about?: string }) => client.patchMeProfile({ body: b }),
  suggestions: () => client.getSuggestions({ query: { limit: 20 } }),

  // invitations
  invite: (b: { to: string; note?: string; email?: string }) => client.postInvitations({ body: b }),
  invitations: (direction: 'received' | 'sent', cursor?: string | null) => client.getInvitations({ query: { direction, ...page(cursor, 50) } }),
  invitationAction: (id: string, action: 'accept' | 'ignore' | 'withdraw' | 'report'): Promise<Invitation> => {
    const params = { id };
    switch (action) {
      case 'accept':
        return client.postInvitationsByIdAccept({ params });
      case 'ignore':
        return client.postInvitationsByIdIgnore({ params });
      case 'withdraw':
        return client.postInvitationsByIdWithdraw({ params });
      case 'report':
        return client.postInvitationsByIdReport({ params });
    }
  },

  // messaging
  sendMessage: (b: { to: string; body: string; subject?: string; channel?: 'inmail'; attachments?: string[] }) => client.postMessages({ body: b }),
  conversations: (folder: Folder, as?: string | null, cursor?: string | null) =>
    as
      ? client.getPagesByHandleConversations({ params: { handle: as }, query: { folder, ...page(cursor, 50) } })
      : client.getConversations({ query: { folder, ...page(cursor, 50) } }),
  messages: (id: string, as?: string | null, cursor?: string | null) =>
    client.getConversationsByIdMessages({ params: { id }, query: { ...page(cursor, 50), ...asQuery(as) } }),
  reply: (id: string, b: { body: string; attachments?: string[] }, as?: string | null) =>
    client.postConversationsByIdMessages({ params: { id }, query: asQuery(as), body: b }),
  conversationAction: (id: string, action: 'accept' | 'ignore' | 'read', as?: string | null): Promise<Conversation> => {
    const input = { params: { id }, query: asQuery(as) };
    switch (action) {
      case 'accept':
        return client.postConversationsByIdAccept(input);
      case 'ignore':
        return client.postConversationsByIdIgnore(input);
      case 'read':
        return client.postConversationsByIdRead(input);
    }
  },
  reportConversation: (id: string, reason: 'spam' | 'harassment' | 'other', as?: string | null) =>
    client.postConversationsByIdReport({ params: { id }, query: asQuery(as), body: { reason } }),
  deleteConversation: async (id: string, as?: string | null): Promise<void> => {
    await client.deleteConversationsById({ params: { id }, query: asQuery(as) });
  },

  // introductions (DOMAIN.md 11)
  askIntroduction: (b: { to: string; via: string; note?: string }): Promise<Introduction> => client.postIntroductions({ body: b }),
  introductions: (role: 'asked' | 'to_forward', cursor?: string | null) => client.getIntroductions({ query: { role, ...page(cursor, 50) } }),
  forwardIntroduction: (id: string, note?: string) => client.postIntroductionsByIdForward({ params: { id }, body: note ? { note } : {} }),
  declineIntroduction: (id: string) => client.postIntroductionsByIdDecline({ params: { id } }),

  // pages
  createPage: (b: { handle: string; name: string; headline?: string }): Promise<Member> => client.postPages({ body: b }),
  addPageAdmin: (page: string, handle: string) => client.postPagesByHandleAdmins({ params: { handle: page }, body: { handle } }),
};

// ---------------------------------------------------------------- attachments

/** Upload one file with progress (XMLHttpRequest: fetch has no upload progress). */
export function uploadAttachment(file: File, onProgress: (fraction: number) => void): { promise: Promise<Attachment>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<Attachment>((resolve, reject) => {
    xhr.open('POST', client.url('postAttachments'));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Idempotency-Key', newIdempotencyKey());
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let json: unknown;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        json = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(json as Attachment);
      } else {
        reject(apiErrorOf(xhr.status, json, xhr.getResponseHeader('Retry-After')));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, NETWORK_ERROR, 'Upload failed'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Download an attachment (the session cookie authenticates it) and hand it to the browser as a file. */
export async function downloadAttachment(a: Attachment): Promise<void> {
  const blob = await client.getAttachmentsById({ params: { id: a.id } });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = a.name || 'attachment';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
