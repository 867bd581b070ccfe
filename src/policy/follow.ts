/** Following (DOMAIN.md 2): one-way, for persons and pages alike. */
import type { Facts } from './facts.js';
import { DEFAULT_POLICY, type Policy } from './policy.js';
import { ACTOR_TARGET_RULES, firstDenial } from './rules.js';
import { allow, type Decision } from './types.js';

/**
 * May the viewer follow the member? Denied only for a deactivated or closed viewer
 * (`sender_inactive`; a restricted member may follow, DOMAIN.md 1), oneself (`self`) and a member
 * who does not exist for the viewer (`recipient_unavailable`). Already following is `ok`.
 */
export function decideFollow(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return firstDenial(ACTOR_TARGET_RULES, { facts, now, policy }) ?? allow();
}
