/**
 * Message-request filters (DOMAIN.md 9): a request whose sender matches a filter the recipient
 * turned on lands in the `filtered` folder, without a notification. Applied once, when a request
 * arrives, and only to messages delivered as requests. Pure: the service counts (the sender's
 * account age, mutual connections, whether the recipient follows the sender) and asks here.
 */
import { DAY_MS } from './time.js';
import type { Policy } from './policy.js';
import type { Delivery, Settings } from './types.js';

export type RequestFilter = keyof Settings['requestFilters'];
/** The filters in the order they are checked (the first that matches is named). */
export const REQUEST_FILTERS: readonly RequestFilter[] = ['newAccounts', 'noSharedConnections', 'notFollowed'];

/** What the service knows about the sender, as the recipient relates to them. */
export interface RequestFilterFacts {
  /** when the sender's account was created */
  senderCreatedAt: Date;
  /** mutual connections of the recipient and the sender */
  mutualConnections: number;
  /** the recipient follows the sender */
  recipientFollowsSender: boolean;
}

/** The first enabled filter the sender matches, or null. */
export function matchingRequestFilter(
  filters: Settings['requestFilters'],
  facts: RequestFilterFacts,
  now: Date,
  policy: Pick<Policy, 'newAccountDays'>,
): RequestFilter | null {
  const matches: Record<RequestFilter, () => boolean> = {
    // younger than newAccountDays: created after now - newAccountDays
    newAccounts: () => facts.senderCreatedAt.getTime() > now.getTime() - policy.newAccountDays * DAY_MS,
    noSharedConnections: () => facts.mutualConnections === 0,
    notFollowed: () => !facts.recipientFollowsSender,
  };
  for (const f of REQUEST_FILTERS) if (filters[f] && matches[f]()) return f;
  return null;
}

/**
 * The folder a message lands in for its recipient: the inbox for an inbox delivery; for a request,
 * `filtered` when an enabled filter matches the sender, `requests` otherwise.
 */
export function requestFolder(
  delivery: Delivery,
  filters: Settings['requestFilters'],
  facts: RequestFilterFacts,
  now: Date,
  policy: Pick<Policy, 'newAccountDays'>,
): 'inbox' | 'requests' | 'filtered' {
  if (delivery !== 'request') return 'inbox';
  return matchingRequestFilter(filters, facts, now, policy) === null ? 'requests' : 'filtered';
}
