/** Following (DOMAIN.md 2): one-way, for persons and pages alike. */
import type { Facts } from '../../../src/policy/facts.js';
import { DEFAULT_POLICY, type Policy } from '../../../src/policy/policy.js';
import { ACTOR_RULES, decideWith, TARGET_RULES } from './rules.js';
import { allow, type Decision } from './types.js';

/**
 * May the viewer follow the member? Denied only for a deactivated or closed viewer
 * (`sender_inactive`; a restricted member may follow, DOMAIN.md 1), oneself (`self`) and a member
 * who does not exist for the viewer (`recipient_unavailable`). Already following is `ok`.
 */
export function decideFollow(facts: Facts, now: Date, policy: Policy = DEFAULT_POLICY): Decision {
  return decideWith(facts, now, policy, [...ACTOR_RULES, ...TARGET_RULES], () => allow());
}
