/**
 * The shapes of a member in the services: the record loaded from the store (with settings and
 * subscription) and API.md's Member. In their own module so that loaders and caches share them
 * without importing each other.
 */
import type { Tier } from '../policy/policy.js';
import type { Settings } from '../policy/types.js';

type SettingsRow = Settings;

export interface MemberRecord {
  id: number;
  handle: string;
  kind: 'person' | 'page';
  name: string;
  headline: string;
  about: string;
  email: string | null;
  status: 'active' | 'deactivated' | 'closed';
  restricted: boolean;
  bulkFlagged: boolean;
  /** When the account was made, in ms: what the record keeps (a number costs the read model 16 bytes a member, a Date 112). */
  createdMs: number;
  /** The same as a Date, made on each read (a getter of the loader's records: src/services/members.ts). */
  readonly createdAt: Date;
  /** The subscribed tier, lapsed or not; effectiveTier (src/policy/tier.ts) gives the one in force. */
  tier: Tier;
  tierUntil: Date | null;
  settings: SettingsRow;
}

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Member as ApiMember } from '../contract/index.js';
export type { ApiMember };
