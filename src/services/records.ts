/**
 * The shapes of a member in the services: the record loaded from the store (with settings and
 * subscription) and API.md's Member. In their own module so that loaders and caches share them
 * without importing each other.
 */
import type { Tier } from '../policy/policy.js';
import type { Settings } from '../policy/types.js';

type SettingsRow = Settings;

/** The words of a record's kind and status, in a fixed order (the loaders keep these very strings; the read model packs their index). */
export const MEMBER_KINDS = ['person', 'page'] as const;
export const MEMBER_STATUSES = ['active', 'deactivated', 'closed'] as const;

/**
 * The words a record keeps from a short list (kind, status, tier) as the list's own strings: the
 * driver makes a new string for each row, and the read model would keep one of each per member.
 */
export function word<T extends string>(list: readonly T[], v: unknown): T {
  for (const w of list) if (w === v) return w;
  return v as T;
}

export interface MemberRecord {
  id: number;
  handle: string;
  kind: (typeof MEMBER_KINDS)[number];
  name: string;
  headline: string;
  about: string;
  email: string | null;
  status: (typeof MEMBER_STATUSES)[number];
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

/**
 * A member record as the loaders make it: plain fields, `createdAt` made from `createdMs` when read
 * (on the prototype: no field of its own). A copy with some fields changed: `withFields`, not a
 * spread (a spread leaves the getter behind).
 */
export class LoadedMember implements MemberRecord {
  id: number;
  handle: string;
  kind: MemberRecord['kind'];
  name: string;
  headline: string;
  about: string;
  email: string | null;
  status: MemberRecord['status'];
  restricted: boolean;
  bulkFlagged: boolean;
  createdMs: number;
  tier: Tier;
  tierUntil: Date | null;
  settings: SettingsRow;
  constructor(m: Omit<MemberRecord, 'createdAt'>) {
    this.id = m.id;
    this.handle = m.handle;
    this.kind = m.kind;
    this.name = m.name;
    this.headline = m.headline;
    this.about = m.about;
    this.email = m.email;
    this.status = m.status;
    this.restricted = m.restricted;
    this.bulkFlagged = m.bulkFlagged;
    this.createdMs = m.createdMs;
    this.tier = m.tier;
    this.tierUntil = m.tierUntil;
    this.settings = m.settings;
  }
  get createdAt(): Date {
    return new Date(this.createdMs);
  }
}

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Member as ApiMember } from '../contract/index.js';
export type { ApiMember };
