/**
 * The vocabulary of decisions: API.md "Types" (Decision, Unlock, Settings) and its reason codes.
 * Everything here is plain data, JSON-ready as it is (times are ISO 8601 UTC strings).
 */
import { REASONS, type Delivery, type Reason } from '../../../src/contract/codes.js';
import {
  DEFAULT_SETTINGS,
  type Channel,
  type Decision,
  type Degree,
  type MemberStatus,
  type PrimaryAction,
  type Settings,
  type Unlock,
} from '../../../src/contract/schemas.js';

/** The vocabulary is the contract's (src/contract): reasons, channels, decisions, unlocks, settings. */
export { REASONS };
export type { Channel, Decision, Degree, Delivery, MemberStatus, PrimaryAction, Reason, Settings, Unlock };

/** What an InMail costs, and what the `inmail` unlock offers (DOMAIN.md 5: "it costs 1 InMail credit"). */
export const INMAIL_COST = 1;

export type MemberKind = 'person' | 'page';

/** API.md's defaults, field for field (the contract's). */
export { DEFAULT_SETTINGS };

/** The four action decisions a Profile carries (API.md `Profile.actions`). */
export interface ProfileActions {
  connect: Decision;
  message: Decision;
  inmail: Decision;
  follow: Decision;
}

/** An allowed decision (`reason: 'ok'`), with the channel fields when given. */
export function allow(extra: Pick<Decision, 'channel' | 'delivery' | 'cost'> = {}): Decision {
  const d: Decision = { allowed: true, reason: 'ok', unlock: [] };
  if (extra.channel !== undefined) d.channel = extra.channel;
  if (extra.delivery !== undefined) d.delivery = extra.delivery;
  if (extra.cost !== undefined) d.cost = { ...extra.cost };
  return d;
}

/** A denial with its reason and unlock paths (duplicates removed, order kept). */
export function deny(reason: Reason, unlock: Unlock[] = []): Decision {
  const seen = new Set<string>();
  const unique = unlock.filter((u) => {
    const key = JSON.stringify(u);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { allowed: false, reason, unlock: unique };
}

/**
 * The one answer for a member who does not exist for the viewer: unknown, blocked either way,
 * deactivated or closed. Always a fresh object, identical field for field.
 */
export function recipientUnavailable(): Decision {
  return { allowed: false, reason: 'recipient_unavailable', unlock: [] };
}

/**
 * Seconds until the earliest `wait` unlock of a decision (at least 1), for a Retry-After header;
 * `null` when the decision has no wait.
 */
export function retryAfterSeconds(decision: Decision, now: Date): number | null {
  const waits = decision.unlock.flatMap((u) => (u.kind === 'wait' ? [Date.parse(u.until)] : []));
  if (waits.length === 0) return null;
  return Math.max(1, Math.ceil((Math.min(...waits) - now.getTime()) / 1000));
}
