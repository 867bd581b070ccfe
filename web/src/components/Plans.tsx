/**
 * The plans of this network, one highlighted (#/plans/<tier>, from a denial's "ask your
 * administrator" link). Liaison is self-hosted: its administrator grants plans; nothing is sold here.
 */
import type { Tier } from '../api';
import { useSession } from '../session';
import { plural, tierName, TIER_NAMES } from '../text';
import { ScreenHeading } from './common';

export function PlansScreen({ highlight }: { highlight: string | null }) {
  const { policy, me } = useSession();
  const tiers = Object.keys(TIER_NAMES) as Tier[];
  const reach = (n: number) => (n >= 3 ? '1st, 2nd and 3rd degree' : n === 2 ? '1st and 2nd degree' : '1st degree');
  const wanted = tiers.find((t) => t === highlight);
  return (
    <div className="plans-screen" data-testid="plans">
      <ScreenHeading>{wanted ? `The ${tierName(wanted)} plan` : 'Plans'}</ScreenHeading>
      <p>
        This Liaison network is run by its administrator, who grants plans to members.{' '}
        {wanted && me?.member.tier !== wanted ? `To get ${tierName(wanted)}, ask your administrator for it.` : ''}
      </p>
      <ul className="plans">
        {tiers.map((t) => (
          <li
            key={t}
            id={`plan-${t}`}
            data-testid={`plan-${t}`}
            className={`plan card ${highlight === t ? 'plan-highlight' : ''} ${me?.member.tier === t ? 'plan-current' : ''}`}
            aria-current={me?.member.tier === t ? 'true' : undefined}
          >
            <strong>{tierName(t)}</strong>
            {me?.member.tier === t && <span className="badge">Your plan</span>}
            {highlight === t && me?.member.tier !== t && <span className="badge badge-premium">Ask your administrator</span>}
            <span>Message for free: {reach(policy.tierReach[t])}</span>
            <span>{plural(policy.inmailMonthlyCredits[t], 'InMail credit')} a month</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
