/**
 * Every shape of API.md as a TypeBox schema, and its type (`Static`). The route table
 * (./routes.ts) puts them on operations; from there come the server's validation, the served
 * OpenAPI document, the services' return types, the typed client and the web UI's types.
 */
import { Type, type Static, type TBoolean, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { CHANNELS, NOTIFICATION_KINDS, TIERS, type ErrorCode, type NotificationKind, type Reason } from './codes.js';

/** A union of string literals (JSON Schema: anyOf of consts), typed as the union of the values. */
export function literals<const T extends readonly string[]>(values: T): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)));
}

export const HANDLE_PATTERN = '^[A-Za-z0-9_-]{3,30}$';
export const Handle = Type.String({ pattern: HANDLE_PATTERN, minLength: 3, maxLength: 30, description: '3-30 of a-z 0-9 _ -' });
/** A handle in a path or body that refers to someone: validated loosely so unknown ones read as "not found". */
export const HandleRef = Type.String({ minLength: 1, maxLength: 100 });
export const Id = Type.String({ pattern: '^[0-9]{1,18}$', description: 'numeric id as a string' });

export const Tier = literals(TIERS);
export type Tier = Static<typeof Tier>;

export const MemberKind = Type.Union([Type.Literal('person'), Type.Literal('page')]);
export const MemberStatus = Type.Union([Type.Literal('active'), Type.Literal('deactivated'), Type.Literal('closed'), Type.Literal('restricted')]);
export const Member = Type.Object(
  {
    id: Type.String(),
    handle: Type.String(),
    kind: MemberKind,
    name: Type.String(),
    headline: Type.String(),
    tier: Tier,
    status: MemberStatus,
  },
  { additionalProperties: false },
);
export type Member = Static<typeof Member>;
export type MemberStatus = Static<typeof MemberStatus>;

/** Settings.openTo (DOMAIN.md 7): shown on the profile to viewers within profileVisibility. */
export const OpenTo = Type.Object({ jobs: Type.Boolean(), mentoring: Type.Boolean() }, { additionalProperties: false });
export type OpenTo = Static<typeof OpenTo>;
/** Settings.requestFilters (DOMAIN.md 9). */
export const RequestFilters = Type.Object(
  { newAccounts: Type.Boolean(), noSharedConnections: Type.Boolean(), notFollowed: Type.Boolean() },
  { additionalProperties: false },
);
export type RequestFilters = Static<typeof RequestFilters>;
/** Settings.notifications: each kind of Notification on or off. */
export const NotificationKinds = Type.Object(Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, Type.Boolean()])) as { [K in NotificationKind]: TBoolean }, {
  additionalProperties: false,
});

export const Settings = Type.Object(
  {
    primaryAction: Type.Union([Type.Literal('connect'), Type.Literal('message'), Type.Literal('follow')]),
    messageRequests: Type.Union([Type.Literal('on'), Type.Literal('off')]),
    openProfile: Type.Boolean(),
    acceptInMail: Type.Boolean(),
    messagesFrom: Type.Union([Type.Literal('anyone'), Type.Literal('shared_connections'), Type.Literal('connections')]),
    profileVisibility: Type.Union([Type.Literal('everyone'), Type.Literal('network'), Type.Literal('connections')]),
    readReceipts: Type.Boolean(),
    typingIndicators: Type.Boolean(),
    openTo: OpenTo,
    requestFilters: RequestFilters,
    notifications: NotificationKinds,
  },
  { additionalProperties: false },
);
export type Settings = Static<typeof Settings>;
/** API.md's defaults of Settings, field for field (every notification kind on). */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  primaryAction: 'connect',
  messageRequests: 'on',
  openProfile: false,
  acceptInMail: true,
  messagesFrom: 'anyone',
  profileVisibility: 'everyone',
  readReceipts: true,
  typingIndicators: true,
  openTo: Object.freeze({ jobs: false, mentoring: false }),
  requestFilters: Object.freeze({ newAccounts: false, noSharedConnections: false, notFollowed: false }),
  notifications: Object.freeze(Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, true])) as Record<NotificationKind, boolean>),
});
/** Any fields of Settings (none is fine); the nested objects may name some of their fields (unknown kinds or fields: 400). */
export const SettingsPatch = Type.Partial(
  Type.Object({
    ...Settings.properties,
    openTo: Type.Partial(OpenTo, { additionalProperties: false }),
    requestFilters: Type.Partial(RequestFilters, { additionalProperties: false }),
    notifications: Type.Partial(NotificationKinds, { additionalProperties: false }),
  }),
  // "any fields of Settings" (API.md): none at all changes nothing and answers the settings
  { additionalProperties: false },
);
export type SettingsPatch = Static<typeof SettingsPatch>;

/** A way to get to a denied action (DOMAIN.md 8). `until` is an ISO 8601 UTC instant. */
export type Unlock =
  | { kind: 'upgrade'; tier: Tier }
  | { kind: 'inmail'; credits: number }
  | { kind: 'connect' }
  | { kind: 'introduction'; via: string[] }
  | { kind: 'wait'; until: string }
  | { kind: 'remove_connection' };
/** One flat object for the Unlock union of API.md (kind says which fields are present). */
export const Unlock = Type.Unsafe<Unlock>(
  Type.Object({
    kind: Type.Union([
      Type.Literal('upgrade'),
      Type.Literal('inmail'),
      Type.Literal('connect'),
      Type.Literal('introduction'),
      Type.Literal('wait'),
      Type.Literal('remove_connection'),
    ]),
    tier: Type.Optional(Tier),
    credits: Type.Optional(Type.Integer()),
    via: Type.Optional(Type.Array(Type.String())),
    until: Type.Optional(Type.String({ format: 'date-time' })),
  }),
);

export const Channel = literals(CHANNELS);
export type Channel = Static<typeof Channel>;

/** A reason code (API.md): the document says string, the types say which. */
export const ReasonCode = Type.Unsafe<Reason>(Type.String());

/**
 * The answer to "may the viewer do this to the member?". An allowed message carries its channel,
 * its delivery and (InMail only) its cost; a denial carries no channel, delivery nor cost.
 * `unlock` is empty when allowed and whenever nothing the viewer can do would help.
 */
export const Decision = Type.Object({
  allowed: Type.Boolean(),
  channel: Type.Optional(Channel),
  delivery: Type.Optional(Type.Union([Type.Literal('inbox'), Type.Literal('request')])),
  cost: Type.Optional(Type.Object({ inmailCredits: Type.Integer() })),
  reason: ReasonCode,
  unlock: Type.Array(Unlock),
});
export type Decision = Static<typeof Decision>;

export const Degree = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Null()]);
/** Degree from the viewer to the member: 1st, 2nd, 3rd, or out of network (`null`). */
export type Degree = Static<typeof Degree>;
export const PrimaryAction = literals(['none', 'connect', 'message', 'follow', 'pending', 'accept']);
/** The primary button of a profile (DOMAIN.md 4). */
export type PrimaryAction = Static<typeof PrimaryAction>;

export const Profile = Type.Object({
  member: Member,
  full: Type.Boolean(),
  about: Type.Optional(Type.String()),
  openTo: Type.Optional(OpenTo),
  degree: Degree,
  mutualConnections: Type.Object({ count: Type.Union([Type.Integer(), Type.Null()]), sample: Type.Array(Member) }),
  relationship: Type.Object({
    connected: Type.Boolean(),
    following: Type.Boolean(),
    followedBy: Type.Boolean(),
    invitation: Type.Union([Type.Null(), Type.Object({ id: Type.String(), direction: Type.Union([Type.Literal('sent'), Type.Literal('received')]) })]),
  }),
  primaryAction: PrimaryAction,
  actions: Type.Object({ connect: Decision, message: Decision, inmail: Decision, follow: Decision }),
});
export type Profile = Static<typeof Profile>;

export const Invitation = Type.Object({
  id: Type.String(),
  from: Member,
  to: Member,
  note: Type.Union([Type.String(), Type.Null()]),
  status: literals(['pending', 'accepted', 'ignored', 'withdrawn', 'expired']),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Invitation = Static<typeof Invitation>;

/** API.md's error shape; `code` is a reason or one of the error codes (./codes.ts). */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.Unsafe<ErrorCode>(Type.String()),
      message: Type.String(),
      unlock: Type.Optional(Type.Array(Unlock)),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
  },
  {},
);
export type ErrorBody = Static<typeof ErrorBody>;

/** The 4xx answers every operation documents. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  429: ErrorBody,
};

export const listOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
/** API.md lists: `{ items, nextCursor }`. */
export interface List<T> {
  items: T[];
  nextCursor: string | null;
}

const Cursor = Type.Optional(Type.String({ maxLength: 200 }));
const Limit = Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' }));
export const ListQuery = Type.Object({ cursor: Cursor, limit: Limit }, { additionalProperties: false });
/** `?cursor=&limit=` as properties, to spread into a query of more fields. */
export const listQueryFields = () => ({
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
});

export const NoContent = Type.Null({ description: 'No Content' });

// ---- accounts and sessions

/** PATCH /v1/me/profile: any of name, headline (≤ 220), about (≤ 2,600). */
export const ProfilePatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    headline: Type.Optional(Type.String({ maxLength: 220 })),
    about: Type.Optional(Type.String({ maxLength: 2600 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ProfilePatch = Static<typeof ProfilePatch>;
export const MemberAndAbout = Type.Object({ member: Member, about: Type.String() });
export type MemberAndAbout = Static<typeof MemberAndAbout>;
/** GET /v1/follows: whom I follow (the default) or who follows me. */
export const FollowsQuery = Type.Object(
  { direction: Type.Optional(Type.Union([Type.Literal('following'), Type.Literal('followers')])), ...listQueryFields() },
  { additionalProperties: false },
);

export const SignUp = Type.Object(
  {
    handle: Handle,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    email: Type.String({ format: 'email', minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 10, maxLength: 1024 }),
    headline: Type.Optional(Type.String({ maxLength: 220 })),
  },
  { additionalProperties: false },
);
export type SignUp = Static<typeof SignUp>;
export const MemberAndToken = Type.Object({ member: Member, token: Type.String() });
/** Sign-up: a replay (same Idempotency-Key and body) answers `token: null`; no token is ever stored. */
export const MemberAndMaybeToken = Type.Object({ member: Member, token: Type.Union([Type.String(), Type.Null()]) });
export const SignIn = Type.Object(
  { login: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export const Session = Type.Object({
  id: Type.String({ description: 'a public id of the session (not derived from its token)' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  current: Type.Boolean({ description: 'the session this request came with' }),
});
export type Session = Static<typeof Session>;
export const PasswordChange = Type.Object(
  { current: Type.String({ minLength: 1, maxLength: 1024 }), new: Type.String({ minLength: 10, maxLength: 1024 }) },
  { additionalProperties: false },
);
export const Quotas = Type.Object({
  inmailCredits: Type.Integer({ description: 'the InMail balance (both pools)' }),
  purchasedCredits: Type.Integer({ description: 'the purchased part of inmailCredits' }),
  invitationsLeftThisWeek: Type.Integer(),
  notesLeftThisMonth: Type.Union([Type.Integer(), Type.Null()]),
});
export type Quotas = Static<typeof Quotas>;
export const Unread = Type.Object({
  notifications: Type.Integer({ description: 'unread notifications' }),
  inbox: Type.Integer({ description: 'inbox conversations with unread messages' }),
  requests: Type.Integer({ description: 'message requests with unread messages' }),
  filtered: Type.Integer({ description: 'filtered requests with unread messages' }),
});
export type Unread = Static<typeof Unread>;
export const Me = Type.Object({
  member: Member,
  settings: Settings,
  quotas: Quotas,
  pages: Type.Array(Member, { description: 'pages the caller administers (beyond API.md)' }),
  unread: Unread,
});
export type Me = Static<typeof Me>;
export const CreditEntry = Type.Object({
  id: Type.String(),
  kind: literals(['grant', 'purchase', 'spend', 'refund']),
  credits: Type.Integer(),
  balanceAfter: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  note: Type.Optional(Type.String()),
});
export type CreditEntry = Static<typeof CreditEntry>;

// ---- operator

export const Subscription = Type.Object(
  { tier: Tier, until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) },
  { additionalProperties: false },
);
export const CreditGrant = Type.Object(
  { credits: Type.Integer({ minimum: 1, maximum: 10_000 }), note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

// ---- the graph

export const HandleBody = Type.Object({ handle: HandleRef }, { additionalProperties: false });
export const BlockedEntry = Type.Object({ handle: Type.String(), name: Type.String() });
export type BlockedEntry = Static<typeof BlockedEntry>;
export const SearchResult = Type.Object({ member: Member, degree: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Null()]) });
export type SearchResult = Static<typeof SearchResult>;
export const Suggestion = Type.Object({ member: Member, mutualConnections: Type.Union([Type.Integer(), Type.Null()]) });
export type Suggestion = Static<typeof Suggestion>;
export const PageAdmin = Type.Object({
  page: Member,
  admin: Member,
  status: Type.Union([Type.Literal('invited'), Type.Literal('admin')], { description: 'invited: an admin once they accept' }),
});
export type PageAdmin = Static<typeof PageAdmin>;

// ---- messaging

export const Attachment = Type.Object({ id: Type.String(), name: Type.String(), type: Type.String(), size: Type.Integer() });
export type Attachment = Static<typeof Attachment>;

export const Message = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  sender: Member,
  body: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  channel: Type.String(),
  createdAt: Type.String(),
  attachments: Type.Array(Attachment),
  /** A forwarded introduction (channel `introduction`): who vouched, and both notes (DOMAIN.md 11). */
  introducedBy: Type.Optional(Member),
  introduction: Type.Optional(Type.Object({ note: Type.Union([Type.String(), Type.Null()]), forwardNote: Type.Union([Type.String(), Type.Null()]) })),
});
export type Message = Static<typeof Message>;

export const Folder = Type.Union([Type.Literal('inbox'), Type.Literal('requests'), Type.Literal('filtered')]);
/** The caller's folders: requests a filter set aside land in `filtered` (DOMAIN.md 9). */
export type Folder = Static<typeof Folder>;

export const Conversation = Type.Object({
  id: Type.String(),
  participants: Type.Array(Member),
  state: Type.Union([Type.Literal('open'), Type.Literal('request')]),
  accepted: Type.Boolean({ description: 'DOMAIN.md 5.1: the recipient let the sender in (accepted the request, or replied while the two were not connected)' }),
  folder: Type.Union([Type.Literal('inbox'), Type.Literal('requests'), Type.Literal('filtered')]),
  unread: Type.Integer(),
  lastMessage: Type.Union([Message, Type.Null()]),
  readUpTo: Type.Union([Type.String(), Type.Null()], { description: 'last message id the other side read (only when both have read receipts on)' }),
});
export type Conversation = Static<typeof Conversation>;

export const Report = Type.Object({
  id: Type.String(),
  reporter: Member,
  reported: Member,
  conversationId: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  createdAt: Type.String(),
});
export type Report = Static<typeof Report>;

export const MessageAndConversation = Type.Object({ message: Message, conversation: Conversation });
export type MessageAndConversation = Static<typeof MessageAndConversation>;
export const AttachmentIds = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10 });
/**
 * No length bound in the schema: the policy's own limits (data an operator may loosen: DOMAIN.md)
 * answer `too_long` / `note_too_long` (400) whatever the length; the request's 1 MiB body limit bounds
 * it (a schema bound answered `invalid_request` past it, and kept a looser policy from applying:
 * found by a member).
 */
export const MessageBody = Type.String();
export const AsQuery = Type.Object({ as: Type.Optional(HandleRef) }, { additionalProperties: false });
export const ConvParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 30 }) });
export const SendMessage = Type.Object(
  {
    to: HandleRef,
    body: MessageBody,
    subject: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    channel: Type.Optional(Type.Literal('inmail')),
    attachments: Type.Optional(AttachmentIds),
  },
  { additionalProperties: false },
);
export type SendMessage = Static<typeof SendMessage>;
export const ReportReason = Type.Union([Type.Literal('spam'), Type.Literal('harassment'), Type.Literal('other')]);

// ---- notifications

export const Notification = Type.Object({
  id: Type.String(),
  kind: literals(NOTIFICATION_KINDS),
  actors: Type.Array(Member, { description: 'up to 3, newest first (members hidden from the caller left out)' }),
  count: Type.Integer({ description: 'events in the group (by members the caller may see)' }),
  subject: Type.Optional(
    Type.Object({
      conversationId: Type.Optional(Type.String()),
      invitationId: Type.Optional(Type.String()),
      page: Type.Optional(Member),
    }),
  ),
  credits: Type.Optional(Type.Integer({ description: 'credits.granted: the credits the group granted (beyond API.md)' })),
  createdAt: Type.String({ format: 'date-time', description: 'the last update of the group' }),
  read: Type.Boolean(),
});
export type Notification = Static<typeof Notification>;

// ---- introductions

/** Bounded by the policy's note limit (`note_too_long`), not the schema (see MessageBody). */
export const IntroductionNote = Type.Optional(Type.Union([Type.String(), Type.Null()]));
export const Introduction = Type.Object({
  id: Type.String(),
  from: Member,
  via: Member,
  to: Member,
  note: Type.Union([Type.String(), Type.Null()]),
  forwardNote: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('asked'), Type.Literal('forwarded'), Type.Literal('not_forwarded')], {
    description: 'declined and expired both read not_forwarded',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  conversationId: Type.Optional(Type.String({ description: 'the request it became (forwarded only; not shown to the introducer)' })),
});
export type Introduction = Static<typeof Introduction>;

// ---- groups

export const JoinPolicy = Type.Union([Type.Literal('open'), Type.Literal('approval')]);
export type JoinPolicy = Static<typeof JoinPolicy>;
export const Group = Type.Object({ id: Type.String(), name: Type.String(), joinPolicy: JoinPolicy });
export type Group = Static<typeof Group>;
