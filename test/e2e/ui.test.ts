/// <reference lib="dom" />
/**
 * End-to-end tests of the web UI overhaul (issue 23), at 1280 px and at 390 × 844 (a phone):
 *
 * - home after sign-up (what needs you, the first-run checklist; empty cards collapse), profile editing,
 *   followers and following;
 * - search in the header: no empty submit, type-ahead with people you know first, the results page with
 *   the degree filter and pages;
 * - New message: the recipient picker (names, connections first, who was picked, "did you mean"); the
 *   confirmation from the server's answer (request, InMail); InMail only with credits and no free way;
 * - denials: the exact plan linked; a 503 retries itself after Retry-After and says so;
 * - the phone layout: header ≤ 64 px, bottom tab bar with badges, account menu (sign out, act as a page),
 *   composer pinned, 44 px touch targets, Block behind "More", no focus ring for mouse users, toasts
 *   cleared on a new screen;
 * - settings in plain words saved on change; an admin's own page.
 *
 * Screenshots go to test-results/ (ui-*.png); axe-core scans every new screen.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../helpers/harness.js';
import { join } from 'node:path';
import { axeScan, go, RESULTS, shot, startE2E, T, textOf, visible, PASSWORD, type E2E, type Who } from './helpers.js';

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const WIDE = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function api(method: string, url: string, who: Who | null, body?: unknown): Promise<any> {
  const r = await e2e.h.call(method, url, { token: who?.token, body });
  expect(r.status, `${method} ${url}: ${r.text}`).toBeLessThan(300);
  return r.body;
}

/** A screenshot of what the screen shows (a phone's fixed bars where they are), not the whole page. */
async function viewShot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(RESULTS, name) });
}

async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** No horizontal scroll at the page's width. */
async function noSideScroll(page: Page, name: string): Promise<void> {
  const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(w[0], `${name}: horizontal scroll`).toBeLessThanOrEqual(w[1]!);
}

async function toastText(page: Page): Promise<string | null> {
  return page
    .getByTestId('toast')
    .textContent({ timeout: 200 })
    .catch(() => null);
}

describe('web UI overhaul (issue 23), 1280 px and 390 px', () => {
  it('home after sign-up, profile editing, followers and following', async () => {
    const { page } = await e2e.newPage();
    await page.setViewportSize(WIDE);
    await page.goto(`${e2e.base}/#/signup`);
    const form = await visible(page.getByTestId('signup-form'));
    await form.getByLabel('Handle').fill('nia');
    await form.getByLabel('Name').fill('Nia Novak');
    await form.getByLabel('E-mail').fill('nia@example.test');
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await form.getByRole('button', { name: 'Sign up' }).click();

    // home, not a near-empty profile: nothing needs her, a checklist, and no empty cards
    const home = await visible(page.getByTestId('home'));
    await visible(home.getByTestId('home-nothing'));
    const checklist = await visible(page.getByTestId('home-checklist'));
    expect(await checklist.getByTestId('step-profile').getAttribute('data-done')).toBe('false');
    expect(await page.getByTestId('home-suggestions').count()).toBe(0);
    expect(await home.textContent()).not.toMatch(/No suggestions/);
    await axeScan(page, 'home');
    await shot(page, 'ui-home-1280.png');

    // the checklist's first step opens her profile; she edits name, headline and about
    await checklist.getByTestId('step-profile').getByRole('link').click();
    await visible(page.locator('[data-testid="profile"][data-handle="nia"]'));
    await page.getByTestId('edit-profile').click();
    const editor = await visible(page.getByTestId('profile-editor'));
    await axeScan(page, 'profile editor');
    await editor.getByLabel('Name').fill('Nia Novak-Reyes');
    await editor.getByLabel('Headline').fill('Data engineer at Umbrella');
    await editor.getByLabel('About').fill('I build pipelines.\nAnd I mentor juniors.');
    await editor.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(() => page.getByTestId('profile-name').textContent(), { timeout: T }).toBe('Nia Novak-Reyes');
    expect(await textOf(page.getByTestId('profile-headline'))).toBe('Data engineer at Umbrella');
    expect(await textOf(page.getByTestId('profile-about'))).toBe('I build pipelines.\nAnd I mentor juniors.');
    const nia: Who = { handle: 'nia', name: 'Nia Novak-Reyes', token: '' };
    const other = await e2e.member('otto_f', 'Otto Follower');
    const seen = await api('GET', '/v1/members/nia', other);
    expect(seen.member.name).toBe('Nia Novak-Reyes');
    expect(seen.member.headline).toBe('Data engineer at Umbrella');

    // back home: the profile step is done
    await page.getByTestId('nav-home').click();
    await expect.poll(() => page.getByTestId('step-profile').getAttribute('data-done'), { timeout: T }).toBe('true');

    // followers and following
    await api('POST', '/v1/follows', other, { handle: nia.handle });
    await go(page, '#/network/followers');
    await visible(page.locator('[data-testid="follow-item"][data-handle="otto_f"]'));
    await axeScan(page, 'followers');
    await page.getByRole('link', { name: 'Following', exact: true }).click();
    await visible(page.getByTestId('follows-following').getByTestId('empty'));

    // the same home on a phone
    await page.setViewportSize(PHONE);
    await page.getByTestId('nav-home').click();
    await visible(page.getByTestId('home'));
    await settle(page);
    await noSideScroll(page, 'home (390 px)');
    await axeScan(page, 'home (390 px)');
    await viewShot(page, 'ui-home-390.png');
  }, 120_000);

  it('search in the header: no empty submit, type-ahead with people you know first, results page with the degree filter and pages', async () => {
    const sol = await e2e.member('sol', 'Sol Searcher');
    const known = await e2e.member('zed_k', 'Zed Known', 'Zed at Initech');
    await e2e.connectApi(sol, known);
    for (let i = 1; i <= 22; i++) await e2e.member(`zed${i}`, `Zed Stranger ${i}`);
    const { page } = await e2e.newPage();
    await page.setViewportSize(WIDE);
    await e2e.signIn(page, sol, '#/home');
    await visible(page.getByTestId('home'));

    // an empty query is never sent: the button is disabled and Enter does nothing
    const box = page.getByTestId('header-search').getByRole('combobox');
    const searches: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/search/')) searches.push(r.url());
    });
    expect(await page.getByTestId('header-search').getByRole('button', { name: 'Search' }).isDisabled()).toBe(true);
    await box.focus();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    expect(page.url()).toMatch(/#\/home$/);
    expect(searches).toEqual([]);
    expect(await page.getByTestId('error').count()).toBe(0);

    // type-ahead: the 1st-degree connection first
    await box.fill('zed');
    const options = page.getByTestId('typeahead').locator('[role="option"][data-handle]');
    await expect.poll(() => options.count(), { timeout: T }).toBeGreaterThan(1);
    expect(await options.first().getAttribute('data-handle')).toBe('zed_k');
    await axeScan(page, 'type-ahead');

    // Enter: the results page, 20 a page, then the next page
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toMatch(/#\/search\?q=zed$/);
    const results = page.getByTestId('search-result');
    await expect.poll(() => results.count(), { timeout: T }).toBe(20);
    expect(await results.first().getAttribute('data-handle')).toBe('zed_k');
    await axeScan(page, 'search results');
    await shot(page, 'ui-search-1280.png');
    await page.getByTestId('search-next').click();
    await expect.poll(() => page.getByTestId('search-page').textContent(), { timeout: T }).toMatch(/^Page 2/);
    await expect.poll(() => results.count(), { timeout: T }).toBe(3);
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => results.count(), { timeout: T }).toBe(20);

    // the degree filter: 1st only
    await page.getByTestId('degree-1').check();
    await expect.poll(() => page.url()).toMatch(/degree=1/);
    await expect.poll(() => results.evaluateAll((els) => els.map((e) => e.getAttribute('data-handle'))), { timeout: T }).toEqual(['zed_k']);

    // on a phone: the search box fits in the compact header, the results page has no side scroll
    await page.setViewportSize(PHONE);
    await settle(page);
    await noSideScroll(page, 'search (390 px)');
    const header = await page.locator('.site-header').boundingBox();
    expect(header!.height).toBeLessThanOrEqual(64);
    await axeScan(page, 'search results (390 px)');
    await viewShot(page, 'ui-search-390.png');
  }, 180_000);

  it('New message: the recipient picker, "did you mean", connections first; confirmations from the server; InMail only with credits and no free way', async () => {
    const cora = await e2e.member('cora', 'Cora Compose');
    const farida = await e2e.member('farida', 'Farida Fares', 'Product at Acme');
    await e2e.member('farid_x', 'Farid Faraway');
    const mutual = await e2e.member('mila_m', 'Mila Mutual');
    const second = await e2e.member('sven_s', 'Sven Second', 'Buyer at Hooli');
    const third = await e2e.member('tara_t', 'Tara Third', 'CEO at Far Co');
    await e2e.connectApi(cora, farida);
    await e2e.connectApi(cora, mutual);
    await e2e.connectApi(mutual, second);
    await e2e.connectApi(second, third);

    const { page } = await e2e.newPage();
    await page.setViewportSize(WIDE);
    // "fari" is not a handle: "did you mean", not "not available"
    await e2e.signIn(page, cora, '#/messages/new?to=fari');
    const compose = await visible(page.getByTestId('compose-form'));
    const dym = await visible(compose.getByTestId('did-you-mean'));
    await expect.poll(() => dym.textContent(), { timeout: T }).toContain('Did you mean');
    expect(await dym.textContent()).toContain('No member has the handle “fari”');
    expect(await compose.textContent()).not.toMatch(/not available/);
    await axeScan(page, 'compose: did you mean');
    await dym.getByRole('button', { name: /Farida Fares/ }).click();
    expect(await textOf(compose.getByTestId('recipient-name'))).toBe('Farida Fares');
    await expect.poll(() => compose.getByTestId('decision-message').getAttribute('data-allowed'), { timeout: T }).toBe('true');
    // a 1st-degree connection: no InMail anywhere
    expect(await compose.textContent()).not.toMatch(/InMail/);

    // Change: the type-ahead puts the connection before the stranger
    await compose.getByRole('button', { name: /Change recipient/ }).click();
    const to = compose.getByLabel('To');
    await to.fill('Fari');
    const opts = compose.getByTestId('recipient-options').locator('[role="option"]');
    const handles = () => opts.evaluateAll((els) => els.map((e) => e.getAttribute('data-handle')));
    await expect.poll(handles, { timeout: T }).toContain('farid_x');
    expect((await handles())[0]).toBe('farida');
    await axeScan(page, 'compose: type-ahead');
    await shot(page, 'ui-compose-picker-1280.png');
    await page.keyboard.press('Enter');
    expect(await textOf(compose.getByTestId('recipient-name'))).toBe('Farida Fares');
    await compose.getByLabel('Message').fill('Hi Farida!');
    await page.getByTestId('compose-send').click();
    await visible(page.getByTestId('conversation-view'));
    await expect.poll(() => toastText(page), { timeout: T }).toBe('Message sent to Farida Fares.');

    // a career member: a 2nd-degree member is reached for free, as a request: the toast says so
    const up = await admin(e2e.h, 'PUT', '/v1/admin/members/cora/subscription', { tier: 'career', until: '2099-01-01T00:00:00Z' });
    expect(up.status, up.text).toBe(200);
    await go(page, '#/messages/new?to=sven_s');
    const c2 = await visible(page.getByTestId('compose-form'));
    await expect.poll(() => c2.getByTestId('decision-message').getAttribute('data-allowed'), { timeout: T }).toBe('true');
    expect(await c2.textContent()).not.toMatch(/InMail/);
    await c2.getByLabel('Message').fill('Hello Sven, Mila suggested I write.');
    await page.getByTestId('compose-send').click();
    await visible(page.getByTestId('conversation-view'));
    await expect.poll(() => toastText(page), { timeout: T }).toBe('Message request sent to Sven Second. It waits in their Requests until they accept.');

    // a 3rd-degree member: no free way; with credits, Message is an InMail; the confirmation is the server's
    const me = await api('GET', '/v1/me', cora);
    expect(me.quotas.inmailCredits).toBeGreaterThan(0);
    await go(page, '#/profile/tara_t');
    const msg = await visible(page.getByTestId('action-message'));
    await expect.poll(() => msg.getAttribute('data-mode'), { timeout: T }).toBe('inmail');
    await visible(page.getByTestId('decision-message').getByTestId('unlock-inmail'));
    await msg.click();
    const c3 = await visible(page.getByTestId('compose-form'));
    await expect.poll(() => c3.getByLabel('Subject').count(), { timeout: T }).toBe(1);
    await c3.getByLabel('Subject').fill('Partnership');
    await c3.getByLabel('Message').fill('Hello Tara, a quick idea for Far Co.');
    await page.getByTestId('compose-send').click();
    const confirm = await visible(page.getByTestId('inmail-confirm'));
    await axeScan(page, 'compose: InMail confirmation');
    await confirm.getByRole('button', { name: /Spend 1 credit and send/ }).click();
    await visible(page.getByTestId('conversation-view'));
    await expect.poll(() => toastText(page), { timeout: T }).toBe('InMail sent to Tara Third. It is in their inbox.');

    // the phone: picker and decision fit
    await page.setViewportSize(PHONE);
    await go(page, '#/messages/new?to=fari');
    await visible(page.getByTestId('did-you-mean'));
    await settle(page);
    await noSideScroll(page, 'compose (390 px)');
    await axeScan(page, 'compose (390 px)');
    await viewShot(page, 'ui-compose-390.png');
  }, 180_000);

  it('a 503 retries itself after Retry-After and says so; an upgrade unlock links to the exact plan', async () => {
    const rae = await e2e.member('rae', 'Rae Retry');
    const x = await e2e.member('xia_r', 'Xia Middle');
    const y = await e2e.member('yan_r', 'Yan Middle');
    const far = await e2e.member('far_r', 'Fay Far');
    await e2e.connectApi(rae, x);
    await e2e.connectApi(x, y);
    await e2e.connectApi(y, far);
    const { page } = await e2e.newPage();
    await page.setViewportSize(WIDE);
    await e2e.signIn(page, rae, '#/home');
    await visible(page.getByTestId('home'));
    let failed = 0;
    await page.route('**/v1/members/far_r', async (route) => {
      if (failed++ === 0) {
        await route.fulfill({
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '2' },
          body: JSON.stringify({ error: { code: 'service_unavailable', message: 'storage unreachable' } }),
        });
      } else await route.continue();
    });
    await go(page, '#/profile/far_r');
    const err = await visible(page.getByTestId('error'));
    expect(await err.getAttribute('data-code')).toBe('service_unavailable');
    expect(await err.textContent()).toContain('Liaison is briefly unavailable.');
    expect(await textOf(err.getByTestId('retrying'))).toMatch(/^Trying again in [12] seconds?…$/);
    await axeScan(page, 'profile: 503');
    await shot(page, 'ui-503.png');
    // it comes back by itself
    await visible(page.locator('[data-testid="profile"][data-handle="far_r"]'), 15_000);
    expect(failed).toBeGreaterThanOrEqual(2);

    // "ask your administrator" links to that plan, highlighted
    const upgrade = await visible(page.getByTestId('decision-message').getByTestId('unlock-upgrade'));
    await upgrade.getByRole('link', { name: 'See the Business plan' }).click();
    await visible(page.getByTestId('plans'));
    expect(await page.getByTestId('plan-business').getAttribute('class')).toContain('plan-highlight');
    expect(await textOf(page.getByTestId('plans'))).toContain('To get Business, ask your administrator for it.');
    await axeScan(page, 'plans');

    // the same at 390 px: the retry notice and the plans fit the phone
    await page.setViewportSize(PHONE);
    failed = 0;
    await go(page, '#/home');
    await visible(page.getByTestId('home'));
    await go(page, '#/profile/far_r');
    await visible(page.getByTestId('retrying'));
    await settle(page);
    await noSideScroll(page, '503 (390 px)');
    await axeScan(page, 'profile: 503 (390 px)');
    await visible(page.locator('[data-testid="profile"][data-handle="far_r"]'), 15_000);
    await go(page, '#/plans/business');
    await visible(page.getByTestId('plan-business'));
    await settle(page);
    await noSideScroll(page, 'plans (390 px)');
    await axeScan(page, 'plans (390 px)');
  }, 120_000);

  it('phone layout at 390 × 844: compact header, tab bar with badges, account menu, pinned composer, 44 px targets, Block behind More, no mouse focus ring, toasts cleared', async () => {
    const pia = await e2e.member('pia_p', 'Pia Phone', 'Nurse at City Hospital');
    const quinn = await e2e.member('quinn_p', 'Quinn Quill', 'Writer');
    await e2e.connectApi(pia, quinn);
    const page0 = await api('POST', '/v1/pages', pia, { handle: 'acme_p', name: 'Acme Design', headline: 'Design studio' });
    expect(page0.name).toBe('Acme Design');
    const first = await api('POST', '/v1/messages', quinn, { to: pia.handle, body: 'Hello Pia!' });
    for (let i = 1; i <= 12; i++) await api('POST', `/v1/conversations/${first.conversation.id}/messages`, quinn, { body: `Line ${i} of a long story.` });

    const { page } = await e2e.newPage();
    await page.setViewportSize(PHONE);
    await e2e.signIn(page, pia, '#/home');
    await visible(page.getByTestId('home'));
    await settle(page);

    // the header: at most 64 px; the tab bar at the bottom with the unread badge
    const header = await page.locator('.site-header .header-inner').boundingBox();
    expect(header!.height).toBeLessThanOrEqual(64);
    const tabs = page.locator('nav.tab-bar');
    const bar = await tabs.boundingBox();
    expect(bar!.y + bar!.height).toBeGreaterThan(PHONE.height - 2);
    for (const id of ['nav-home', 'nav-network', 'nav-messages', 'nav-me']) {
      const b = await page.getByTestId(id).boundingBox();
      expect(b!.height, id).toBeGreaterThanOrEqual(44);
      expect(b!.x + b!.width, id).toBeLessThanOrEqual(PHONE.width + 0.5);
    }
    expect(await textOf(tabs.getByTestId('nav-unread'))).toBe('1');
    await noSideScroll(page, 'home (phone)');

    // the account menu: acting as the page (by name), settings, sign out
    await page.getByTestId('account-menu').click();
    const menu = await visible(page.locator('#account-menu'));
    expect(await menu.getByTestId('act-as').allTextContents()).toEqual(['Acme Design']);
    await visible(menu.getByTestId('sign-out'));
    await axeScan(page, 'account menu (390 px)');
    await viewShot(page, 'ui-phone-menu.png');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });

    // a mouse click to another screen: the heading takes focus, without a focus ring
    await page.getByTestId('nav-network').click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(ring).toBe('none');

    // a profile: Block lives behind More; every button there is at least 44 px tall
    await go(page, '#/profile/quinn_p');
    await visible(page.locator('[data-testid="profile"][data-handle="quinn_p"]'));
    expect(await page.getByTestId('action-block').isVisible()).toBe(false);
    const heights = await page
      .locator('.profile-actions button:visible, .profile-actions a.btn:visible')
      .evaluateAll((els) => els.map((e) => [e.textContent?.trim(), e.getBoundingClientRect().height] as const));
    for (const [label, hgt] of heights) expect(hgt, `${label}`).toBeGreaterThanOrEqual(44);
    await page.getByTestId('profile-menu').getByRole('button').click();
    await visible(page.getByTestId('action-block'));
    await viewShot(page, 'ui-phone-profile.png');
    // a toast (following) goes when the screen changes
    await page.keyboard.press('Escape');
    await page.getByTestId('action-follow').click();
    // (a connection is followed already: the button unfollows)
    await expect.poll(() => toastText(page), { timeout: T }).toMatch(/^You (are following|unfollowed) Quinn Quill\.$/);
    await page.waitForTimeout(1100);
    await page.getByTestId('nav-messages').click();
    await expect.poll(() => page.getByTestId('toast').count(), { timeout: T }).toBe(0);

    // the conversation: the composer is on screen, above the tab bar, without scrolling
    await visible(page.getByTestId('conversation')).then((c) => c.getByRole('link').click());
    await expect.poll(() => page.getByTestId('message-body').count(), { timeout: T }).toBe(13);
    await settle(page);
    const box = await page.getByTestId('composer').getByLabel('Message').boundingBox();
    const tab = await tabs.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(tab!.y + 1);
    // the newest message is in view, above the composer
    const last = await page.getByTestId('message-body').last().boundingBox();
    expect(last!.y + last!.height).toBeLessThanOrEqual(box!.y);
    expect(last!.y).toBeGreaterThan(0);
    // "Seen" survives a reload (the conversation's readUpTo)
    const composerBox = page.getByTestId('composer').getByLabel('Message');
    await composerBox.fill('Thanks Quinn!');
    await composerBox.press('Enter');
    await expect.poll(() => page.getByTestId('message-body').count(), { timeout: T }).toBe(14);
    await api('POST', `/v1/conversations/${first.conversation.id}/read`, quinn);
    await page.reload();
    await visible(page.getByTestId('read-receipt'));
    // Delete is behind More here too
    expect(await page.getByRole('button', { name: 'Delete conversation' }).isVisible()).toBe(false);
    await axeScan(page, 'conversation (390 px)');
    await viewShot(page, 'ui-phone-conversation.png');

    // settings: radios and checkboxes are big enough to hit
    await go(page, '#/settings');
    await visible(page.getByTestId('settings-form'));
    const rows = await page.locator('.settings label.radio, .settings label.checkbox').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    expect(Math.min(...rows)).toBeGreaterThanOrEqual(44);
    const inputs = await page.locator('.settings input[type="radio"]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    expect(Math.min(...inputs)).toBeGreaterThanOrEqual(24);
    await noSideScroll(page, 'settings (phone)');
  }, 180_000);

  it('settings in plain words, saved on change; an admin on their own page; the page inbox by name; the switcher only on messaging screens', async () => {
    const pam = await e2e.member('pam_a', 'Pam Admin');
    const visitor = await e2e.member('vic_v', 'Vic Visitor');
    await api('POST', '/v1/pages', pam, { handle: 'globex_p', name: 'Globex Corp', headline: 'Industrial' });
    await api('POST', '/v1/messages', visitor, { to: 'globex_p', body: 'Hello Globex' });

    const { page } = await e2e.newPage();
    await page.setViewportSize(WIDE);
    await e2e.signIn(page, pam, '#/settings');
    await visible(page.getByTestId('settings-form'));
    // "Messages from people outside my connections": to Requests / straight to my inbox
    const straight = page.getByRole('radio', { name: 'Go straight to my inbox' });
    await straight.check();
    await expect.poll(() => page.getByTestId('saved-messageRequests').textContent(), { timeout: T }).toBe('Saved');
    expect((await api('GET', '/v1/me', pam)).settings.messageRequests).toBe('off');
    await axeScan(page, 'settings');
    await shot(page, 'ui-settings-1280.png');
    // no unsaved state to lose: leave and come back
    await page.getByTestId('nav-home').click();
    await visible(page.getByTestId('home'));
    await go(page, '#/settings');
    await expect.poll(() => page.getByRole('radio', { name: 'Go straight to my inbox' }).isChecked(), { timeout: T }).toBe(true);
    // the acting-as switcher is not on screens where it means nothing
    expect(await page.getByTestId('acting-as-select').count()).toBe(0);

    // her own page: no Connect, Follow, Block or "limited profile"; a way to its inbox
    await go(page, '#/profile/globex_p');
    await visible(page.getByTestId('own-page'));
    expect(await textOf(page.getByTestId('degree-badge'))).toBe('Your page');
    expect(await page.getByTestId('primary-action').count()).toBe(0);
    expect(await page.getByTestId('action-block').count()).toBe(0);
    expect(await page.getByTestId('action-follow').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toMatch(/Out of network|limited profile/);
    await axeScan(page, 'own page');
    await page.getByRole('link', { name: 'Open its inbox' }).click();

    // the account menu: the page by name, with its unread count
    await page.getByTestId('account-menu').click();
    const act = await visible(page.locator('[data-testid="act-as"][data-handle="globex_p"]'));
    expect(await act.textContent()).toContain('Globex Corp');
    await expect.poll(() => act.getByTestId('page-unread').textContent(), { timeout: T }).toBe('1');
    await page.keyboard.press('Escape');

    // the page's inbox, titled by name, the switcher there
    await expect.poll(() => page.locator('main h1').textContent(), { timeout: T }).toBe('Messages of Globex Corp');
    await visible(page.getByTestId('acting-as-select'));
    await page.getByTestId('folder-requests').click();
    const conv = await visible(page.getByTestId('conversation'));
    expect(await conv.textContent()).toContain('Vic Visitor');
    await conv.getByRole('link').click();
    const banner = await visible(page.getByTestId('request-banner'));
    expect(await banner.textContent()).toContain('the page Globex Corp');
    // a wide screen: the folder beside the conversation, the open one marked
    const pane = await visible(page.getByTestId('conversation-pane'));
    expect(await pane.locator('[data-testid="pane-conversation"] a[aria-current="page"]').count()).toBe(1);
    await shot(page, 'ui-split-view-1280.png');
    // the request says who wrote and why they could
    await visible(banner.getByTestId('request-sender'));
    expect(await textOf(banner.getByTestId('request-why'))).toContain("wrote to the page's shared inbox");
    await axeScan(page, 'page request');

    // managing the page: a new admin is picked by name
    await go(page, '#/pages');
    const mine = await visible(page.locator('[data-testid="my-page"][data-handle="globex_p"]'));
    await mine.getByLabel('New admin').fill('Vic');
    await expect.poll(() => mine.getByTestId('recipient-options').locator('[role="option"]').count(), { timeout: T }).toBeGreaterThan(0);
    await page.keyboard.press('Enter');
    expect(await textOf(mine.getByTestId('recipient-name'))).toBe('Vic Visitor');
    await mine.getByRole('button', { name: 'Invite admin' }).click();
    await expect.poll(() => toastText(page), { timeout: T }).toBe('Vic Visitor is invited to administer Globex Corp: they become an admin when they accept.');
    await axeScan(page, 'pages');

    // at 390 px
    await page.setViewportSize(PHONE);
    await settle(page);
    await noSideScroll(page, 'pages (390 px)');
    await go(page, '#/profile/globex_p');
    await visible(page.getByTestId('own-page'));
    await noSideScroll(page, 'own page (390 px)');
    await axeScan(page, 'own page (390 px)');
  }, 120_000);
});
