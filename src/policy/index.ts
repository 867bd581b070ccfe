/**
 * The policy engine: every rule of DOMAIN.md as a pure decision over a snapshot of facts.
 * No I/O and no clock: `now` and the policy are arguments. See docs/policy.md.
 */
export { DEFAULT_POLICY, PolicyError, PolicySchema, TIERS, deepMerge, resolvePolicy } from './policy.js';
export type { Policy, Tier } from './policy.js';
export * from './types.js';
export * from './facts.js';
export { cheapestPaidTier, cheapestTierReaching, cheapestTierWithCredits, effectiveTier, isPremium, spendableCredits, tierRank, tierReaches } from './tier.js';
export type { TierHolder } from './tier.js';
export { startOfMonthUTC, startOfNextMonthUTC, charCount, DAY_MS, HOUR_MS, MINUTE_MS, sessionIdleCutoff } from './time.js';
export { isHidden, isSelf, memberExists } from './rules.js';
export {
  attachmentTooLarge,
  hasNote,
  isBlank,
  invitationExpired,
  invitationExpiryCutoff,
  isBulkSending,
  BULK_WINDOW_MS,
  messageTooLong,
  tooLongForAnyChannel,
  noteOf,
  REPORT_WINDOW_MS,
  INVITATION_WINDOW_MS,
  IDK_REPORT_WINDOW_MS,
  MESSAGE_RATE_WINDOW_MS,
  reportCounts,
  sameTextKey,
  shouldRestrict,
  distinctReporters,
  waitUntil,
} from './limits.js';
export { grantInmailCredits, inmailBalanceCap, inmailRefund, monthlyGrantDates, spendPool, tierChangeGrant } from './credits.js';
export type { CreditPool } from './credits.js';
export { decideSettingsChange, mayTellTyping, readIsTold, showReadReceipts, showTypingIndicators, type TypingFacts } from './settings.js';
export { ACCEPT_RULES, decideAcceptInvitation, decideInvitation, INVITATION_RULES } from './invitation.js';
export type { InvitationCtx } from './invitation.js';
export type { MessageCtx, Route, ChannelRule } from './message.js';
export type { Ctx, Base, DenialRule } from './rules.js';
export type { PrimaryCtx, PrimaryRule } from './profile.js';
export { applicableChannels, becomesBetweenConnections, CHANNEL_RULES, DELIVERY, decideMessage, decideReply, replyAccepts, MESSAGE_RULES } from './message.js';
export { decideFollow } from './follow.js';
export { decideBlock, decideIgnoreRequest, deletedOnReturn, deletedRequestReturns, BLOCK_RULES, IGNORE_RULES } from './block.js';
export { decideProfile, primaryAction, profileActions, PRIMARY_RULES } from './profile.js';
export { retryAfterSeconds } from './types.js';
export { mayIntroduceThrough, seesLimitedProfile, seesRestriction } from './visibility.js';
export type { Onlooker } from './visibility.js';
export {
  aboutOtherThanActor,
  allNotificationsOn,
  invitationStillTold,
  isNotificationKind,
  NOTIFICATION_KINDS,
  notificationGroupKey,
  notificationRetentionCutoff,
  notifies,
  REQUEST_NOTIFICATION_KINDS,
  shownAboutConversation,
} from './notifications.js';
export type { ConversationNow, NotificationFacts, NotificationKind } from './notifications.js';
export { matchingRequestFilter, REQUEST_FILTERS, requestFolder } from './filters.js';
export type { RequestFilter, RequestFilterFacts } from './filters.js';
export {
  ASK_RULES,
  decideIntroductionAsk,
  decideIntroductionDelivery,
  decideIntroductionForward,
  introductionExpired,
  introductionExpiryCutoff,
  introductionsPausedUntil,
  forwardReadsAsDone,
  INTRODUCTION_DECLINE_WINDOW_MS,
  INTRODUCTION_DECLINES_TO_PAUSE,
  INTRODUCTION_PAUSE_MS,
} from './introduction.js';
export { askStatePasses } from './asks.js';
export type { AskFacts, ForwardFacts } from './introduction.js';
export { groupPermission, joinOutcome, mayRemoveFromGroup } from './groups.js';
export type { GroupPlace, JoinPolicy } from './groups.js';
export { degreeRank, searchMatch, searchWords, wordMatch } from './search.js';
export { decideUpload, UNATTACHED_TTL_MS } from './uploads.js';
export type { UploadFacts } from './uploads.js';
