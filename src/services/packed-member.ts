/**
 * A member record as the read model keeps it (issue 17's memory budget: bench/RESULTS.md "Read model
 * memory"). The loader's record is one object of fourteen fields, five strings of their own and a
 * boxed creation time; the read model held it behind an entry object of its own. Packed, a member is
 * one object that is also its read model entry (`at`, `stamp`, `hit`): the handle (the handle
 * index's key, so it stays a string of its own); the name, headline, e-mail and about in one string,
 * their lengths in one small integer; kind, status, tier, the two flags, the mark of use and the
 * creation time's low bits in another, its high bits in a third. A read makes the record again
 * (`record`): one object and a few substrings, short-lived.
 *
 * A member whose fields do not pack (a field before the about longer than 1,023 characters, a word
 * not on its list, a creation time not a whole millisecond or more than 35,000 years from 1970) keeps
 * its record as it came, in `rest`: packed or not, `record` answers a record equal to the one put.
 */
import { TIERS } from '../policy/policy.js';
import { LoadedMember, MEMBER_KINDS, MEMBER_STATUSES, type MemberRecord } from './records.js';

/**
 * Bits of `bits`: kind (1), status (2), tier (2), restricted, bulk-flagged, no e-mail, the read
 * model's mark of use (`hit`), then the creation time's low 21 bits: 30 bits in all, a small
 * integer on every V8.
 */
const KIND = 0;
const STATUS = 1;
const TIER = 3;
const RESTRICTED = 1 << 5;
const BULK = 1 << 6;
const NO_EMAIL = 1 << 7;
const HIT = 1 << 8;
const CREATED_LOW = 9;

/** Three lengths of up to 10 bits each in `rest` (30 bits: a small integer on every V8). */
const LEN_BITS = 10;
const LEN_MAX = (1 << LEN_BITS) - 1;
/** The creation time's low part: 2^21 ms; the high part is under 2^22 for any date before 2200 (packed while under 2^29). */
const LOW = 2 ** 21;
const HIGH_MAX = 2 ** 29;

export class PackedMember {
  /** when it was read, on the read model's clock (see Stamped in cache.ts) */
  at = 0;
  stamp = 0;
  readonly id: number;
  readonly handle: string;
  private readonly text: string;
  /** the lengths of name, headline and e-mail in `text` (a small integer), or the whole record when it does not pack */
  private readonly rest: number | MemberRecord;
  private bits: number;
  private readonly createdHigh: number;
  private readonly tierUntil: Date | null;
  private readonly settings: MemberRecord['settings'];

  constructor(m: MemberRecord) {
    this.id = m.id;
    this.handle = m.handle;
    const email = m.email ?? '';
    const kind = MEMBER_KINDS.indexOf(m.kind);
    const status = MEMBER_STATUSES.indexOf(m.status);
    const tier = (TIERS as readonly string[]).indexOf(m.tier);
    const packs =
      m.name.length <= LEN_MAX &&
      m.headline.length <= LEN_MAX &&
      email.length <= LEN_MAX &&
      kind >= 0 &&
      status >= 0 &&
      tier >= 0 &&
      Number.isInteger(m.createdMs) &&
      Math.abs(m.createdMs) < LOW * HIGH_MAX;
    const high = Math.floor(m.createdMs / LOW);
    if (packs) {
      // joined, not concatenated: `+` makes a tree of the parts (32 bytes a join, the parts kept
      // alive) until something reads it through; join writes one flat string
      this.text = [m.name, m.headline, email, m.about].join('');
      this.rest = m.name.length | (m.headline.length << LEN_BITS) | (email.length << (2 * LEN_BITS));
      this.bits =
        (kind << KIND) |
        (status << STATUS) |
        (tier << TIER) |
        (m.restricted ? RESTRICTED : 0) |
        (m.bulkFlagged ? BULK : 0) |
        (m.email === null ? NO_EMAIL : 0) |
        ((m.createdMs - high * LOW) << CREATED_LOW);
      this.createdHigh = high | 0;
    } else {
      this.text = '';
      this.rest = m;
      this.bits = 0;
      this.createdHigh = 0;
    }
    this.tierUntil = m.tierUntil;
    this.settings = m.settings;
  }

  /** used since the read model's Lru last looked (its second chance) */
  get hit(): boolean {
    return (this.bits & HIT) !== 0;
  }
  set hit(v: boolean) {
    this.bits = v ? this.bits | HIT : this.bits & ~HIT;
  }

  /** The member record, made anew (equal to the one put). */
  record(): MemberRecord {
    const rest = this.rest;
    if (typeof rest !== 'number') return rest;
    const t = this.text;
    const name = rest & LEN_MAX;
    const headline = name + ((rest >>> LEN_BITS) & LEN_MAX);
    const email = headline + ((rest >>> (2 * LEN_BITS)) & LEN_MAX);
    const b = this.bits;
    return new LoadedMember({
      id: this.id,
      handle: this.handle,
      kind: MEMBER_KINDS[(b >>> KIND) & 1],
      name: t.slice(0, name),
      headline: t.slice(name, headline),
      about: t.slice(email),
      email: b & NO_EMAIL ? null : t.slice(headline, email),
      status: MEMBER_STATUSES[(b >>> STATUS) & 3],
      restricted: (b & RESTRICTED) !== 0,
      bulkFlagged: (b & BULK) !== 0,
      createdMs: this.createdHigh * LOW + (b >>> CREATED_LOW),
      tier: TIERS[(b >>> TIER) & 3],
      tierUntil: this.tierUntil,
      settings: this.settings,
    });
  }
}
