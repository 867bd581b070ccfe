/** The contract's types as TypeBox schemas: they validate requests and produce the OpenAPI document. */
import { Type, type TSchema } from '@sinclair/typebox';
import { badRequest } from '../services/errors.js';
import { NOTIFICATION_KINDS } from '../policy/notifications.js';

export const HANDLE_PATTERN = '^[A-Za-z0-9_-]{3,30}$';
export const Handle = Type.String({ pattern: HANDLE_PATTERN, minLength: 3, maxLength: 30, description: '3-30 of a-z 0-9 _ -' });
/** A handle in a path or body that refers to someone: validated loosely so unknown ones read as "not found". */
export const HandleRef = Type.String({ minLength: 1, maxLength: 100 });
export const Id = Type.String({ pattern: '^[0-9]{1,18}$', description: 'numeric id as a string' });

export const Tier = Type.Union([
  Type.Literal('free'),
  Type.Literal('career'),
  Type.Literal('business'),
  Type.Literal('sales_navigator'),
]);

export const Member = Type.Object(
  {
    id: Type.String(),
    handle: Type.String(),
    kind: Type.Union([Type.Literal('person'), Type.Literal('page')]),
    name: Type.String(),
    headline: Type.String(),
    tier: Tier,
    status: Type.Union([
      Type.Literal('active'),
      Type.Literal('deactivated'),
      Type.Literal('closed'),
      Type.Literal('restricted'),
    ]),
  },
  { additionalProperties: false },
);

/** Settings.openTo (DOMAIN.md 7): shown on the profile to viewers within profileVisibility. */
export const OpenTo = Type.Object({ jobs: Type.Boolean(), mentoring: Type.Boolean() }, { additionalProperties: false });
/** Settings.requestFilters (DOMAIN.md 9). */
export const RequestFilters = Type.Object(
  { newAccounts: Type.Boolean(), noSharedConnections: Type.Boolean(), notFollowed: Type.Boolean() },
  { additionalProperties: false },
);
/** Settings.notifications: each kind of Notification on or off. */
export const NotificationKinds = Type.Object(Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, Type.Boolean()])), { additionalProperties: false });

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
/** Any fields of Settings; the nested objects may name some of their fields (unknown kinds or fields: 400). */
export const SettingsPatch = Type.Partial(
  Type.Object({
    ...Settings.properties,
    openTo: Type.Partial(OpenTo, { additionalProperties: false }),
    requestFilters: Type.Partial(RequestFilters, { additionalProperties: false }),
    notifications: Type.Partial(NotificationKinds, { additionalProperties: false }),
  }),
  { additionalProperties: false, minProperties: 1 },
);

/** One flat object for the Unlock union of API.md (kind says which fields are present). */
export const Unlock = Type.Object({
  kind: Type.Union([Type.Literal('upgrade'), Type.Literal('inmail'), Type.Literal('connect'), Type.Literal('introduction'), Type.Literal('wait'), Type.Literal('remove_connection')]),
  tier: Type.Optional(Tier),
  credits: Type.Optional(Type.Integer()),
  via: Type.Optional(Type.Array(Type.String())),
  until: Type.Optional(Type.String({ format: 'date-time' })),
});

export const Channel = Type.Union(
  ['direct', 'open_profile', 'tier_reach', 'group', 'open_inbox', 'page', 'inmail', 'introduction'].map((c) => Type.Literal(c)),
);

export const Decision = Type.Object({
  allowed: Type.Boolean(),
  channel: Type.Optional(Channel),
  delivery: Type.Optional(Type.Union([Type.Literal('inbox'), Type.Literal('request')])),
  cost: Type.Optional(Type.Object({ inmailCredits: Type.Integer() })),
  reason: Type.String(),
  unlock: Type.Array(Unlock),
});

export const Profile = Type.Object({
  member: Member,
  full: Type.Boolean(),
  about: Type.Optional(Type.String()),
  openTo: Type.Optional(OpenTo),
  degree: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Null()]),
  mutualConnections: Type.Object({ count: Type.Union([Type.Integer(), Type.Null()]), sample: Type.Array(Member) }),
  relationship: Type.Object({
    connected: Type.Boolean(),
    following: Type.Boolean(),
    followedBy: Type.Boolean(),
    invitation: Type.Union([
      Type.Null(),
      Type.Object({ id: Type.String(), direction: Type.Union([Type.Literal('sent'), Type.Literal('received')]) }),
    ]),
  }),
  primaryAction: Type.Union(['none', 'connect', 'message', 'follow', 'pending', 'accept'].map((c) => Type.Literal(c))),
  actions: Type.Object({ connect: Decision, message: Decision, inmail: Decision, follow: Decision }),
});

export const Invitation = Type.Object({
  id: Type.String(),
  from: Member,
  to: Member,
  note: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union(['pending', 'accepted', 'ignored', 'withdrawn', 'expired'].map((c) => Type.Literal(c))),
  createdAt: Type.String({ format: 'date-time' }),
});

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      unlock: Type.Optional(Type.Array(Unlock)),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
  },
  {},
);

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const ListQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  },
  { additionalProperties: false },
);

/** Parses `limit` (≤ 100, default 20). */
export function parseLimit(limit: string | undefined, dflt = 20): number {
  if (limit === undefined) return dflt;
  const n = Number(limit);
  return Math.max(1, Math.min(100, n));
}

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  429: ErrorBody,
};

/** The largest value of a PostgreSQL `integer` (member ids, offsets): a cursor above it cannot name a row. */
export const INT4_MAX = 2_147_483_647;

/**
 * Parses a numeric keyset cursor no larger than `max` (what the column it is compared with holds:
 * an `integer` by default, `Number.MAX_SAFE_INTEGER` for `bigint` ids); anything else is a 400
 * naming `cursor`, never the storage error an out-of-range value would cause.
 */
export function parseCursor(cursor: string | undefined, max: number = INT4_MAX): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(cursor) || Number(cursor) > max) {
    const e = new Error('cursor: not a cursor this list gave') as Error & { statusCode: number; validation: unknown[]; validationContext: string };
    e.statusCode = 400;
    e.validation = [{ instancePath: '/cursor', keyword: 'pattern', message: 'not a cursor this list gave', params: {} }];
    e.validationContext = 'querystring';
    throw e;
  }
  return Number(cursor);
}

export function page(q: { cursor?: string; limit?: string }, max: number = INT4_MAX) {
  return { cursor: parseCursor(q.cursor, max), limit: parseLimit(q.limit) };
}

/** The instants PostgreSQL's timestamptz and JavaScript's Date both hold, and ISO 8601 writes plainly: years 1 to 9999. */
export const MIN_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** A date-time from a request as a Date; 400 naming `field` when it is not a real instant of years 1 to 9999. */
export function parseInstant(value: string, field: string): Date {
  const t = Date.parse(value);
  if (!Number.isFinite(t) || t < MIN_INSTANT || t > MAX_INSTANT)
    throw badRequest(`${field}: not a date-time between years 1 and 9999`, { field });
  return new Date(t);
}

