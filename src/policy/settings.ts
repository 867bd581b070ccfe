/** Settings that take both sides (DOMAIN.md 7). */
import type { Settings } from './types.js';

/** Typing indicators are shown only when both sides have them on. */
export function showTypingIndicators(a: Settings, b: Settings): boolean {
  return a.typingIndicators && b.typingIndicators;
}

/**
 * Read receipts, like typing indicators, only when both sides have them on (DOMAIN.md names the
 * rule for typing indicators; read receipts follow it: one who hides theirs sees no one's).
 */
export function showReadReceipts(a: Settings, b: Settings): boolean {
  return a.readReceipts && b.readReceipts;
}
