/** DOMAIN.md 1 (tiers lapse at their end date) and the tier helpers. */
import { describe, expect, it } from 'vitest';
import {
  TIERS,
  cheapestPaidTier,
  cheapestTierReaching,
  cheapestTierWithCredits,
  DEFAULT_POLICY,
  effectiveTier,
  isPremium,
  resolvePolicy,
  spendableCredits,
  tierChangeGrant,
  type Degree,
  type Tier,
} from '../../src/policy/index.js';
import { NOW } from './fixtures.js';

const at = (iso: string) => new Date(iso);

describe('effectiveTier: a lapsed tier is free at once', () => {
  const rows: [string, { kind: 'person' | 'page'; tier: Tier; tierUntil: Date | null }, Tier][] = [
    ['free stays free', { kind: 'person', tier: 'free', tierUntil: null }, 'free'],
    ['paid without end date', { kind: 'person', tier: 'career', tierUntil: null }, 'career'],
    ['paid, ends in 1 ms', { kind: 'person', tier: 'business', tierUntil: new Date(NOW.getTime() + 1) }, 'business'],
    ['paid, ends exactly now (end is exclusive)', { kind: 'person', tier: 'business', tierUntil: NOW }, 'free'],
    ['paid, ended a year ago', { kind: 'person', tier: 'sales_navigator', tierUntil: at('2024-03-12T00:00:00Z') }, 'free'],
    ['a page has no tier', { kind: 'page', tier: 'business', tierUntil: null }, 'free'],
  ];
  it.each(rows)('%s → %s', (_n, m, tier) => {
    expect(effectiveTier(m, NOW)).toBe(tier);
    expect(isPremium(m, NOW)).toBe(tier !== 'free');
  });
});

describe('reach and credits', () => {
  it.each([
    [1, 'free'],
    [2, 'career'],
    [3, 'business'],
    [null, null],
  ] as [Degree, Tier | null][])('cheapestTierReaching(%s) = %s', (degree, tier) => {
    expect(cheapestTierReaching(degree, DEFAULT_POLICY)).toBe(tier);
  });
  it('follows the policy', () => {
    expect(cheapestTierReaching(3, resolvePolicy({ tierReach: { business: 2 } }))).toBe('sales_navigator');
    expect(cheapestTierReaching(3, resolvePolicy({ tierReach: { business: 2, sales_navigator: 2 } }))).toBe(null);
    expect(cheapestTierWithCredits('free', DEFAULT_POLICY)).toBe('career');
    expect(cheapestTierWithCredits('free', resolvePolicy({ inmailMonthlyCredits: { career: 0 } }))).toBe('business');
    // from a paid tier only an upgrade to a larger monthly amount grants (DOMAIN.md 5): a renewal or a downgrade grants nothing
    const m = DEFAULT_POLICY.inmailMonthlyCredits;
    for (const current of TIERS) {
      const t = cheapestTierWithCredits(current, DEFAULT_POLICY);
      if (current === 'free') continue;
      // what the unlock offers is a change the grant rule grants for (tierChangeGrant), and the cheapest
      if (t !== null)
        expect(
          tierChangeGrant({ kind: 'person', tier: current, tierUntil: null }, { kind: 'person', tier: t, tierUntil: null }, NOW, DEFAULT_POLICY),
          `${current} -> ${t}`,
        ).toBe('upgrade');
      const granting = TIERS.filter(
        (x) => tierChangeGrant({ kind: 'person', tier: current, tierUntil: null }, { kind: 'person', tier: x, tierUntil: null }, NOW, DEFAULT_POLICY) !== null,
      );
      expect(t, `${current}: the cheapest that grants`).toBe(granting[0] ?? null);
    }
    expect(cheapestTierWithCredits('career', DEFAULT_POLICY)).not.toBe('career');
    expect(cheapestTierWithCredits('business', DEFAULT_POLICY)).not.toBe('career');
    // the grant's rule, not the tiers' order: a policy where career grants more than business
    const odd = resolvePolicy({ inmailMonthlyCredits: { career: 20, business: 15 } });
    expect(cheapestTierWithCredits('business', odd)).toBe('career');
    expect(tierChangeGrant({ kind: 'person', tier: 'business', tierUntil: null }, { kind: 'person', tier: 'career', tierUntil: null }, NOW, odd)).toBe(
      'upgrade',
    );
    expect(cheapestPaidTier()).toBe('career');
  });
  it('spendable credits: none on a free or lapsed tier, never negative', () => {
    expect(spendableCredits({ kind: 'person', tier: 'career', tierUntil: null }, 7, NOW)).toBe(7);
    expect(spendableCredits({ kind: 'person', tier: 'career', tierUntil: NOW }, 7, NOW)).toBe(0);
    expect(spendableCredits({ kind: 'person', tier: 'free', tierUntil: null }, 7, NOW)).toBe(0);
    expect(spendableCredits({ kind: 'person', tier: 'career', tierUntil: null }, -2, NOW)).toBe(0);
  });
});
