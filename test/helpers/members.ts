/** Member records as the loaders make them, for tests of the read model without a store. */
import { DEFAULT_SETTINGS } from '../../src/policy/types.js';
import { LoadedMember, type MemberRecord } from '../../src/services/records.js';

export function memberRecord(id: number, handle = `m${id}`, over: Partial<Omit<MemberRecord, 'createdAt'>> = {}): MemberRecord {
  return new LoadedMember({
    id,
    handle,
    kind: 'person',
    name: `Member ${id}`,
    headline: '',
    about: '',
    email: `${handle}@example.test`,
    status: 'active',
    restricted: false,
    bulkFlagged: false,
    createdMs: Date.UTC(2026, 0, 1),
    tier: 'free',
    tierUntil: null,
    settings: DEFAULT_SETTINGS,
    ...over,
  });
}
