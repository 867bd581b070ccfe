/**
 * Every reason code a decision can carry (src/policy/types.ts REASONS, API.md's list and ours) has
 * its own sentence in the web UI (web/src/text.ts), never the catch-all "Something went wrong".
 */
import { describe, expect, it } from 'vitest';
import { REASONS } from '../../src/policy/types.js';
// the web UI gets the policy from GET /v1/policy; here, the defaults the server starts with
import { DEFAULT_POLICY } from '../../src/policy/index.js';
import { ERROR_CODES } from '../../src/contract/codes.js';
import { introductionReasonText, reasonAction, reasonText, REASON_TEXT } from '../../web/src/text.js';

describe('web UI wording of reason codes', () => {
  const fallback = reasonText('no_such_code_at_all', DEFAULT_POLICY);

  it.each([...REASONS])('%s has a sentence', (code) => {
    const text = reasonText(code, DEFAULT_POLICY);
    expect(text).not.toBe(fallback);
    expect(text.length).toBeGreaterThan(5);
  });

  // REASON_TEXT is a Record over the contract's ErrorCode union: the compiler fails on a missing code;
  // this checks the sentences are real ones, and that the words are told apart
  it.each([...ERROR_CODES])('error code %s has a sentence', (code) => {
    const text = reasonText(code, DEFAULT_POLICY);
    expect(text).not.toBe(fallback);
    expect(text.length).toBeGreaterThan(5);
  });

  it('has no wording for codes the contract does not know (a typo in REASON_TEXT would be an extra key)', () => {
    const known = new Set<string>([...ERROR_CODES, 'network_error', 'aborted']);
    expect(Object.keys(REASON_TEXT).filter((k) => !known.has(k))).toEqual([]);
  });

  it('recipient_unavailable reads as "not found", not as a block, and offers search', () => {
    expect(reasonText('recipient_unavailable', DEFAULT_POLICY)).toMatch(/couldn't find/);
    expect(reasonAction('recipient_unavailable')?.href).toBe('#/search');
  });

  it('introduction refusals read as introductions', () => {
    const p = { ...DEFAULT_POLICY, introductionsPerMonth: 10 };
    expect(introductionReasonText('introductions_paused', p, 'Ian Ives', 'Tess Tan')).toBe(
      'Ian Ives is not taking introduction requests from you for now. You can ask another mutual connection instead.',
    );
    // the asker is never told of a decline (DOMAIN.md 11), not even by the pause
    expect(introductionReasonText('introductions_paused', p, 'Ian Ives', 'Tess Tan')).not.toMatch(/declin/i);
    expect(reasonText('introductions_paused', p)).not.toMatch(/declin/i);
    expect(introductionReasonText('awaiting_response', p, 'Ian Ives', 'Tess Tan')).toContain('already asked for an introduction to Tess Tan');
    expect(introductionReasonText('monthly_limit', p, 'Ian Ives', 'Tess Tan')).toContain('10 introductions this month');
    expect(introductionReasonText('not_in_reach', p, 'Ian Ives', 'Tess Tan')).toContain("Ian Ives can't introduce you to Tess Tan");
    // everything else reads as anywhere else
    expect(introductionReasonText('sender_restricted', p)).toBe(reasonText('sender_restricted', p));
  });
});
