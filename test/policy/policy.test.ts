/** The policy object: API.md "Running" defaults, validated partial overrides, deep merge. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, DEFAULT_SETTINGS, deepMerge, PolicyError, resolvePolicy, TIERS } from '../../src/policy/index.js';

describe('policy', () => {
  it('defaults are API.md "Running", key for key', () => {
    expect(DEFAULT_POLICY).toEqual({
      connectionCap: 30000,
      invitationsPerWeek: 100,
      noteMaxChars: 300,
      notesPerMonthFree: 5,
      withdrawCooldownDays: 21,
      invitationExpiryDays: 180,
      idkReportsToRequireEmail: 5,
      messageMaxChars: 8000,
      inmailSubjectMaxChars: 200,
      inmailBodyMaxChars: 1900,
      inmailMonthlyCredits: { free: 0, career: 5, business: 15, sales_navigator: 50 },
      inmailRolloverMonths: 3,
      inmailRefundDays: 90,
      tierReach: { free: 1, career: 2, business: 3, sales_navigator: 3 },
      groupConversationsPerMonth: 15,
      followUpsWhilePending: 1,
      messagesPerMinute: 30,
      nonConnectionConversationsPerMonth: 100,
      bulkRecipientsThreshold: 10,
      reportsToRestrict: 3,
      reportMinAccountAgeDays: 7,
      reblockCooldownHours: 48,
      introductionsPerMonth: 10,
      introductionExpiryDays: 14,
      attachmentMaxBytes: 20971520,
      attachmentQuotaBytes: 1073741824,
      uploadsPerHour: 60,
      newAccountDays: 30,
      notificationRetentionDays: 90,
      signupsPerHourPerAddress: 20,
      sessionIdleDays: 30,
    });
    expect(TIERS).toEqual(['free', 'career', 'business', 'sales_navigator']);
  });
  it('settings defaults are API.md Settings', () => {
    expect(DEFAULT_SETTINGS).toEqual({
      primaryAction: 'connect',
      messageRequests: 'on',
      openProfile: false,
      acceptInMail: true,
      messagesFrom: 'anyone',
      profileVisibility: 'everyone',
      readReceipts: true,
      typingIndicators: true,
      openTo: { jobs: false, mentoring: false },
      requestFilters: { newAccounts: false, noSharedConnections: false, notFollowed: false },
      notifications: {
        'invitation.received': true,
        'invitation.accepted': true,
        'request.received': true,
        'inmail.received': true,
        'page.request': true,
        'credits.granted': true,
        'introduction.asked': true,
        'introduction.forwarded': true,
      },
    });
  });
  it('no override gives a copy of the defaults', () => {
    const p = resolvePolicy(undefined);
    expect(p).toEqual(DEFAULT_POLICY);
    expect(p).not.toBe(DEFAULT_POLICY);
    expect(resolvePolicy(null)).toEqual(DEFAULT_POLICY);
  });
  it('deep-merges a partial override without touching the defaults', () => {
    const p = resolvePolicy({ invitationsPerWeek: 10, tierReach: { free: 2 } });
    expect(p.invitationsPerWeek).toBe(10);
    expect(p.tierReach).toEqual({ free: 2, career: 2, business: 3, sales_navigator: 3 });
    expect(DEFAULT_POLICY.tierReach.free).toBe(1);
  });
  it.each([
    [{ nope: 1 }, 'nope'],
    [{ tierReach: { platinum: 3 } }, 'tierReach.platinum'],
    [{ invitationsPerWeek: -1 }, 'invitationsPerWeek'],
    [{ tierReach: { free: 4 } }, 'tierReach.free'],
    [{ messageMaxChars: 'lots' }, 'messageMaxChars'],
    [[1], '(root)'],
    ['x', '(root)'],
  ])('rejects %j naming %s', (override, key) => {
    try {
      resolvePolicy(override);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as PolicyError).key).toBe(key);
    }
  });
  it('deepMerge replaces scalars and arrays, merges objects', () => {
    expect(deepMerge({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: 3 }, d: [2, 3] })).toEqual({ a: { b: 3, c: 2 }, d: [2, 3] });
    expect(deepMerge(1, undefined)).toBe(1);
  });
});
