/** DOMAIN.md 2, groups: joining, managing, leaving. */
import { describe, expect, it } from 'vitest';
import { groupPermission, joinOutcome, mayRemoveFromGroup } from '../../src/policy/index.js';

describe('groups', () => {
  it('open joins at once, approval makes a request', () => {
    expect(joinOutcome('open')).toBe('member');
    expect(joinOutcome('approval')).toBe('pending');
  });
  it.each([
    [{ member: false, admin: false, admins: 1 }, 'list_members', 'not_member'],
    [{ member: true, admin: false, admins: 1 }, 'list_members', 'ok'],
    [{ member: true, admin: false, admins: 1 }, 'manage', 'not_admin'],
    [{ member: true, admin: true, admins: 1 }, 'manage', 'ok'],
    [{ member: true, admin: true, admins: 1 }, 'leave', 'last_admin'],
    [{ member: true, admin: true, admins: 2 }, 'leave', 'ok'],
    [{ member: true, admin: false, admins: 1 }, 'leave', 'ok'],
    [{ member: false, admin: false, admins: 1 }, 'leave', 'not_member'],
  ] as const)('%o %s → %s', (place, action, answer) => {
    expect(groupPermission(place, action)).toBe(answer);
  });
  it('never removes the last admin', () => {
    expect(mayRemoveFromGroup({ member: true, admin: true, admins: 1 })).toBe(false);
    expect(mayRemoveFromGroup({ member: true, admin: true, admins: 2 })).toBe(true);
    expect(mayRemoveFromGroup({ member: true, admin: false, admins: 1 })).toBe(true);
    expect(mayRemoveFromGroup({ member: false, admin: false, admins: 1 })).toBe(false);
  });
});
