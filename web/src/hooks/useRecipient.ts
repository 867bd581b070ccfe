/**
 * Whether and how the caller can message one member: the message decision (GET
 * /v1/members/:handle/decisions/message) and, from the profile, the InMail decision and the name.
 */
import { api, type Decision, type Member } from '../api';
import { rememberName } from './useMemberNames';
import { useAsync } from './useAsync';

export interface RecipientCheck {
  decision: Decision;
  member: Member | null;
  inmail: Decision | null;
}

export function useRecipient(handle: string | null, as: string | null) {
  return useAsync<RecipientCheck | null>(
    async (signal) => {
      if (!handle) return null;
      const [d, p] = await Promise.all([api.messageDecision(handle, signal), api.profile(handle, signal).catch(() => null)]);
      if (p) rememberName(p.member.handle, p.member.name);
      return { decision: d, member: p?.member ?? null, inmail: p?.actions?.inmail ?? null };
    },
    [handle, as],
  );
}

/**
 * What the compose screen offers: free when a free channel applies; InMail only when no free channel
 * applies and the InMail decision allows it (the server checks the credits; issue 23).
 */
export function messageOffer(check: RecipientCheck | null): { free: boolean; inmail: boolean; cost: number } {
  if (!check) return { free: false, inmail: false, cost: 0 };
  const d = check.decision;
  const cost = d.cost?.inmailCredits ?? 0;
  const free = d.allowed && d.channel !== 'inmail' && cost === 0;
  if (free) return { free, inmail: false, cost: 0 };
  if (d.allowed) {
    return { free: false, inmail: true, cost: cost || 1 };
  }
  const i = check.inmail;
  const c = i?.cost?.inmailCredits ?? 1;
  // the InMail decision is the server's: allowed only when the caller has the credits and the recipient accepts InMail
  return { free: false, inmail: !!i?.allowed, cost: c };
}
