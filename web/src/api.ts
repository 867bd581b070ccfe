/**
 * Typed client for the Liaison HTTP API (shared/API.md, version 1).
 * Speaks only the public API, same origin, authenticated by the HttpOnly session cookie.
 */

// ---------------------------------------------------------------- types (API.md "Types")

export type Tier = 'free' | 'career' | 'business' | 'sales_navigator';
export type MemberStatus = 'active' | 'deactivated' | 'closed' | 'restricted';

export interface Member {
  id: string;
  handle: string;
  kind: 'person' | 'page';
  name: string;
  headline: string | null;
  tier: Tier;
  status: MemberStatus;
}

export type Channel = 'direct' | 'open_profile' | 'tier_reach' | 'group' | 'open_inbox' | 'page' | 'inmail' | 'introduction';

export type Unlock =
  | { kind: 'upgrade'; tier: Tier }
  | { kind: 'inmail'; credits: number }
  | { kind: 'connect' }
  | { kind: 'introduction'; via: string[] }
  | { kind: 'wait'; until: string }
  | { kind: 'remove_connection' };

export interface Decision {
  allowed: boolean;
  channel?: Channel;
  delivery?: 'inbox' | 'request';
  cost?: { inmailCredits: number };
  reason: string;
  unlock: Unlock[];
}

export type Degree = 1 | 2 | 3 | null;

export interface OpenTo {
  jobs: boolean;
  mentoring: boolean;
}

export interface Profile {
  member: Member;
  full: boolean;
  about?: string | null;
  /** Settings.openTo, present only for viewers within the member's profileVisibility */
  openTo?: OpenTo;
  degree: Degree;
  mutualConnections: { count: number | null; sample: Member[] };
  relationship: {
    connected: boolean;
    following: boolean;
    followedBy: boolean;
    invitation: null | { id: string; direction: 'sent' | 'received' };
  };
  primaryAction: 'none' | 'connect' | 'message' | 'follow' | 'pending' | 'accept';
  actions: { connect: Decision; message: Decision; inmail: Decision; follow: Decision };
}

export interface Invitation {
  id: string;
  from: Member;
  to: Member;
  note: string | null;
  status: 'pending' | 'accepted' | 'ignored' | 'withdrawn' | 'expired';
  createdAt: string;
}

export interface Attachment {
  id: string;
  name: string;
  type: string;
  size: number;
}

export interface Message {
  id: string;
  conversationId: string;
  sender: Member;
  body: string;
  subject: string | null;
  channel: Channel | string;
  createdAt: string;
  attachments: Attachment[];
  /** A forwarded introduction (channel `introduction`): who vouched, and both notes. */
  introducedBy?: Member;
  introduction?: { note: string | null; forwardNote: string | null };
}

/** API.md "Introductions": as the asker sees it, declined and expired both read `not_forwarded`. */
export interface Introduction {
  id: string;
  from: Member;
  via: Member;
  to: Member;
  note: string | null;
  forwardNote: string | null;
  status: 'asked' | 'forwarded' | 'not_forwarded';
  createdAt: string;
  /** the request it became (forwarded, the asker's view only) */
  conversationId?: string;
}

export interface Conversation {
  id: string;
  participants: Member[];
  state: 'open' | 'request';
  folder: Folder;
  unread: number;
  lastMessage: Message | null;
}

/** The caller's folders: requests a filter set aside land in `filtered` (DOMAIN.md 9). */
export type Folder = 'inbox' | 'requests' | 'filtered';

export const NOTIFICATION_KINDS = [
  'invitation.received',
  'invitation.accepted',
  'request.received',
  'inmail.received',
  'page.request',
  'credits.granted',
  'introduction.asked',
  'introduction.forwarded',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** API.md Notification: a group (kind and day, or kind and conversation or page), newest first. */
export interface Notification {
  id: string;
  kind: NotificationKind;
  /** up to 3, newest first */
  actors: Member[];
  count: number;
  subject?: { conversationId?: string; invitationId?: string; page?: Member };
  /** credits.granted: the credits granted */
  credits?: number;
  createdAt: string;
  read: boolean;
}

export interface RequestFilters {
  newAccounts: boolean;
  noSharedConnections: boolean;
  notFollowed: boolean;
}

export interface Settings {
  primaryAction: 'connect' | 'message' | 'follow';
  messageRequests: 'on' | 'off';
  openProfile: boolean;
  acceptInMail: boolean;
  messagesFrom: 'anyone' | 'shared_connections' | 'connections';
  profileVisibility: 'everyone' | 'network' | 'connections';
  readReceipts: boolean;
  typingIndicators: boolean;
  openTo: OpenTo;
  requestFilters: RequestFilters;
  notifications: Record<NotificationKind, boolean>;
}

export const DEFAULT_SETTINGS: Settings = {
  primaryAction: 'connect',
  messageRequests: 'on',
  openProfile: false,
  acceptInMail: true,
  messagesFrom: 'anyone',
  profileVisibility: 'everyone',
  readReceipts: true,
  typingIndicators: true,
  openTo: { jobs: false, mentoring: false },
  requestFilters: { newAccounts: false, noSharedConnections: false, notFollowed: false },
  notifications: Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, true])) as Record<NotificationKind, boolean>,
};

/** A settings change: any fields; the nested objects may name some of their fields. */
export type SettingsPatch = Partial<Omit<Settings, 'openTo' | 'requestFilters' | 'notifications'>> & {
  openTo?: Partial<OpenTo>;
  requestFilters?: Partial<RequestFilters>;
  notifications?: Partial<Record<NotificationKind, boolean>>;
};

/** GET /v1/me `unread`. */
export interface Unread {
  notifications: number;
  inbox: number;
  requests: number;
  filtered: number;
}

export interface Quotas {
  inmailCredits: number;
  invitationsLeftThisWeek: number;
  notesLeftThisMonth: number | null;
}

export interface Me {
  member: Member;
  settings: Settings;
  quotas: Quotas;
  /** Not in API.md: used only if a server chooses to list the pages the caller administers. */
  pages?: Member[];
  unread?: Unread;
}

export interface Policy {
  connectionCap: number;
  invitationsPerWeek: number;
  noteMaxChars: number;
  notesPerMonthFree: number;
  withdrawCooldownDays: number;
  invitationExpiryDays: number;
  idkReportsToRequireEmail: number;
  messageMaxChars: number;
  inmailSubjectMaxChars: number;
  inmailBodyMaxChars: number;
  inmailMonthlyCredits: Record<Tier, number>;
  inmailRolloverMonths: number;
  inmailRefundDays: number;
  tierReach: Record<Tier, number>;
  groupConversationsPerMonth: number;
  followUpsWhilePending: number;
  messagesPerMinute: number;
  nonConnectionConversationsPerMonth: number;
  bulkRecipientsThreshold: number;
  reportsToRestrict: number;
  reblockCooldownHours: number;
  attachmentMaxBytes: number;
  introductionsPerMonth: number;
  introductionExpiryDays: number;
  newAccountDays: number;
  notificationRetentionDays: number;
}

export const DEFAULT_POLICY: Policy = {
  connectionCap: 30000,
  invitationsPerWeek: 100,
  noteMaxChars: 300,
  notesPerMonthFree: 5,
  withdrawCooldownDays: 21,
  invitationExpiryDays: 180,
  idkReportsToRequireEmail: 5,
  messageMaxChars: 8000,
  inmailSubjectMaxChars: 200,
  inmailBodyMaxChars: 1900,
  inmailMonthlyCredits: { free: 0, career: 5, business: 15, sales_navigator: 50 },
  inmailRolloverMonths: 3,
  inmailRefundDays: 90,
  tierReach: { free: 1, career: 2, business: 3, sales_navigator: 3 },
  groupConversationsPerMonth: 15,
  followUpsWhilePending: 1,
  messagesPerMinute: 30,
  nonConnectionConversationsPerMonth: 100,
  bulkRecipientsThreshold: 10,
  reportsToRestrict: 3,
  reblockCooldownHours: 48,
  attachmentMaxBytes: 20971520,
  introductionsPerMonth: 10,
  introductionExpiryDays: 14,
  newAccountDays: 30,
  notificationRetentionDays: 90,
};

export interface List<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SearchResult {
  member: Member;
  degree: Degree;
}

export interface Suggestion {
  member: Member;
  mutualConnections: number | null;
}

export type StreamEventType =
  | 'message.created'
  | 'conversation.request'
  | 'invitation.received'
  | 'invitation.accepted'
  | 'read'
  | 'typing'
  | 'introduction.asked'
  | 'introduction.forwarded'
  | 'notification.created';

export interface StreamEvent {
  id: string;
  type: StreamEventType | string;
  data: unknown;
}

// ---------------------------------------------------------------- errors

export interface ApiErrorBody {
  code: string;
  message: string;
  unlock?: Unlock[];
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly unlock: Unlock[];
  readonly details: Record<string, unknown> | undefined;
  /** seconds, from Retry-After on a 429 */
  readonly retryAfter: number | null;

  constructor(status: number, body: ApiErrorBody, retryAfter: number | null = null) {
    super(body.message || body.code);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.unlock = Array.isArray(body.unlock) ? body.unlock : [];
    this.details = body.details;
    this.retryAfter = retryAfter;
  }
}

/** A failure that never reached the API (offline, DNS, CORS...). */
export const NETWORK_ERROR = 'network_error';

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(0, { code: NETWORK_ERROR, message: e instanceof Error ? e.message : String(e) });
}

// ---------------------------------------------------------------- session

// The session token lives only in the HttpOnly cookie the server sets at sign-up and sign-in: page
// script never sees it (an XSS could not steal the session), and every request below is same-origin,
// so the browser sends the cookie and names our origin (the server checks it: docs/SECURITY.md).

let onUnauthenticated: (() => void) | null = null;
/** Called when an authenticated request answers 401: the session is over. */
export function setUnauthenticatedHandler(fn: (() => void) | null): void {
  onUnauthenticated = fn;
}

export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') {
    try {
      return c.randomUUID();
    } catch {
      /* not a secure context */
    }
  }
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------- request

type Query = Record<string, string | number | undefined | null>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** act for a page the caller administers (conversation routes) */
  as?: string | null;
  idempotent?: boolean;
  signal?: AbortSignal;
  /** sign-up and sign-in: a 401 is a wrong password, not the end of a session */
  signingIn?: boolean;
}

export function buildUrl(path: string, query?: Query, as?: string | null): string {
  const params = new URLSearchParams();
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
  }
  if (as) params.set('as', as);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.idempotent) headers['Idempotency-Key'] = newIdempotencyKey();
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query, opts.as), { method, headers, body, signal: opts.signal, credentials: 'same-origin' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, { code: NETWORK_ERROR, message: e instanceof Error ? e.message : 'Network error' });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const err = parseErrorBody(json, res.status);
    const ra = res.headers.get('Retry-After');
    const apiErr = new ApiError(res.status, err, ra && !Number.isNaN(Number(ra)) ? Number(ra) : null);
    if (res.status === 401 && !opts.signingIn && onUnauthenticated) onUnauthenticated();
    throw apiErr;
  }
  return json as T;
}

export function parseErrorBody(json: unknown, status: number): ApiErrorBody {
  if (json && typeof json === 'object' && 'error' in json) {
    const e = (json as { error: unknown }).error;
    if (e && typeof e === 'object' && typeof (e as ApiErrorBody).code === 'string') return e as ApiErrorBody;
  }
  const code =
    status === 401 ? 'unauthenticated'
    : status === 404 ? 'not_found'
    : status === 409 ? 'conflict'
    : status === 413 ? 'payload_too_large'
    : status === 429 ? 'rate_limited'
    : status >= 500 ? 'server_error'
    : 'invalid_request';
  return { code, message: `HTTP ${status}` };
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------- routes

export const api = {
  // accounts and sessions
  signUp: (b: { handle: string; name: string; email: string; password: string; headline?: string }) =>
    request<{ member: Member }>('POST', '/v1/accounts', { body: b, idempotent: true, signingIn: true }),
  signIn: (b: { login: string; password: string }) =>
    request<{ member: Member }>('POST', '/v1/sessions', { body: b, signingIn: true }),
  signOut: () => request<void>('DELETE', '/v1/sessions'),
  me: (signal?: AbortSignal) => request<Me>('GET', '/v1/me', { signal }),
  patchSettings: (s: SettingsPatch) => request<{ settings: Settings }>('PATCH', '/v1/me/settings', { body: s }),
  notifications: (cursor?: string | null) => request<List<Notification>>('GET', '/v1/notifications', { query: { cursor, limit: 50 } }),
  readNotifications: (upTo: string) => request<void>('POST', '/v1/notifications/read', { body: { upTo } }),
  deactivate: () => request<{ member: Member }>('POST', '/v1/me/deactivate', { body: {} }),
  reactivate: () => request<{ member: Member }>('POST', '/v1/me/reactivate', { body: {} }),
  close: () => request<{ member: Member }>('POST', '/v1/me/close', { body: {} }),
  policy: () => request<Policy>('GET', '/v1/policy'),

  // profiles and the graph
  profile: (handle: string, signal?: AbortSignal) => request<Profile>('GET', `/v1/members/${enc(handle)}`, { signal }),
  mutuals: (handle: string, cursor?: string | null) =>
    request<List<Member>>('GET', `/v1/members/${enc(handle)}/mutuals`, { query: { cursor, limit: 50 } }),
  messageDecision: (handle: string, signal?: AbortSignal, as?: string | null) =>
    request<Decision>('GET', `/v1/members/${enc(handle)}/decisions/message`, { signal, as }),
  connections: (cursor?: string | null) =>
    request<List<Member>>('GET', '/v1/connections', { query: { cursor, limit: 50 } }),
  removeConnection: (handle: string) => request<void>('DELETE', `/v1/connections/${enc(handle)}`),
  follow: (handle: string) => request<unknown>('POST', '/v1/follows', { body: { handle }, idempotent: true }),
  unfollow: (handle: string) => request<void>('DELETE', `/v1/follows/${enc(handle)}`),
  block: (handle: string) => request<unknown>('POST', '/v1/blocks', { body: { handle }, idempotent: true }),
  unblock: (handle: string) => request<void>('DELETE', `/v1/blocks/${enc(handle)}`),
  /** Blocks lists show handle and name only (DOMAIN.md 7). */
  blocks: (cursor?: string | null) => request<List<{ handle: string; name: string }>>('GET', '/v1/blocks', { query: { cursor, limit: 100 } }),
  search: (q: string, degrees: number[], cursor?: string | null) =>
    request<List<SearchResult>>('GET', '/v1/search/members', {
      query: { q, degree: degrees.length ? degrees.join(',') : undefined, cursor, limit: 25 },
    }),
  suggestions: () => request<List<Suggestion>>('GET', '/v1/suggestions', { query: { limit: 20 } }),

  // invitations
  invite: (b: { to: string; note?: string; email?: string }) =>
    request<Invitation>('POST', '/v1/invitations', { body: b, idempotent: true }),
  invitations: (direction: 'received' | 'sent', cursor?: string | null) =>
    request<List<Invitation>>('GET', '/v1/invitations', { query: { direction, cursor, limit: 50 } }),
  invitationAction: (id: string, action: 'accept' | 'ignore' | 'withdraw' | 'report') =>
    request<Invitation>('POST', `/v1/invitations/${enc(id)}/${action}`, { body: {} }),

  // messaging
  sendMessage: (
    b: { to: string; body: string; subject?: string; channel?: 'inmail'; attachments?: string[] },
    as?: string | null,
  ) => request<{ message: Message; conversation: Conversation }>('POST', '/v1/messages', { body: b, as, idempotent: true }),
  conversations: (folder: Folder, as?: string | null, cursor?: string | null) =>
    as
      ? request<List<Conversation>>('GET', `/v1/pages/${enc(as)}/conversations`, { query: { folder, cursor, limit: 50 } })
      : request<List<Conversation>>('GET', '/v1/conversations', { query: { folder, cursor, limit: 50 } }),
  messages: (id: string, as?: string | null, cursor?: string | null) =>
    request<List<Message>>('GET', `/v1/conversations/${enc(id)}/messages`, { query: { cursor, limit: 50 }, as }),
  reply: (id: string, b: { body: string; attachments?: string[] }, as?: string | null) =>
    request<{ message: Message; conversation: Conversation }>('POST', `/v1/conversations/${enc(id)}/messages`, {
      body: b,
      as,
      idempotent: true,
    }),
  conversationAction: (id: string, action: 'accept' | 'ignore' | 'read', as?: string | null) =>
    request<Conversation>('POST', `/v1/conversations/${enc(id)}/${action}`, { body: {}, as }),
  reportConversation: (id: string, reason: 'spam' | 'harassment' | 'other', as?: string | null) =>
    request<Conversation>('POST', `/v1/conversations/${enc(id)}/report`, { body: { reason }, as }),
  deleteConversation: (id: string, as?: string | null) =>
    request<void>('DELETE', `/v1/conversations/${enc(id)}`, { as }),

  // introductions (DOMAIN.md 11)
  askIntroduction: (b: { to: string; via: string; note?: string }) =>
    request<Introduction>('POST', '/v1/introductions', { body: b, idempotent: true }),
  introductions: (role: 'asked' | 'to_forward', cursor?: string | null) =>
    request<List<Introduction>>('GET', '/v1/introductions', { query: { role, cursor, limit: 50 } }),
  forwardIntroduction: (id: string, note?: string) =>
    request<Introduction>('POST', `/v1/introductions/${enc(id)}/forward`, { body: note ? { note } : {}, idempotent: true }),
  declineIntroduction: (id: string) =>
    request<Introduction>('POST', `/v1/introductions/${enc(id)}/decline`, { body: {}, idempotent: true }),

  // pages
  createPage: (b: { handle: string; name: string; headline?: string }) =>
    request<Member>('POST', '/v1/pages', { body: b, idempotent: true }),
  addPageAdmin: (page: string, handle: string) =>
    request<unknown>('POST', `/v1/pages/${enc(page)}/admins`, { body: { handle }, idempotent: true }),
};

// ---------------------------------------------------------------- attachments

/** Upload one file with progress (XMLHttpRequest: fetch has no upload progress). */
export function uploadAttachment(
  file: File,
  onProgress: (fraction: number) => void,
): { promise: Promise<Attachment>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<Attachment>((resolve, reject) => {
    xhr.open('POST', '/v1/attachments');
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
        const ra = xhr.getResponseHeader('Retry-After');
        reject(new ApiError(xhr.status, parseErrorBody(json, xhr.status), ra ? Number(ra) || null : null));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, { code: NETWORK_ERROR, message: 'Upload failed' }));
    xhr.onabort = () => reject(new ApiError(0, { code: 'aborted', message: 'Upload cancelled' }));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Download an attachment (the session cookie authenticates it) and hand it to the browser as a file. */
export async function downloadAttachment(a: Attachment, as?: string | null): Promise<void> {
  let res: Response;
  try {
    res = await fetch(buildUrl(`/v1/attachments/${enc(a.id)}`, undefined, as), { credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, { code: NETWORK_ERROR, message: e instanceof Error ? e.message : 'Network error' });
  }
  if (!res.ok) {
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      json = undefined;
    }
    throw new ApiError(res.status, parseErrorBody(json, res.status));
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = a.name || 'attachment';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- stream

/** The stream's address: the browser sends the session cookie (and our origin) with the upgrade. */
export function streamUrl(since?: string | null): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams();
  if (since) params.set('since', since);
  const qs = params.toString();
  return `${proto}//${location.host}/v1/stream${qs ? `?${qs}` : ''}`;
}
