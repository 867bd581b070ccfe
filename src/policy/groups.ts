/**
 * Groups (DOMAIN.md 2): the creator is the first admin; admins may require approval to join,
 * approve or decline requests, remove members and add admins (from the members); switching to open
 * approves what is pending; the last admin cannot leave. Fellow members (approved ones only) may
 * message each other (the group channel, DOMAIN.md 5).
 */
export type JoinPolicy = 'open' | 'approval';

/** Where a join lands: a member at once, or a request that an admin approves. */
export function joinOutcome(policy: JoinPolicy): 'member' | 'pending' {
  return policy === 'open' ? 'member' : 'pending';
}

/** What a member's place in a group lets them do. */
export interface GroupPlace {
  member: boolean;
  admin: boolean;
  /** Admins of the group (the member counted if they are one). */
  admins: number;
}

export type GroupAction = 'manage' | 'list_members' | 'leave' | 'remove_admin_target';

/**
 * May the member do this in the group? `manage` (join policy, requests, removing, adding admins):
 * admins only. `list_members`: members only. `leave`: a member, unless they are the last admin.
 * The answer says why not: `not_member`, `not_admin`, `last_admin`.
 */
export function groupPermission(place: GroupPlace, action: Exclude<GroupAction, 'remove_admin_target'>): 'ok' | 'not_member' | 'not_admin' | 'last_admin' {
  if (!place.member) return 'not_member';
  if (action === 'list_members') return 'ok';
  if (action === 'manage') return place.admin ? 'ok' : 'not_admin';
  return place.admin && place.admins <= 1 ? 'last_admin' : 'ok';
}

/** Removing a member: an admin may remove anyone but the last admin (the group keeps one). */
export function mayRemoveFromGroup(target: GroupPlace): boolean {
  return target.member && !(target.admin && target.admins <= 1);
}
