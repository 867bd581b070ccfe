/**
 * The shape of the policy (API.md "Running"): every number the rules use. GET /v1/policy answers
 * it; src/policy holds the defaults and the merge of an operator's overrides.
 */
import { Type, type Static } from '@sinclair/typebox';

const Count = Type.Integer({ minimum: 0 });
const PerTier = Type.Object({ free: Count, career: Count, business: Count, sales_navigator: Count }, { additionalProperties: false });
const Reach = Type.Integer({ minimum: 0, maximum: 3 });

export const PolicySchema = Type.Object(
  {
    connectionCap: Count,
    invitationsPerWeek: Count,
    noteMaxChars: Count,
    notesPerMonthFree: Count,
    withdrawCooldownDays: Count,
    invitationExpiryDays: Count,
    idkReportsToRequireEmail: Count,
    messageMaxChars: Count,
    inmailSubjectMaxChars: Count,
    inmailBodyMaxChars: Count,
    inmailMonthlyCredits: PerTier,
    inmailRolloverMonths: Count,
    inmailRefundDays: Count,
    tierReach: Type.Object({ free: Reach, career: Reach, business: Reach, sales_navigator: Reach }, { additionalProperties: false }),
    groupConversationsPerMonth: Count,
    followUpsWhilePending: Count,
    messagesPerMinute: Count,
    nonConnectionConversationsPerMonth: Count,
    bulkRecipientsThreshold: Count,
    reportsToRestrict: Count,
    reportMinAccountAgeDays: Count,
    reblockCooldownHours: Count,
    introductionsPerMonth: Count,
    introductionExpiryDays: Count,
    attachmentMaxBytes: Count,
    attachmentQuotaBytes: Count,
    uploadsPerHour: Count,
    newAccountDays: Count,
    notificationRetentionDays: Count,
    signupsPerHourPerAddress: Count,
    sessionIdleDays: Count,
  },
  { additionalProperties: false },
);
export type Policy = Static<typeof PolicySchema>;
