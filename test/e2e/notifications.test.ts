/// <reference lib="dom" />
/**
 * Notifications, request filters and open-to badges in the web UI (issue 19), in Debian's Chromium:
 *
 * - the bell counts unread notifications and updates live (no reload) when an invitation arrives;
 *   the notifications page shows grouped lines ("Ann Archer and 3 others accepted your
 *   invitations"), each leading to its subject; "Mark all as read" clears the bell, and a new event
 *   brings it back live;
 * - a request that matches a filter turned on in Settings waits in the Filtered folder, with no
 *   notification, and is accepted from there;
 * - open-to flags set in Settings show as badges on the profile, only to viewers within
 *   profileVisibility.
 *
 * Screenshots in test-results/ (notifications-*.png); docs/screenshots/notifications.png for the README.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, type Harness } from '../helpers/harness.js';
import { axeScan, cspViolations, go, mobileCheck, RESULTS, ROOT, shot, startE2E, T, textOf, visible, type E2E, type Who } from './helpers.js';

let e2e: E2E;
let h: Harness;

beforeAll(async () => {
  e2e = await startE2E();
  h = e2e.h;
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

async function api(method: string, url: string, who: Who | null, body?: unknown) {
  const r = await h.call(method, url, { token: who?.token, body });
  expect(r.status, `${method} ${url}: ${r.text}`).toBeLessThan(300);
  return r.body;
}
const invite = async (from: Who, to: Who) => (await api('POST', '/v1/invitations', from, { to: to.handle })).id as string;
const groupOf = async (people: Who[]) => {
  const g = await api('POST', '/v1/groups', people[0]!, { name: 'Designers' });
  for (const p of people.slice(1)) await api('POST', `/v1/groups/${g.id}/members`, p);
};
const bellCount = (page: Page) => page.getByTestId('nav-notifications-count');
const lines = (page: Page) => page.getByTestId('notification');

describe('notifications, filters and open-to badges (Chromium)', () => {
  it('the bell updates live; grouped lines lead to their subjects; reading clears the bell; an update brings it back', async () => {
    const zoe = await e2e.member('zoe', 'Zoe Zhang', 'Head of design at Acme');
    const ann = await e2e.member('ann_a', 'Ann Archer', 'Product designer');
    const others = [await e2e.member('ben_b', 'Ben Baker'), await e2e.member('cy_c', 'Cy Chen'), await e2e.member('dee_d', 'Dee Diaz')];
    const eve = await e2e.member('eve_e', 'Eve Evans', 'Recruiter at Globex');
    const fay = await e2e.member('fay_f', 'Fay Foster', 'Sales at Initech');
    const { page } = await e2e.newPage();
    await e2e.signIn(page, zoe, '#/messages');
    expect(await bellCount(page).count()).toBe(0);

    // live: an invitation accepted while Zoe looks at her inbox lights the bell, no reload
    const ids = [];
    for (const o of [...others, ann]) ids.push({ o, id: await invite(zoe, o) });
    await api('POST', `/v1/invitations/${ids[0]!.id}/accept`, others[0]!);
    await expect
      .poll(
        () =>
          bellCount(page)
            .textContent()
            .catch(() => null),
        { timeout: T },
      )
      .toBe('1');
    for (const { o, id } of ids.slice(1)) {
      h.clock.advance(60_000);
      await api('POST', `/v1/invitations/${id}/accept`, o);
    }
    // a message request, an InMail, credits, a request to Zoe's page
    await groupOf([eve, zoe]);
    h.clock.advance(60_000);
    await api('POST', '/v1/messages', eve, { to: zoe.handle, body: 'Hi Zoe, are you open to a chat about a design lead role?' });
    await admin(h, 'PUT', `/v1/admin/members/${fay.handle}/subscription`, { tier: 'business', until: null });
    h.clock.advance(60_000);
    await api('POST', '/v1/messages', fay, { to: zoe.handle, channel: 'inmail', subject: 'Design tooling', body: 'Could Acme use a new design tool?' });
    await api('POST', '/v1/pages', zoe, { handle: 'acme_design', name: 'Acme Design' });
    h.clock.advance(60_000);
    await api('POST', '/v1/messages', fay, { to: 'acme_design', body: 'Hello Acme Design team!' });
    await admin(h, 'PUT', `/v1/admin/members/${zoe.handle}/subscription`, { tier: 'career', until: null });
    await expect
      .poll(
        () =>
          bellCount(page)
            .textContent()
            .catch(() => null),
        { timeout: T },
      )
      .toBe('5');

    // the notifications page: one line per group, newest first
    await page.getByTestId('nav-notifications').click();
    await expect.poll(() => lines(page).count(), { timeout: T }).toBe(5);
    const texts = await page.getByTestId('notification-text').allTextContents();
    expect(texts).toEqual([
      'You received 5 InMail credits',
      'Fay Foster sent a message request to Acme Design',
      'Fay Foster sent you an InMail',
      'Eve Evans sent you a message request',
      'Ann Archer and 3 others accepted your invitations',
    ]);
    expect(await lines(page).evaluateAll((ls) => ls.map((l) => l.getAttribute('data-read')))).toEqual(['false', 'false', 'false', 'false', 'false']);
    await shot(page, 'notifications-list.png');
    await axeScan(page, 'notifications');
    await mobileCheck(page, 'notifications', [
      page.getByTestId('notifications-read-all'),
      page.getByTestId('nav-notifications'),
      page.getByTestId('nav-messages'),
    ]);
    mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
    copyFileSync(join(RESULTS, 'notifications-list.png'), join(ROOT, 'docs', 'screenshots', 'notifications.png'));

    // each line leads to its subject
    await page.getByRole('link', { name: /Eve Evans sent you a message request/ }).click();
    await visible(page.getByTestId('request-banner'));
    expect(page.url()).toMatch(/#\/messages\/[0-9]+$/);
    await page.goBack();
    await page.getByRole('link', { name: /accepted your invitations/ }).click();
    await expect.poll(() => page.url(), { timeout: T }).toMatch(/#\/network$/);
    await page.goBack();
    await page.getByRole('link', { name: /sent a message request to Acme Design/ }).click();
    await expect.poll(() => page.url(), { timeout: T }).toMatch(/#\/messages\?folder=requests&as=acme_design$/);
    await visible(page.getByTestId('conversation'));
    await go(page, '#/notifications');

    // reading: the bell clears, the lines read
    await (await visible(page.getByTestId('notifications-read-all'))).click();
    await bellCount(page).waitFor({ state: 'detached', timeout: T });
    await expect.poll(() => lines(page).evaluateAll((ls) => ls.every((l) => l.getAttribute('data-read') === 'true')), { timeout: T }).toBe(true);
    // an update to a read group: unread again, on top, live
    const gus = await e2e.member('gus_g', 'Gus Grant');
    const inv = await invite(zoe, gus);
    await api('POST', `/v1/invitations/${inv}/accept`, gus);
    await expect
      .poll(
        () =>
          bellCount(page)
            .textContent()
            .catch(() => null),
        { timeout: T },
      )
      .toBe('1');
    await expect
      .poll(() => page.getByTestId('notification-text').first().textContent(), { timeout: T })
      .toBe('Gus Grant and 4 others accepted your invitations');
    expect(await lines(page).first().getAttribute('data-read')).toBe('false');
    await shot(page, 'notifications-updated.png');
    expect(await cspViolations(page)).toEqual([]);
  });

  it('a request matching a filter waits in Filtered with no notification, and is accepted from there', async () => {
    const bo = await e2e.member('bo_f', 'Bo Fischer');
    const cal = await e2e.member('cal_f', 'Cal Ford', 'Sales at Hooli');
    const dot = await e2e.member('dot_f', 'Dot Fenn');
    await groupOf([bo, cal, dot]);
    await api('POST', '/v1/follows', bo, { handle: dot.handle });
    const { page } = await e2e.newPage();
    await e2e.signIn(page, bo, '#/settings');
    const form = await visible(page.getByTestId('settings-form'));
    await axeScan(page, 'settings');
    // each control saves on change, with "Saved" beside it
    await page.getByLabel("From people I don't follow").check();
    await expect.poll(() => page.getByTestId('saved-filterNotFollowed').textContent(), { timeout: T }).toBe('Saved');
    const me = await api('GET', '/v1/me', bo);
    expect(me.settings.requestFilters).toEqual({ newAccounts: false, noSharedConnections: false, notFollowed: true });

    await go(page, '#/messages');
    await visible(page.getByTestId('folder-filtered'));
    await api('POST', '/v1/messages', cal, { to: bo.handle, body: 'Quick question about your software budget' });
    await api('POST', '/v1/messages', dot, { to: bo.handle, body: 'Hi Bo, it is Dot from the group' });
    // Dot (followed) is a request with a notification; Cal (not followed) is filtered, without one
    await expect
      .poll(
        () =>
          page
            .getByTestId('unread-filtered')
            .textContent()
            .catch(() => null),
        { timeout: T },
      )
      .toBe('1');
    await expect
      .poll(
        () =>
          page
            .getByTestId('unread-requests')
            .textContent()
            .catch(() => null),
        { timeout: T },
      )
      .toBe('1');
    await expect
      .poll(
        () =>
          bellCount(page)
            .textContent()
            .catch(() => null),
        { timeout: T },
      )
      .toBe('1');
    await page.getByTestId('folder-filtered').click();
    const conv = await visible(page.getByTestId('conversation'));
    expect(await conv.textContent()).toContain('Cal Ford');
    expect(await page.getByTestId('conversation').count()).toBe(1);
    await shot(page, 'notifications-filtered.png');
    await axeScan(page, 'filtered');
    await conv.getByRole('link').click();
    const banner = await visible(page.getByTestId('request-banner'));
    await banner.getByRole('button', { name: 'Accept' }).click();
    await banner.waitFor({ state: 'detached', timeout: T });
    await page.getByRole('link', { name: '← Inbox' }).click();
    await expect.poll(() => page.getByTestId('conversation').allTextContents(), { timeout: T }).toEqual([expect.stringContaining('Cal Ford')]);
    await page.getByTestId('folder-filtered').click();
    await visible(page.getByText('Nothing filtered.'));
    const notes = await api('GET', '/v1/notifications', bo);
    expect(notes.items.map((n: any) => n.actors[0].handle)).toEqual([dot.handle]);
  });

  it('open-to badges: set in Settings, shown on the profile within profileVisibility', async () => {
    const meg = await e2e.member('meg_o', 'Meg Ortiz', 'Staff engineer');
    const nat = await e2e.member('nat_o', 'Nat Olsen');
    const oli = await e2e.member('oli_o', 'Oli Owens');
    await e2e.connectApi(meg, nat);
    const { page } = await e2e.newPage();
    await e2e.signIn(page, meg, '#/settings');
    const form = await visible(page.getByTestId('settings-form'));
    await form.getByLabel('Open to job opportunities').check();
    await expect.poll(() => page.getByTestId('saved-openToJobs').textContent(), { timeout: T }).toBe('Saved');
    await form.getByLabel('Open to mentoring').check();
    await expect.poll(() => page.getByTestId('saved-openToMentoring').textContent(), { timeout: T }).toBe('Saved');
    await go(page, '#/me');
    expect(await textOf(page.getByTestId('open-to-jobs'))).toBe('Open to job opportunities');
    expect(await textOf(page.getByTestId('open-to-mentoring'))).toBe('Open to mentoring');

    const { page: pn } = await e2e.newPage();
    await e2e.signIn(pn, nat, `#/profile/${meg.handle}`);
    await visible(pn.getByTestId('open-to-jobs'));
    await visible(pn.getByTestId('open-to-mentoring'));
    await shot(pn, 'notifications-open-to.png');
    await axeScan(pn, 'profile with open-to badges');
    const { page: po } = await e2e.newPage();
    await e2e.signIn(po, oli, `#/profile/${meg.handle}`);
    await visible(po.getByTestId('open-to-jobs'));

    // only my connections: Oli (not connected) no longer sees the badges, Nat still does
    await go(page, '#/settings');
    const form2 = await visible(page.getByTestId('settings-form'));
    await form2.getByRole('radio', { name: 'My connections only' }).first().check();
    await expect.poll(() => page.getByTestId('saved-profileVisibility').textContent(), { timeout: T }).toBe('Saved');
    await po.reload();
    await visible(po.locator(`[data-testid="profile"][data-handle="${meg.handle}"]`));
    expect(await po.getByTestId('open-to-jobs').count()).toBe(0);
    await pn.reload();
    await visible(pn.getByTestId('open-to-mentoring'));
  });
});
