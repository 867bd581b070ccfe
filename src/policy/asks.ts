/**
 * The rules of DOMAIN.md 11 that come from the asker's own asks: one open ask per (asker, member),
 * the introducer's pause after declines, the month's number. One table, asked by the ask itself
 * (decideIntroductionAsk, introduction.ts) and by every decision that offers an introduction as a
 * way in (message.ts): a path is offered only when asking its first step would not be refused here.
 * Its own module: message.ts and introduction.ts both read it (introduction.ts imports message.ts).
 */
import type { AskState } from './facts.js';
import { exhausted, waitNextMonth, waitUntil } from './limits.js';
import type { Policy } from './policy.js';
import type { Ctx, DenialRule } from './rules.js';
import { DAY_MS } from './time.js';
import type { Unlock } from './types.js';

/** DOMAIN.md 11's fixed numbers (API.md gives them no policy key): 3 declines in 30 days pause asks for 90 days. */
export const INTRODUCTION_DECLINES_TO_PAUSE = 3;
export const INTRODUCTION_DECLINE_WINDOW_MS = 30 * DAY_MS;
export const INTRODUCTION_PAUSE_MS = 90 * DAY_MS;

/** Until when B takes no asks from A: 90 days after the 3rd decline within 30 days; null when not paused. */
export function introductionsPausedUntil(declines: Date[], now: Date): Date | null {
  const sorted = [...declines].sort((a, b) => a.getTime() - b.getTime());
  let until: Date | null = null;
  for (let i = INTRODUCTION_DECLINES_TO_PAUSE - 1; i < sorted.length; i++) {
    const first = sorted[i - (INTRODUCTION_DECLINES_TO_PAUSE - 1)];
    const last = sorted[i];
    if (last.getTime() - first.getTime() <= INTRODUCTION_DECLINE_WINDOW_MS) {
      const end = new Date(last.getTime() + INTRODUCTION_PAUSE_MS);
      if (end.getTime() > now.getTime() && (until === null || end > until)) until = end;
    }
  }
  return until;
}

/** What the own-ask rules read: the clock, the policy, an ask's state (with the other mutual connections it could go to instead: handles, an unlock of the ask itself). */
export interface AskStateCtx {
  now: Date;
  policy: Policy;
  ask: AskState & { otherVias?: string[] };
}

const otherPaths = (c: AskStateCtx): Unlock[] => (c.ask.otherVias ?? []).map((h) => ({ kind: 'introduction', via: [h] }));

/** The last rules of an ask, in DOMAIN.md order: one open ask per (A, C), B's pause after declines, the monthly limit. */
export const ASK_STATE_RULES: readonly DenialRule<AskStateCtx>[] = [
  { reason: 'awaiting_response', when: (c) => c.ask.openAsk },
  {
    reason: 'introductions_paused',
    when: (c) => introductionsPausedUntil(c.ask.declinesByVia, c.now) !== null,
    unlock: (c) => [waitUntil(introductionsPausedUntil(c.ask.declinesByVia, c.now)!), ...otherPaths(c)],
  },
  {
    reason: 'monthly_limit',
    when: (c) => exhausted(c.ask.asksThisMonth, c.policy.introductionsPerMonth),
    unlock: (c) => waitNextMonth(c.now),
  },
];

/** Whether an ask in `state` would pass the asker's own-ask rules (a path worth offering as a way in). */
export function askStatePasses(c: Pick<Ctx, 'now' | 'policy'>, state: AskState): boolean {
  const ctx: AskStateCtx = { now: c.now, policy: c.policy, ask: state };
  for (const rule of ASK_STATE_RULES) if (rule.when(ctx)) return false;
  return true;
}
