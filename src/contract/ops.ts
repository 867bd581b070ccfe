/**
 * Shapes of the operator's routes that are not part of API.md (hidden from the served OpenAPI
 * document, like /metrics): they describe one instance, not the network.
 */
import { Type, type Static } from '@sinclair/typebox';
import { literals } from './schemas.js';

/**
 * The kinds of entries of an instance's read model (docs/architecture.md, src/services/cache.ts),
 * and `counter_rows`: the counter rows (member_counters) of the members whose counters it holds,
 * against the history they count (both tables, one snapshot).
 */
export const READ_MODEL_KINDS = ['member', 'handle', 'session', 'roster', 'counters', 'counter_rows'] as const;
export const ReadModelKind = literals(READ_MODEL_KINDS);
export type ReadModelKind = Static<typeof ReadModelKind>;

/** Per kind: entries compared with the tables, those of them that differ, and those skipped because their member changed while checking. */
export const ReadModelCount = Type.Object(
  { checked: Type.Integer({ minimum: 0 }), differing: Type.Integer({ minimum: 0 }), skipped: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type ReadModelCount = Static<typeof ReadModelCount>;

/** One field where the instance's read model and the tables disagree. */
export const ReadModelDifference = Type.Object(
  {
    kind: ReadModelKind,
    /** the member the entry is about (the viewer of a roster or counter row; the owner of a session) */
    memberId: Type.Union([Type.String(), Type.Null()]),
    handle: Type.Union([Type.String(), Type.Null()]),
    /** the field, e.g. `headline`, `settings.messagePolicy`, `pairs[42].block`, `session <id>`, `msg1m` */
    field: Type.String(),
    /** what the read model serves (null: nothing) */
    cached: Type.Unknown(),
    /** what the tables hold (null: nothing) */
    table: Type.Unknown(),
  },
  { additionalProperties: false },
);
export type ReadModelDifference = Static<typeof ReadModelDifference>;

/** GET /admin/read-model/verify: the instance's read model compared with the tables (`liaison verify`). */
export const ReadModelReport = Type.Object(
  {
    /** the instance that answered (its realtime origin id), null without one */
    instance: Type.Union([Type.String(), Type.Null()]),
    /** when the check began (ISO 8601) */
    at: Type.String(),
    /** how long it took, the second look at suspected differences included */
    ms: Type.Integer({ minimum: 0 }),
    kinds: Type.Object(
      {
        member: ReadModelCount,
        handle: ReadModelCount,
        session: ReadModelCount,
        roster: ReadModelCount,
        counters: ReadModelCount,
        counter_rows: ReadModelCount,
      },
      { additionalProperties: false },
    ),
    /** at most `limit` of them, the first found */
    differences: Type.Array(ReadModelDifference),
    /** more fields differ than are listed */
    truncated: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type ReadModelReport = Static<typeof ReadModelReport>;
