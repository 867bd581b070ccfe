/**
 * The policy: every number the rules use, as data. Defaults are API.md "Running", field for field.
 * An operator overrides any subset with a JSON file (LIAISON_POLICY), deep-merged over the defaults.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { TIERS } from '../contract/codes.js';
import { PolicySchema, type Policy } from '../contract/policy.js';

export { PolicySchema, TIERS, type Policy };
export type Tier = keyof Policy['tierReach'];

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
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
  reportMinAccountAgeDays: 7,
  reblockCooldownHours: 48,
  introductionsPerMonth: 10,
  introductionExpiryDays: 14,
  attachmentMaxBytes: 20971520,
  attachmentQuotaBytes: 1073741824,
  uploadsPerHour: 60,
  newAccountDays: 30,
  notificationRetentionDays: 90,
  signupsPerHourPerAddress: 20,
  sessionIdleDays: 30,
});

export class PolicyError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects: `override` wins key by key; arrays and scalars are replaced. */
export function deepMerge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    out[k] = k in out ? deepMerge(out[k], v) : v;
  }
  return out as T;
}

/** Checks an override's keys against the schema (unknown keys name their full path). */
function checkKeys(schema: TSchema, value: unknown, path: string): void {
  if (!isPlainObject(value)) return;
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!props) return;
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in props)) throw new PolicyError(`unknown policy key "${p}"`, p);
    checkKeys(props[k], v, p);
  }
}

/**
 * Validates a partial override and merges it over `base` (the defaults unless given).
 * Throws PolicyError naming the offending key for an unknown key or a wrong type.
 */
export function resolvePolicy(override: unknown, base: Policy = DEFAULT_POLICY): Policy {
  if (override === undefined || override === null) return structuredClone(base);
  if (!isPlainObject(override)) throw new PolicyError('the policy override must be a JSON object', '(root)');
  checkKeys(PolicySchema, override, '');
  const merged = deepMerge(structuredClone(base), override);
  const first = [...Value.Errors(PolicySchema, merged)][0];
  if (first) {
    const key = first.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    throw new PolicyError(`invalid policy value for "${key}": ${first.message}`, key);
  }
  return merged;
}
