/**
 * Typing signals a client sends on its socket: parsing the frame and the per-socket token bucket.
 * Whether a signal reaches the other side is the policy's (mayTellTyping); the hub gathers its facts.
 */
import { at, num } from './frames.js';

/** A typing signal: the conversation and, when acting as a page, its handle. */
export interface TypingSignal {
  conversationId: number;
  as?: string;
}

/** The typing signal in a socket message's text, or null (anything else a client sends is ignored). */
export function parseTypingSignal(text: string): TypingSignal | null {
  if (text.length > 4096) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const msg = parsed as Record<string, unknown>;
  if (msg.type !== 'typing') return null;
  const conversationId = num(msg.conversationId ?? at(msg.data, 'conversationId'));
  if (conversationId === undefined) return null;
  const as = msg.as ?? at(msg.data, 'as');
  return typeof as === 'string' && as !== '' ? { conversationId, as } : { conversationId };
}

/** A token bucket: `burst` signals at once, refilled at `perSecond`. */
export interface Bucket {
  tokens: number;
  refilledAt: number;
}

/** Takes one token if there is one (a client may not flood the bus with typing). */
export function takeToken(b: Bucket, now: number, burst: number, perSecond: number): boolean {
  b.tokens = Math.min(burst, b.tokens + ((now - b.refilledAt) / 1000) * perSecond);
  b.refilledAt = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}
