/**
 * The route table: every operation of the API with its operationId (the served OpenAPI document's
 * and the typed client's function names), method, path, summary, tags, who may call it, and the
 * schemas of its params, query, body and answers. src/http registers its handlers from this table
 * (src/http/route.ts), src/client calls it.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Policy } from './policy.js';
import {
  AsQuery,
  Attachment,
  AttachmentIds,
  BlockedEntry,
  Conversation,
  ConvParams,
  CreditEntry,
  CreditGrant,
  Decision,
  errorResponses,
  Folder,
  Group,
  Handle,
  HandleBody,
  HandleRef,
  Id,
  Introduction,
  IntroductionNote,
  Invitation,
  JoinPolicy,
  listOf,
  ListQuery,
  listQueryFields,
  Me,
  Member,
  MemberAndAbout,
  FollowsQuery,
  MemberAndMaybeToken,
  MemberAndToken,
  Message,
  MessageAndConversation,
  MessageBody,
  NoContent,
  Notification,
  PageAdmin,
  PasswordChange,
  Profile,
  Report,
  ReportReason,
  SearchResult,
  SendMessage,
  Session,
  Settings,
  SettingsPatch,
  ProfilePatch,
  SignIn,
  SignUp,
  Subscription,
  Suggestion,
} from './schemas.js';

/** Who may call: nobody in particular, a signed-in member, or the operator (LIAISON_ADMIN_TOKEN). */
export type Auth = 'none' | 'member' | 'admin';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  method: Method;
  /** Fastify's syntax: `/v1/members/:handle` */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: Auth;
  /** a deactivated member may call it (read settings, reactivate, close, sign out) */
  allowInactive?: boolean;
  /** a POST that creates: it accepts an Idempotency-Key (API.md "Conventions"), which the client sends */
  idempotent?: boolean;
  /** the request is not JSON (an upload: multipart/form-data) */
  consumes?: string[];
  /** the answer is a file, whatever its type: the client hands back a Blob */
  binary?: boolean;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  response: Record<number, TSchema>;
}

const member = { auth: 'member' } as const;
const IdParams = Type.Object({ id: Id });
const HandleParams = Type.Object({ handle: HandleRef });
const GroupMemberParams = Type.Object({ id: Id, handle: HandleRef });
const noContent = { 204: NoContent, ...errorResponses };
const lifecycle = { 200: Type.Object({ member: Member }), ...errorResponses };

export const routes = {
  // ---- ops
  getPolicy: {
    method: 'GET',
    path: '/v1/policy',
    summary: 'The policy in force (defaults merged with LIAISON_POLICY)',
    tags: ['operator'],
    auth: 'none',
    response: { 200: Type.Unsafe<Policy>(Type.Object({}, { additionalProperties: true, description: 'the policy (API.md "Running")' })), ...errorResponses },
  },

  // ---- accounts and sessions
  postAccounts: {
    method: 'POST',
    path: '/v1/accounts',
    summary: 'Sign up',
    tags: ['accounts'],
    auth: 'none',
    idempotent: true,
    body: SignUp,
    response: { 201: MemberAndMaybeToken, ...errorResponses },
  },
  postSessions: {
    method: 'POST',
    path: '/v1/sessions',
    summary: 'Sign in with handle or e-mail',
    tags: ['accounts'],
    auth: 'none',
    body: SignIn,
    response: { 200: MemberAndToken, ...errorResponses },
  },
  deleteSessions: {
    method: 'DELETE',
    path: '/v1/sessions',
    summary: 'Sign out (revokes this token, and the session cookie too when it holds another)',
    tags: ['accounts'],
    ...member,
    allowInactive: true,
    response: noContent,
  },
  getMeSessions: {
    method: 'GET',
    path: '/v1/me/sessions',
    summary: "The caller's sessions in force, most recently used first",
    tags: ['accounts'],
    ...member,
    response: { 200: listOf(Session), ...errorResponses },
  },
  deleteMeSessionsById: {
    method: 'DELETE',
    path: '/v1/me/sessions/:id',
    summary: 'End one of my sessions (by the id GET /v1/me/sessions gives)',
    tags: ['accounts'],
    ...member,
    params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
    response: noContent,
  },
  postMePassword: {
    method: 'POST',
    path: '/v1/me/password',
    summary: 'Change the password: every other session ends',
    tags: ['accounts'],
    ...member,
    body: PasswordChange,
    response: noContent,
  },
  getMe: {
    method: 'GET',
    path: '/v1/me',
    summary: 'The caller, their settings and quotas',
    tags: ['accounts'],
    ...member,
    allowInactive: true,
    response: { 200: Me, ...errorResponses },
  },
  getMeExport: {
    method: 'GET',
    path: '/v1/me/export',
    summary: 'Everything I own or took part in, as one JSON document (streamed)',
    tags: ['accounts'],
    ...member,
    allowInactive: true,
    response: { 200: Type.Object({}, { additionalProperties: true, description: 'the export document (liaison-export/1)' }), ...errorResponses },
  },
  getMeCredits: {
    method: 'GET',
    path: '/v1/me/credits',
    summary: 'The InMail ledger: grants, purchases, spends and refunds, newest first',
    tags: ['accounts'],
    ...member,
    querystring: ListQuery,
    response: { 200: listOf(CreditEntry), ...errorResponses },
  },
  patchMeSettings: {
    method: 'PATCH',
    path: '/v1/me/settings',
    summary: 'Change any settings',
    tags: ['accounts'],
    ...member,
    body: SettingsPatch,
    response: { 200: Type.Object({ settings: Settings }), ...errorResponses },
  },
  patchMeProfile: {
    method: 'PATCH',
    path: '/v1/me/profile',
    summary: 'Change my name, headline or about',
    tags: ['accounts'],
    ...member,
    body: ProfilePatch,
    response: { 200: MemberAndAbout, ...errorResponses },
  },
  postMeDeactivate: {
    method: 'POST',
    path: '/v1/me/deactivate',
    summary: 'Deactivate (reversible; the profile is hidden)',
    tags: ['accounts'],
    ...member,
    response: lifecycle,
  },
  postMeReactivate: {
    method: 'POST',
    path: '/v1/me/reactivate',
    summary: 'Reactivate a deactivated account',
    tags: ['accounts'],
    ...member,
    allowInactive: true,
    response: lifecycle,
  },
  postMeClose: {
    method: 'POST',
    path: '/v1/me/close',
    summary: 'Close the account (permanent)',
    tags: ['accounts'],
    ...member,
    allowInactive: true,
    response: lifecycle,
  },

  // ---- operator
  putAdminMembersByHandleSubscription: {
    method: 'PUT',
    path: '/v1/admin/members/:handle/subscription',
    summary: "Set a member's tier and its end date",
    tags: ['operator'],
    auth: 'admin',
    params: HandleParams,
    body: Subscription,
    response: { 200: Member, ...errorResponses },
  },
  postAdminMembersByHandleInmailCredits: {
    method: 'POST',
    path: '/v1/admin/members/:handle/inmail-credits',
    summary: 'Add purchased InMail credits to a person (any tier; never capped, never expiring)',
    tags: ['operator'],
    auth: 'admin',
    idempotent: true,
    params: HandleParams,
    body: CreditGrant,
    response: { 200: Type.Object({ balance: Type.Integer() }), ...errorResponses },
  },
  postAdminMembersByHandleRestrict: {
    method: 'POST',
    path: '/v1/admin/members/:handle/restrict',
    summary: 'Restrict a member (may read, may not send)',
    tags: ['operator'],
    auth: 'admin',
    params: HandleParams,
    response: { 200: Member, ...errorResponses },
  },
  postAdminMembersByHandleUnrestrict: {
    method: 'POST',
    path: '/v1/admin/members/:handle/unrestrict',
    summary: 'Lift a restriction and a bulk flag',
    tags: ['operator'],
    auth: 'admin',
    params: HandleParams,
    response: { 200: Member, ...errorResponses },
  },

  // ---- profiles and the graph
  getMembersByHandle: {
    method: 'GET',
    path: '/v1/members/:handle',
    summary: 'A profile as the caller sees it',
    tags: ['graph'],
    ...member,
    params: HandleParams,
    response: { 200: Profile, ...errorResponses },
  },
  getMembersByHandleMutuals: {
    method: 'GET',
    path: '/v1/members/:handle/mutuals',
    summary: 'Mutual connections with a member',
    tags: ['graph'],
    ...member,
    params: HandleParams,
    querystring: ListQuery,
    response: { 200: listOf(Member), ...errorResponses },
  },
  getMembersByHandleDecisionsMessage: {
    method: 'GET',
    path: '/v1/members/:handle/decisions/message',
    summary: "Why can't I message X? The message decision",
    tags: ['graph'],
    ...member,
    params: HandleParams,
    response: { 200: Decision, ...errorResponses },
  },
  getConnections: {
    method: 'GET',
    path: '/v1/connections',
    summary: 'My connections',
    tags: ['graph'],
    ...member,
    querystring: ListQuery,
    response: { 200: listOf(Member), ...errorResponses },
  },
  deleteConnectionsByHandle: {
    method: 'DELETE',
    path: '/v1/connections/:handle',
    summary: 'Remove a connection (and the follows)',
    tags: ['graph'],
    ...member,
    params: HandleParams,
    response: noContent,
  },
  postFollows: {
    method: 'POST',
    path: '/v1/follows',
    summary: 'Follow a member or a page',
    tags: ['graph'],
    ...member,
    idempotent: true,
    body: HandleBody,
    response: { 201: Type.Object({ member: Member, following: Type.Boolean() }), ...errorResponses },
  },
  getFollows: {
    method: 'GET',
    path: '/v1/follows',
    summary: 'Whom I follow (direction=following), or who follows me (direction=followers)',
    tags: ['graph'],
    ...member,
    querystring: FollowsQuery,
    response: { 200: listOf(Member), ...errorResponses },
  },
  deleteFollowsByHandle: {
    method: 'DELETE',
    path: '/v1/follows/:handle',
    summary: 'Unfollow',
    tags: ['graph'],
    ...member,
    params: HandleParams,
    response: noContent,
  },
  postBlocks: {
    method: 'POST',
    path: '/v1/blocks',
    summary: 'Block a member (they are not told)',
    tags: ['graph'],
    ...member,
    idempotent: true,
    body: HandleBody,
    response: { 201: Type.Object({ member: Member, blocked: Type.Boolean() }), ...errorResponses },
  },
  deleteBlocksByHandle: {
    method: 'DELETE',
    path: '/v1/blocks/:handle',
    summary: 'Unblock (restores nothing)',
    tags: ['graph'],
    ...member,
    params: HandleParams,
    response: noContent,
  },
  getBlocks: {
    method: 'GET',
    path: '/v1/blocks',
    summary: 'Members I block (handle and name only, DOMAIN.md 7)',
    tags: ['graph'],
    ...member,
    querystring: ListQuery,
    response: { 200: listOf(BlockedEntry), ...errorResponses },
  },
  getSearchMembers: {
    method: 'GET',
    path: '/v1/search/members',
    summary: 'Search words of name, handle and headline (typo-tolerant), ranked by degree then match; filter by degree',
    tags: ['graph'],
    ...member,
    querystring: Type.Object(
      {
        q: Type.String({ minLength: 1, maxLength: 200, description: 'at most 8 different words (400 otherwise): each must match' }),
        degree: Type.Optional(Type.String({ pattern: '^[123](,[123]){0,2}$' })),
        ...listQueryFields(),
      },
      { additionalProperties: false },
    ),
    response: { 200: listOf(SearchResult), ...errorResponses },
  },
  getSuggestions: {
    method: 'GET',
    path: '/v1/suggestions',
    summary: 'People you may know',
    tags: ['graph'],
    ...member,
    querystring: ListQuery,
    response: { 200: listOf(Suggestion), ...errorResponses },
  },

  // ---- invitations
  postInvitations: {
    method: 'POST',
    path: '/v1/invitations',
    summary: 'Invite a member to connect (crossing invitations connect at once: 200 accepted)',
    tags: ['invitations'],
    ...member,
    idempotent: true,
    body: Type.Object(
      {
        to: HandleRef,
        // bounded by the policy's note limit (`note_too_long`), not the schema (see MessageBody)
        note: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()])),
      },
      { additionalProperties: false },
    ),
    response: { 200: Invitation, 201: Invitation, ...errorResponses },
  },
  getInvitations: {
    method: 'GET',
    path: '/v1/invitations',
    summary: 'Pending invitations received or sent',
    tags: ['invitations'],
    ...member,
    querystring: Type.Object(
      { direction: Type.Optional(Type.Union([Type.Literal('received'), Type.Literal('sent')])), ...listQueryFields() },
      { additionalProperties: false },
    ),
    response: { 200: listOf(Invitation), ...errorResponses },
  },
  postInvitationsByIdAccept: invitationVerb('accept', 'Accept: connected, both follow each other'),
  postInvitationsByIdIgnore: invitationVerb('ignore', 'Ignore (the sender still sees it pending)'),
  postInvitationsByIdReport: invitationVerb('report', '"I don\'t know this person"'),
  postInvitationsByIdWithdraw: invitationVerb('withdraw', 'Withdraw (cooldown before inviting again)'),

  // ---- pages
  postPages: {
    method: 'POST',
    path: '/v1/pages',
    summary: 'Create a page (the caller becomes its admin)',
    tags: ['pages'],
    ...member,
    idempotent: true,
    body: Type.Object(
      { handle: Handle, name: Type.String({ minLength: 1, maxLength: 100 }), headline: Type.Optional(Type.String({ maxLength: 220 })) },
      { additionalProperties: false },
    ),
    response: { 201: Member, ...errorResponses },
  },
  postPagesByHandleAdmins: {
    method: 'POST',
    path: '/v1/pages/:handle/admins',
    summary: 'Invite a person to administer a page I administer (they become an admin when they accept)',
    tags: ['pages'],
    ...member,
    idempotent: true,
    params: HandleParams,
    body: HandleBody,
    response: { 201: PageAdmin, ...errorResponses },
  },
  postPagesByHandleAdminsMeAccept: {
    method: 'POST',
    path: '/v1/pages/:handle/admins/me/accept',
    summary: 'Accept an invitation to administer a page',
    tags: ['pages'],
    ...member,
    params: HandleParams,
    response: { 200: PageAdmin, ...errorResponses },
  },
  deletePagesByHandleAdminsByAdmin: {
    method: 'DELETE',
    path: '/v1/pages/:handle/admins/:admin',
    summary: 'Remove an admin, leave (your own handle or `me`), or withdraw an invitation; the last admin cannot leave (409)',
    tags: ['pages'],
    ...member,
    params: Type.Object({ handle: HandleRef, admin: HandleRef }),
    response: noContent,
  },

  // ---- messaging
  postMessages: {
    method: 'POST',
    path: '/v1/messages',
    summary: 'Send a message to a member (the policy picks the channel; InMail only when asked for)',
    tags: ['messaging'],
    ...member,
    idempotent: true,
    body: SendMessage,
    response: { 201: MessageAndConversation, ...errorResponses },
  },
  getConversations: {
    method: 'GET',
    path: '/v1/conversations',
    summary: 'Conversations of a folder, newest activity first',
    tags: ['messaging'],
    ...member,
    querystring: Type.Object({ folder: Type.Optional(Folder), as: Type.Optional(HandleRef), ...listQueryFields() }, { additionalProperties: false }),
    response: { 200: listOf(Conversation), ...errorResponses },
  },
  getPagesByHandleConversations: {
    method: 'GET',
    path: '/v1/pages/:handle/conversations',
    summary: "A page's shared inbox (its admins only)",
    tags: ['messaging', 'pages'],
    ...member,
    params: Type.Object({ handle: HandleRef }),
    querystring: Type.Object({ folder: Type.Optional(Folder), ...listQueryFields() }, { additionalProperties: false }),
    response: { 200: listOf(Conversation), ...errorResponses },
  },
  getConversationsById: {
    method: 'GET',
    path: '/v1/conversations/:id',
    summary: 'One conversation',
    tags: ['messaging'],
    ...member,
    params: ConvParams,
    querystring: AsQuery,
    response: { 200: Conversation, ...errorResponses },
  },
  getConversationsByIdMessages: {
    method: 'GET',
    path: '/v1/conversations/:id/messages',
    summary: 'Messages of a conversation, newest first (cursor: the last id seen)',
    tags: ['messaging'],
    ...member,
    params: ConvParams,
    querystring: Type.Object({ as: Type.Optional(HandleRef), ...listQueryFields() }, { additionalProperties: false }),
    response: { 200: listOf(Message), ...errorResponses },
  },
  postConversationsByIdMessages: {
    method: 'POST',
    path: '/v1/conversations/:id/messages',
    summary: 'Write into a conversation',
    tags: ['messaging'],
    ...member,
    idempotent: true,
    params: ConvParams,
    querystring: AsQuery,
    body: Type.Object({ body: MessageBody, attachments: Type.Optional(AttachmentIds) }, { additionalProperties: false }),
    response: { 201: MessageAndConversation, ...errorResponses },
  },
  postConversationsByIdAccept: conversationVerb('accept', 'Accept a message request (the conversation opens; not a connection)'),
  postConversationsByIdIgnore: conversationVerb('ignore', 'Ignore a message request (gone for you; the sender is told nothing)'),
  postConversationsByIdRead: conversationVerb('read', 'Mark the conversation read'),
  postConversationsByIdReport: {
    method: 'POST',
    path: '/v1/conversations/:id/report',
    summary: 'Report the other side (spam and harassment count toward restriction)',
    tags: ['messaging'],
    ...member,
    params: ConvParams,
    querystring: AsQuery,
    body: Type.Object({ reason: ReportReason }, { additionalProperties: false }),
    response: { 200: Conversation, ...errorResponses },
  },
  deleteConversationsById: {
    method: 'DELETE',
    path: '/v1/conversations/:id',
    summary: 'Hide a conversation; for a request you received (or a page received), delete it',
    tags: ['messaging'],
    ...member,
    params: ConvParams,
    querystring: AsQuery,
    response: noContent,
  },
  postAttachments: {
    method: 'POST',
    path: '/v1/attachments',
    summary: 'Upload one file (multipart/form-data); its type is judged by its content',
    tags: ['messaging'],
    ...member,
    idempotent: true,
    consumes: ['multipart/form-data'],
    response: { 201: Attachment, ...errorResponses },
  },
  getAttachmentsById: {
    method: 'GET',
    path: '/v1/attachments/:id',
    summary: "Download an attachment (its uploader and the conversation's participants only)",
    tags: ['messaging'],
    ...member,
    binary: true,
    params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
    response: { 200: Type.Unsafe<Blob>(Type.Any({ description: 'the file, with its stored type' })), ...errorResponses },
  },
  getAdminReports: {
    method: 'GET',
    path: '/v1/admin/reports',
    summary: 'Reports on members, newest first',
    tags: ['operator'],
    auth: 'admin',
    querystring: Type.Object({ handle: Type.Optional(HandleRef), ...listQueryFields() }, { additionalProperties: false }),
    response: { 200: listOf(Report), ...errorResponses },
  },

  // ---- notifications
  getNotifications: {
    method: 'GET',
    path: '/v1/notifications',
    summary: 'Notifications, newest first (a group moves to the top when it is updated)',
    tags: ['notifications'],
    ...member,
    querystring: ListQuery,
    response: { 200: listOf(Notification), ...errorResponses },
  },
  postNotificationsRead: {
    method: 'POST',
    path: '/v1/notifications/read',
    summary: 'Mark read every notification up to this one (as the list orders them)',
    tags: ['notifications'],
    ...member,
    body: Type.Object({ upTo: Id }, { additionalProperties: false }),
    response: noContent,
  },

  // ---- introductions
  postIntroductions: {
    method: 'POST',
    path: '/v1/introductions',
    summary: 'Ask a 1st-degree connection (via) to introduce you to one of their connections (to)',
    tags: ['introductions'],
    ...member,
    idempotent: true,
    body: Type.Object({ to: HandleRef, via: HandleRef, note: IntroductionNote }, { additionalProperties: false }),
    response: { 201: Introduction, ...errorResponses },
  },
  getIntroductions: {
    method: 'GET',
    path: '/v1/introductions',
    summary: 'Introductions I asked for, or asks waiting for me to forward',
    tags: ['introductions'],
    ...member,
    querystring: Type.Object(
      { role: Type.Optional(Type.Union([Type.Literal('asked'), Type.Literal('to_forward')])), ...listQueryFields() },
      { additionalProperties: false },
    ),
    response: { 200: listOf(Introduction), ...errorResponses },
  },
  postIntroductionsByIdForward: {
    method: 'POST',
    path: '/v1/introductions/:id/forward',
    summary: 'Forward an ask: the person you know gets a message request from the asker, introduced by you',
    tags: ['introductions'],
    ...member,
    idempotent: true,
    params: IdParams,
    body: Type.Optional(Type.Object({ note: IntroductionNote }, { additionalProperties: false })),
    response: { 200: Introduction, ...errorResponses },
  },
  postIntroductionsByIdDecline: {
    method: 'POST',
    path: '/v1/introductions/:id/decline',
    summary: 'Decline an ask (the asker is told only "not forwarded")',
    tags: ['introductions'],
    ...member,
    idempotent: true,
    params: IdParams,
    response: { 200: Introduction, ...errorResponses },
  },

  // ---- groups
  postGroups: {
    method: 'POST',
    path: '/v1/groups',
    summary: 'Create a group (the creator is a member and its first admin)',
    tags: ['groups'],
    ...member,
    idempotent: true,
    body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), joinPolicy: Type.Optional(JoinPolicy) }, { additionalProperties: false }),
    response: { 201: Group, ...errorResponses },
  },
  postGroupsByIdMembers: {
    method: 'POST',
    path: '/v1/groups/:id/members',
    summary: 'Join a group: 204 a member, 202 a request awaiting approval',
    tags: ['groups'],
    ...member,
    params: IdParams,
    response: { 202: Type.Null({ description: 'Accepted: awaiting approval' }), 204: NoContent, ...errorResponses },
  },
  deleteGroupsByIdMembersMe: {
    method: 'DELETE',
    path: '/v1/groups/:id/members/me',
    summary: 'Leave a group (or withdraw a request); the last admin cannot',
    tags: ['groups'],
    ...member,
    params: IdParams,
    response: noContent,
  },
  patchGroupsById: {
    method: 'PATCH',
    path: '/v1/groups/:id',
    summary: 'Admins: set the join policy (switching to open approves what is pending)',
    tags: ['groups'],
    ...member,
    params: IdParams,
    body: Type.Object({ joinPolicy: JoinPolicy }, { additionalProperties: false }),
    response: { 200: Group, ...errorResponses },
  },
  getGroupsByIdMembers: groupPeople('members', 'Members of a group (members only; profileVisibility applies)'),
  getGroupsByIdRequests: groupPeople('requests', 'Admins: requests to join'),
  postGroupsByIdRequestsByHandleApprove: groupRequestVerb('approve'),
  postGroupsByIdRequestsByHandleDecline: groupRequestVerb('decline'),
  deleteGroupsByIdMembersByHandle: {
    method: 'DELETE',
    path: '/v1/groups/:id/members/:handle',
    summary: 'Admins: remove a member (never the last admin)',
    tags: ['groups'],
    ...member,
    params: GroupMemberParams,
    response: noContent,
  },
  postGroupsByIdAdmins: {
    method: 'POST',
    path: '/v1/groups/:id/admins',
    summary: 'Admins: make a member an admin',
    tags: ['groups'],
    ...member,
    params: IdParams,
    body: HandleBody,
    response: noContent,
  },
} satisfies Record<string, RouteSpec>;

function invitationVerb<const A extends string>(action: A, summary: string) {
  return {
    method: 'POST',
    path: `/v1/invitations/:id/${action}`,
    summary,
    tags: ['invitations'],
    ...member,
    params: IdParams,
    response: { 200: Invitation, ...errorResponses },
  } as const satisfies RouteSpec;
}

function conversationVerb<const A extends string>(action: A, summary: string) {
  return {
    method: 'POST',
    path: `/v1/conversations/:id/${action}`,
    summary,
    tags: ['messaging'],
    ...member,
    params: ConvParams,
    querystring: AsQuery,
    response: { 200: Conversation, ...errorResponses },
  } as const satisfies RouteSpec;
}

function groupPeople<const W extends 'members' | 'requests'>(which: W, summary: string) {
  return {
    method: 'GET',
    path: `/v1/groups/:id/${which}`,
    summary,
    tags: ['groups'],
    ...member,
    params: IdParams,
    querystring: ListQuery,
    response: { 200: listOf(Member), ...errorResponses },
  } as const satisfies RouteSpec;
}

function groupRequestVerb<const A extends 'approve' | 'decline'>(action: A) {
  return {
    method: 'POST',
    path: `/v1/groups/:id/requests/:handle/${action}`,
    summary: `Admins: ${action} a request to join`,
    tags: ['groups'],
    ...member,
    params: GroupMemberParams,
    response: noContent,
  } as const satisfies RouteSpec;
}

export type Routes = typeof routes;
export type OperationId = keyof Routes;

type Field<R, F extends string> = R extends { [K in F]: infer S extends TSchema } ? Static<S> : undefined;
/** The path parameters of an operation (undefined: none). */
export type ParamsOf<K extends OperationId> = Field<Routes[K], 'params'>;
/** The query of an operation (undefined: none). */
export type QueryOf<K extends OperationId> = Field<Routes[K], 'querystring'>;
/** The JSON body of an operation (undefined: none). */
export type BodyOf<K extends OperationId> = Field<Routes[K], 'body'>;
type Success = 200 | 201 | 202 | 204;
/** What an operation answers when it succeeds (204: null). */
export type ReplyOf<K extends OperationId> = Routes[K]['response'] extends infer M
  ? { [C in keyof M]: C extends Success ? (M[C] extends TSchema ? Static<M[C]> : never) : never }[keyof M]
  : never;
