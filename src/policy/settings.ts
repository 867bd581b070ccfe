/** Settings that take both sides (DOMAIN.md 7). */
import { cheapestPaidTier, isPremium, type TierHolder } from './tier.js';
import { allow, deny, type Decision, type Settings } from './types.js';

/**
 * A change of settings (PATCH /v1/me/settings): turning Open Profile on is for premium members
 * (DOMAIN.md 7: `openProfile` (premium only)); the way to it is a paid tier. Turning it off, or a
 * lapsed member's stored value, is left alone (it has no effect without a tier: the open_profile
 * channel asks for one too).
 */
export function decideSettingsChange(member: TierHolder, change: { openProfile?: boolean }, now: Date): Decision {
  if (change.openProfile === true && !isPremium(member, now)) return deny('premium_only', [{ kind: 'upgrade', tier: cheapestPaidTier() }]);
  return allow();
}

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

/**
 * Whether what `readerId` read in a conversation is told to the other side: read receipts on for
 * both, and not a request the reader has not answered yet. The sender of a request learns nothing
 * before an answer (DOMAIN.md 5: an ignored request's sender "is told nothing and still sees it
 * pending"; a receipt would tell them it was seen: found by a member).
 */
export function readIsTold(reader: Settings, other: Settings, conversation: { state: string; recipientId: number }, readerId: number): boolean {
  return showReadReceipts(reader, other) && !(conversation.state === 'request' && conversation.recipientId === readerId);
}

/** What deciding whether to tell `other` that `actor` is typing in their conversation needs. */
export interface TypingFacts {
  actorId: number;
  conversation: { starterId: number; recipientId: number; state: string; ignoredBy: ReadonlySet<number> } | null;
  blockedEitherWay: boolean;
  actor: { status: string; settings: Settings } | null;
  other: { status: string; settings: Settings } | null;
}

/**
 * Whether a typing signal reaches the other side: only within a live conversation the actor takes
 * part in, not by the recipient of a request they have not accepted (they cannot reply yet), never
 * to one who ignored it, never across a block, both accounts active, both with typing indicators on.
 */
export function mayTellTyping(f: TypingFacts): boolean {
  const c = f.conversation;
  if (!c || (c.starterId !== f.actorId && c.recipientId !== f.actorId)) return false;
  const otherId = c.starterId === f.actorId ? c.recipientId : c.starterId;
  if (c.state === 'request' && c.recipientId === f.actorId) return false;
  if (c.ignoredBy.has(otherId) || f.blockedEitherWay) return false;
  if (!f.actor || !f.other || f.actor.status !== 'active' || f.other.status !== 'active') return false;
  return showTypingIndicators(f.actor.settings, f.other.settings);
}
