/**
 * Services count, the policy decides: every rule the policy exports is the one the rest of src/
 * calls. A rule function that nothing outside src/policy calls means a service re-states the rule
 * (the drift issue 14 found), so this test names it. Exports that are the policy's own building
 * blocks or test support are listed below with the reason they have no caller outside the policy.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as policy from '../../src/policy/index.js';

const INTERNAL: Record<string, string> = {
  // ordered rule tables: read by the decide* functions and the table tests
  ACCEPT_RULES: 'table',
  BLOCK_RULES: 'table',
  CHANNEL_RULES: 'table',
  DELIVERY: 'table',
  IGNORE_RULES: 'table',
  INVITATION_RULES: 'table',
  MESSAGE_RULES: 'table',
  PRIMARY_RULES: 'table',
  REASONS: 'the reason vocabulary (tests check every reason is reachable)',
  INMAIL_COST: 'inside the message decision and the ledger rules',
  MINUTE_MS: 'unit',
  PolicySchema: 'read through resolvePolicy',
  DEFAULT_POLICY: 'read through resolvePolicy',
  deepMerge: 'read through resolvePolicy',
  // pieces of decisions, exported for their own table tests
  applicableChannels: 'part of decideMessage',
  cheapestPaidTier: 'part of the unlocks',
  cheapestTierReaching: 'part of the unlocks',
  cheapestTierWithCredits: 'part of the unlocks',
  hasNote: 'read through noteOf',
  inmailBalanceCap: 'part of grantInmailCredits',
  isPremium: 'part of the tier rules',
  isSelf: 'part of the target rules',
  messageTooLong: 'part of decideMessage',
  profileActions: 'part of decideProfile',
  quotaFacts: 'test fixture builder',
  showTypingIndicators: 'part of mayTellTyping',
  showReadReceipts: 'part of readIsTold',
  spendableCredits: 'part of decideMessage',
  startOfNextMonthUTC: 'part of the wait unlocks',
  tierRank: 'part of the unlocks',
  tierReaches: 'part of the channel rules',
  waitUntil: 'part of the wait unlocks',
  matchingRequestFilter: 'part of requestFolder',
  REQUEST_FILTERS: 'the order matchingRequestFilter checks',
  wordMatch: 'part of searchMatch',
  ASK_RULES: 'table',
  introductionsPausedUntil: 'part of decideIntroductionAsk',
  INTRODUCTION_DECLINES_TO_PAUSE: 'part of introductionsPausedUntil',
};

function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('services count, the policy decides', () => {
  const root = join(import.meta.dirname, '../../src');
  const outside = sources(root)
    .filter((f) => !f.includes(`${join('src', 'policy')}`))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const exported = Object.keys(policy).filter((k) => !(k in INTERNAL));

  it.each(exported)('%s has a caller outside src/policy', (name) => {
    expect(new RegExp(`\\b${name}\\b`).test(outside), `${name} is exported by src/policy but nothing in src/ calls it`).toBe(true);
  });

  it('the internal list names only real exports', () => {
    for (const k of Object.keys(INTERNAL)) expect(k in policy, k).toBe(true);
  });
});
