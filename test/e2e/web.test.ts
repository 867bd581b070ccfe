/// <reference lib="dom" />
/**
 * End-to-end tests of the web UI (issue 9): playwright-core drives Debian's Chromium against an
 * in-process Liaison server that serves dist/web at `/` and the real API under /v1.
 *
 * - Two browser contexts as two members: A invites B with a note, B accepts, A messages B, B sees it
 *   appear without reloading, B replies, A sees it.
 * - A free member sees Message denied on a 3rd-degree profile, with the unlocks and the
 *   introduction path.
 * - A message request is accepted from the requests folder.
 * - Names, headlines, notes and message bodies are text, never HTML.
 *
 * - One whole flow by keyboard alone; every screen scanned with axe-core; profile, inbox and
 *   conversation at 375 px wide (test-results/mobile-*.png).
 *
 * Chromium: /usr/bin/chromium (`bash scripts/install-chromium.sh` installs it), else the one
 * @sparticuz/chromium ships (LIAISON_E2E_CHROMIUM=packaged forces it). The UI is built
 * (`node scripts/build-web.mjs`) when dist/web is missing or older than web/. Screenshots go to
 * test-results/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, type Harness } from '../helpers/harness.js';
import { axeScan, cspViolations, go, mobileCheck, shot, startE2E, T, textOf, visible, PASSWORD, type E2E, type Who } from './helpers.js';

const XSS = '<img src=x onerror=alert(1)>';

let e2e: E2E;
let h: Harness;
let base: string;

beforeAll(async () => {
  e2e = await startE2E();
  h = e2e.h;
  base = e2e.base;
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

// ------------------------------------------------------------------ helpers (test/e2e/helpers.ts)

const newPage = () => e2e.newPage();
const member = (handle: string, name: string, headline = ''): Promise<Who> => e2e.member(handle, name, headline);
const connectApi = (a: Who, b: Who) => e2e.connectApi(a, b);
const signIn = (page: Page, who: Who, hash?: string) => e2e.signIn(page, who, hash);

/** What the focused element is called: "tag:label", the label being its <label>, aria-label or text. */
async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return '';
    const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
    return `${el.tagName.toLowerCase()}:${(label ?? el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim()}`;
  });
}

/**
 * Presses Tab (Shift+Tab with `back`) until the focused element matches `want`; fails after `max`
 * presses with the path the focus took. Returns the number of presses.
 */
async function tabTo(page: Page, want: RegExp, { back = false, max = 60 } = {}): Promise<number> {
  const seen: string[] = [];
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (want.test(f)) return i;
    seen.push(f);
  }
  throw new Error(`${back ? 'Shift+Tab' : 'Tab'} never reached ${want} in ${max} presses: ${seen.join(' → ')}`);
}

// ------------------------------------------------------------------ scenarios

describe('web UI end to end (Chromium)', () => {
  it('A invites B with a note, B accepts, they message each other live', async () => {
    const A = { handle: 'ann', name: 'Ann Archer', headline: 'Product designer at Acme' };
    const B = { handle: 'ben', name: 'Ben Baker', headline: 'Engineer at Globex' };
    const { page: pa } = await newPage();
    const { page: pb } = await newPage();

    // Both sign up through the form, as a new user would.
    for (const [page, who] of [
      [pa, A],
      [pb, B],
    ] as const) {
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: 'Sign up' }).first().click();
      const form = await visible(page.getByTestId('signup-form'));
      if (page === pa) await axeScan(page, 'sign up');
      await form.getByLabel('Handle').fill(who.handle);
      await form.getByLabel('Name').fill(who.name);
      await form.getByLabel('E-mail').fill(`${who.handle}@example.test`);
      await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await form.getByLabel('Headline (optional)').fill(who.headline);
      await form.getByRole('button', { name: 'Sign up' }).click();
      // lands on home, then the member's own profile
      await visible(page.getByTestId('home'));
      await page.getByTestId('nav-me').click();
      await visible(page.locator(`[data-testid="profile"][data-handle="${who.handle}"]`));
      expect(await textOf(page.getByTestId('degree-badge'))).toBe('You');
    }
    await axeScan(pa, 'own profile');

    // A finds B with the search in the header (type-ahead) and opens the profile.
    await pa.getByTestId('header-search').getByRole('combobox').fill('Ben');
    const option = await visible(pa.getByTestId('typeahead').locator('[data-handle="ben"]'));
    await axeScan(pa, 'header search type-ahead');
    await option.click();
    await visible(pa.locator('[data-testid="profile"][data-handle="ben"]'));
    expect(await textOf(pa.getByTestId('profile-headline'))).toBe(B.headline);

    // Connect with a note.
    const primary = pa.getByTestId('primary-action');
    expect(await (await visible(primary)).getAttribute('data-action')).toBe('connect');
    await primary.click();
    const panel = await visible(pa.getByTestId('connect-panel'));
    const note = 'Hi Ben, we met at the design meetup. Let us connect!';
    await panel.getByLabel('Note (optional)').fill(note);
    await axeScan(pa, 'profile: connect');
    await panel.getByRole('button', { name: 'Send invitation' }).click();
    await expect.poll(() => primary.getAttribute('data-action'), { timeout: T }).toBe('pending');

    // B, still on their own profile, sees a badge on "My network" appear, opens it, sees the
    // invitation with its note and accepts it.
    expect(await (await visible(pb.getByTestId('nav-invitations'), 20_000)).textContent()).toBe('1');
    await pb.getByTestId('nav-network').click();
    const inv = await visible(pb.locator('[data-testid="invitation-received"][data-handle="ann"]'));
    expect(await inv.textContent()).toContain(note);
    await axeScan(pb, 'my network: invitations');
    await inv.getByRole('button', { name: 'Accept' }).click();
    await visible(pb.locator('[data-testid="connection"][data-handle="ann"]'));
    await pb.getByTestId('nav-invitations').waitFor({ state: 'detached', timeout: T });

    // A's profile of B turns to Message without a reload (invitation.accepted), 1st degree.
    await expect.poll(() => primary.getAttribute('data-action'), { timeout: T }).toBe('message');
    expect(await textOf(pa.getByTestId('degree-badge'))).toBe('1st');

    // B waits on the inbox; A sends the first message from B's profile.
    await pb.getByTestId('nav-messages').click();
    await visible(pb.getByTestId('folder-inbox'));
    await visible(pb.getByTestId('empty'));
    const statusB = pb.getByTestId('stream-status');
    const liveB = (await statusB.textContent())?.includes('Live');

    await primary.click();
    const compose = await visible(pa.getByTestId('compose-form'));
    await expect.poll(() => compose.getByTestId('decision-message').getAttribute('data-allowed'), { timeout: T }).toBe('true');
    const first = 'Hello Ben! Thanks for connecting.';
    await compose.getByLabel('Message').fill(first);
    await axeScan(pa, 'compose');
    await pa.getByTestId('compose-send').click();
    const viewA = await visible(pa.getByTestId('conversation-view'));
    await expect.poll(() => pa.getByTestId('message-body').allTextContents(), { timeout: T }).toEqual([first]);

    // B: the conversation appears in the inbox without a reload, unread.
    const conv = await visible(pb.getByTestId('conversation'), liveB ? T : 20_000);
    expect(await conv.textContent()).toContain(first);
    expect(await conv.getAttribute('data-unread')).toBe('1');
    await shot(pb, 'inbox.png');
    await axeScan(pb, 'inbox');
    await mobileCheck(pb, 'inbox', [
      pb.getByTestId('conversation'),
      pb.getByTestId('nav-messages'),
      pb.getByTestId('nav-me'),
      pb.getByTestId('nav-notifications'),
    ]);
    await conv.getByRole('link').click();
    await expect.poll(() => pb.getByTestId('message-body').allTextContents(), { timeout: T }).toEqual([first]);
    expect(await textOf(pb.getByTestId('message-sender'))).toBe(A.name);

    // B replies (Enter sends); A sees it appear in the open conversation without reloading.
    const reply = 'Hi Ann, great to hear from you.';
    const box = pb.getByTestId('composer').getByLabel('Message');
    await box.fill(reply);
    await box.press('Enter');
    await expect.poll(() => pb.getByTestId('message-body').allTextContents(), { timeout: T }).toEqual([first, reply]);
    await expect.poll(() => viewA.getByTestId('message-body').allTextContents(), { timeout: 20_000 }).toEqual([first, reply]);
    await axeScan(pb, 'conversation');
    await mobileCheck(pb, 'conversation', [
      pb.getByTestId('composer').getByLabel('Message'),
      pb.getByTestId('composer').getByRole('button', { name: 'Send' }),
      pb.getByTestId('nav-network'),
    ]);
    const theirs = await pa.locator('[data-testid="message"][data-mine="false"]').first().textContent();
    expect(theirs).toContain(B.name);
    // the UI needs nothing its Content-Security-Policy forbids
    expect(await cspViolations(pa)).toEqual([]);
    expect(await cspViolations(pb)).toEqual([]);
  }, 120_000);

  it('keyboard only: sign in, find a member, open the profile, connect with a note, open the inbox, write and send a message', async () => {
    const kim = await member('kim_k', 'Kim Keys', 'Accessibility lead');
    const lou = await member('lou_l', 'Lou Lane', 'Engineer at Umbrella');
    const { page } = await newPage();
    const key = (k: string) => page.keyboard.press(k);
    const type = (t: string) => page.keyboard.type(t);

    // sign in: the first Tab reaches the skip link, then on to the form
    await page.goto(`${base}/#/signin`);
    await visible(page.getByTestId('signin-form'));
    await tabTo(page, /^a:Skip to content$/, { max: 3 });
    await tabTo(page, /^input:Handle or e-mail$/);
    await type(kim.handle);
    await key('Tab');
    expect(await focused(page)).toBe('input:Password');
    await type(PASSWORD);
    await key('Enter');
    await visible(page.getByTestId('account-menu'));

    // the header's search: type, Enter opens the results page
    await tabTo(page, /^input:Search people$/);
    await type('Lou');
    await key('Enter');
    await expect.poll(() => page.url()).toMatch(/#\/search\?q=Lou$/);
    await visible(page.locator('[data-testid="search-result"][data-handle="lou_l"]'));

    // the result's name opens the profile
    await tabTo(page, /^a:Lou Lane$/);
    await key('Enter');
    await visible(page.locator('[data-testid="profile"][data-handle="lou_l"]'));

    // Connect (Space presses a button too), the note, Send invitation
    const primary = page.getByTestId('primary-action');
    await tabTo(page, /^button:Connect$/);
    await key('Space');
    await visible(page.getByTestId('connect-panel'));
    await tabTo(page, /^textarea:Note \(optional\)$/, { max: 5 });
    await type('Hi Lou, I liked your talk on accessible forms.');
    await tabTo(page, /^button:Send invitation$/, { max: 3 });
    await key('Enter');
    await expect.poll(() => primary.getAttribute('data-action'), { timeout: T }).toBe('pending');

    // Lou accepts (not this member's flow); the profile turns to Message without a reload
    const inv = await h.call('GET', '/v1/invitations?direction=received', { token: lou.token });
    const id = (inv.body.items as { id: string; from: { handle: string } }[]).find((i) => i.from.handle === kim.handle)?.id;
    expect(id, inv.text).toBeTruthy();
    expect((await h.call('POST', `/v1/invitations/${id}/accept`, { token: lou.token })).status).toBe(200);
    await expect.poll(() => primary.getAttribute('data-action'), { timeout: 20_000 }).toBe('message');

    // the inbox (back up to the header with Shift+Tab), then New message
    await tabTo(page, /^a:Messaging/, { back: true });
    await key('Enter');
    await visible(page.getByTestId('folder-inbox'));
    await tabTo(page, /^a:New message$/);
    await key('Enter');
    const compose = await visible(page.getByTestId('compose-form'));
    await tabTo(page, /^input:To$/);
    await type(lou.handle);
    // Enter picks the member whose handle was typed; the picked member is shown by name
    await key('Enter');
    expect(await textOf(compose.getByTestId('recipient-name'))).toBe('Lou Lane');
    await expect.poll(() => compose.getByTestId('decision-message').getAttribute('data-allowed'), { timeout: T }).toBe('true');
    await tabTo(page, /^textarea:Message$/);
    const first = 'Thanks for connecting, Lou! Coffee next week?';
    await type(first);
    await tabTo(page, /^button:Send$/);
    await key('Enter');
    await visible(page.getByTestId('conversation-view'));
    await expect.poll(() => page.getByTestId('message-body').allTextContents(), { timeout: T }).toEqual([first]);

    // in the conversation: Tab to the composer, Enter sends
    await tabTo(page, /^textarea:Message$/);
    await type('Tuesday suits me.');
    await key('Enter');
    await expect.poll(() => page.getByTestId('message-body').allTextContents(), { timeout: T }).toEqual([first, 'Tuesday suits me.']);
    const got = await h.call('GET', '/v1/conversations?folder=requests', { token: lou.token });
    const inbox = await h.call('GET', '/v1/conversations?folder=inbox', { token: lou.token });
    expect([...got.body.items, ...inbox.body.items].map((c: { lastMessage: { body: string } }) => c.lastMessage.body)).toContain('Tuesday suits me.');
  }, 120_000);

  it('a free member sees Message denied on a 3rd-degree profile, with the unlocks and the introduction path', async () => {
    // viewer — x — y — target: the target is 3rd degree for the free viewer.
    const viewer = await member('vera', 'Vera Vance', 'Recruiter');
    const x = await member('xavi', 'Xavi Xu');
    const y = await member('yuki', 'Yuki Young');
    const target = await member('tomas', 'Tomas Twain', 'CTO at Initech');
    await connectApi(viewer, x);
    await connectApi(x, y);
    await connectApi(y, target);

    const { page } = await newPage();
    await signIn(page, viewer, '#/profile/tomas');
    await visible(page.locator('[data-testid="profile"][data-handle="tomas"]'));
    expect(await textOf(page.getByTestId('profile-name'))).toBe(target.name);
    expect(await textOf(page.getByTestId('degree-badge'))).toBe('3rd');

    // Connect is the main button; Message is there, locked.
    expect(await page.getByTestId('primary-action').getAttribute('data-action')).toBe('connect');
    const msg = await visible(page.getByTestId('action-message'));
    expect(await msg.getAttribute('data-mode')).toBe('denied');

    const decision = await visible(page.getByTestId('decision-message'));
    expect(await decision.getAttribute('data-allowed')).toBe('false');
    expect(await decision.getAttribute('data-reason')).toBe('not_in_reach');
    expect(await decision.textContent()).toContain('outside the reach of your plan');
    // free ways first, then what the administrator can grant; no InMail without credits
    await expect
      .poll(
        () =>
          decision
            .getByTestId('unlocks')
            .locator('> li')
            .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))),
        { timeout: T },
      )
      .toEqual(['unlock-connect', 'unlock-introduction', 'unlock-upgrade']);
    expect(await textOf(decision.getByTestId('unlock-upgrade'))).toContain('Ask your administrator for Business to message them');
    expect(await textOf(decision.getByTestId('unlock-connect'))).toContain('Connect first');
    expect(await decision.getByTestId('unlock-inmail').count()).toBe(0);
    // a 3rd-degree member: ask the first step to introduce you to the second, by name
    const intro = await visible(decision.getByTestId('unlock-introduction'));
    await expect.poll(() => intro.textContent(), { timeout: T }).toContain('Ask Xavi Xu to introduce you to Yuki Young, who knows Tomas Twain');
    const path = await intro.getByTestId('introduction-path').locator('li').allTextContents();
    expect(path).toEqual(['You', 'Xavi Xu', 'Yuki Young', 'Tomas Twain']);
    await shot(page, 'profile.png');
    await axeScan(page, 'profile (3rd degree)');
    await mobileCheck(page, 'profile', [page.getByTestId('primary-action'), page.getByTestId('decision-message'), page.getByTestId('nav-me')]);

    // Clicking the locked Message opens the explanation in place (no compose screen without a message box).
    await msg.click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('decision-message');
    expect(page.url()).toMatch(/#\/profile\/tomas$/);

    // The compose screen, opened on them anyway, says the same and offers nothing to send.
    await go(page, '#/messages/new?to=tomas');
    const compose = await visible(page.getByTestId('compose-form'));
    const d2 = await visible(compose.getByTestId('decision-message'));
    await expect.poll(() => d2.getAttribute('data-reason'), { timeout: T }).toBe('not_in_reach');
    await visible(d2.getByTestId('introduction-path'));
    await axeScan(page, 'compose (denied)');
    expect(await page.getByTestId('compose-send').isDisabled()).toBe(true);
    expect(await compose.getByLabel('Message').count()).toBe(0);

    // The introduction link opens the introductions flow on Yuki's profile, through Xavi.
    await d2.getByRole('link', { name: /Ask Xavi Xu to introduce you to Yuki Young/ }).click();
    await visible(page.locator('[data-testid="profile"][data-handle="yuki"]'));
    const panel = await visible(page.getByTestId('introduction-panel'));
    expect(await panel.getByRole('radio', { name: /Xavi Xu/ }).isChecked()).toBe(true);
  }, 120_000);

  it('a message request is accepted from the requests folder', async () => {
    // A career member reaches a 2nd-degree member for free; it arrives as a message request.
    const rita = await member('rita', 'Rita Ramos', 'Head of Data');
    const mutual = await member('mo_mutual', 'Mo Mutual');
    const sam = await member('sam', 'Sam Sender', 'Sales at Hooli');
    await connectApi(rita, mutual);
    await connectApi(mutual, sam);
    const up = await admin(h, 'PUT', '/v1/admin/members/sam/subscription', { tier: 'career', until: '2099-01-01T00:00:00Z' });
    expect(up.status, up.text).toBe(200);
    const body = 'Hi Rita, Mo suggested I reach out about your data platform.';
    const sent = await h.call('POST', '/v1/messages', { token: sam.token, body: { to: 'rita', body } });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.body.conversation.state).toBe('request');

    const { page } = await newPage();
    await signIn(page, rita, '#/messages');
    // the inbox is empty; the Requests tab shows one unread
    await visible(page.getByTestId('empty'));
    expect(await textOf(page.getByTestId('unread-requests'))).toBe('1');
    await page.getByTestId('folder-requests').click();
    const conv = await visible(page.getByTestId('conversation'));
    expect(await conv.textContent()).toContain(sam.name);
    expect(await conv.textContent()).toContain(body);
    await axeScan(page, 'requests');
    await conv.getByRole('link').click();

    const view = await visible(page.getByTestId('conversation-view'));
    await expect.poll(() => view.getAttribute('data-state'), { timeout: T }).toBe('request');
    const banner = await visible(page.getByTestId('request-banner'));
    expect(await banner.textContent()).toContain(sam.name);
    expect(await textOf(page.getByTestId('message-body'))).toBe(body);
    // cannot reply before accepting
    expect(await page.getByTestId('composer').getByLabel('Message').isDisabled()).toBe(true);
    await shot(page, 'request.png');
    await axeScan(page, 'request conversation');

    await banner.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => view.getAttribute('data-state'), { timeout: T }).toBe('open');
    await page.getByTestId('request-banner').waitFor({ state: 'detached', timeout: T });
    const box = page.getByTestId('composer').getByLabel('Message');
    await expect.poll(() => box.isEnabled(), { timeout: T }).toBe(true);
    const reply = 'Hi Sam, happy to talk. How about Thursday?';
    await box.fill(reply);
    await page.getByTestId('composer').getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('message-body').allTextContents(), { timeout: T }).toEqual([body, reply]);

    // the conversation is open for both, and now in Rita's inbox
    const samInbox = await h.call('GET', '/v1/conversations?folder=inbox', { token: sam.token });
    expect(samInbox.body.items[0].state).toBe('open');
    expect(samInbox.body.items[0].lastMessage.body).toBe(reply);
    await go(page, '#/messages');
    await expect.poll(() => page.getByTestId('conversation').count(), { timeout: T }).toBe(1);
    await page.getByTestId('folder-requests').click();
    await visible(page.getByTestId('empty'));
  }, 120_000);

  it('without the live stream, the inbox and an open conversation still update (polling)', async () => {
    const pia = await member('pia', 'Pia Polling');
    const quinn = await member('quinn', 'Quinn Quill');
    await connectApi(pia, quinn);

    const { page } = await newPage();
    // a WebSocket that never opens: a proxy that drops upgrades, or a server without the stream
    await page.addInitScript(() => {
      class DeadSocket extends EventTarget {
        static readonly CONNECTING = 0;
        static readonly OPEN = 1;
        static readonly CLOSING = 2;
        static readonly CLOSED = 3;
        readyState = 3;
        onopen: ((e: Event) => void) | null = null;
        onmessage: ((e: MessageEvent) => void) | null = null;
        onerror: ((e: Event) => void) | null = null;
        onclose: ((e: CloseEvent) => void) | null = null;
        constructor(public url: string) {
          super();
          setTimeout(() => {
            this.onerror?.(new Event('error'));
            this.onclose?.(new CloseEvent('close', { code: 1006 }));
          }, 10);
        }
        send(): void {}
        close(): void {}
      }
      (window as unknown as { WebSocket: unknown }).WebSocket = DeadSocket;
    });
    await signIn(page, pia, '#/messages');
    await visible(page.getByTestId('empty'));
    expect(await textOf(page.getByTestId('stream-status'))).not.toMatch(/Live$/);

    const m1 = await h.call('POST', '/v1/messages', { token: quinn.token, body: { to: 'pia', body: 'Are you there?' } });
    expect(m1.status, m1.text).toBe(201);
    const conv = await visible(page.getByTestId('conversation'), 20_000);
    expect(await conv.textContent()).toContain('Are you there?');
    await conv.getByRole('link').click();
    await expect.poll(() => page.getByTestId('message-body').allTextContents(), { timeout: T }).toEqual(['Are you there?']);

    const m2 = await h.call('POST', `/v1/conversations/${m1.body.conversation.id}/messages`, {
      token: quinn.token,
      body: { body: 'Ping again.' },
    });
    expect(m2.status, m2.text).toBe(201);
    await expect.poll(() => page.getByTestId('message-body').allTextContents(), { timeout: 20_000 }).toEqual(['Are you there?', 'Ping again.']);
  }, 120_000);

  it('names, headlines, notes and messages are rendered as text: an <img onerror> payload never runs', async () => {
    // Positive control: the same payload, parsed as HTML in this browser, does raise a dialog.
    {
      const { page, dialogs } = await newPage();
      await page.setContent(`<body>${XSS}</body>`);
      await expect.poll(() => dialogs.length, { timeout: T }).toBeGreaterThan(0);
      await page.close();
    }

    const victim = await member('victor', 'Victor Vale');
    const evil = await member('mallory', XSS, XSS);
    const inv = await h.call('POST', '/v1/invitations', { token: evil.token, body: { to: 'victor', note: XSS } });
    expect(inv.status, inv.text).toBe(201);

    const { page, dialogs } = await newPage();
    await signIn(page, victim, '#/network');
    // the invitation: name, headline and note as literal text
    const item = await visible(page.locator('[data-testid="invitation-received"][data-handle="mallory"]'));
    expect(await item.textContent()).toContain(XSS);
    expect(await item.locator('blockquote').textContent()).toBe(XSS);
    await item.getByRole('button', { name: 'Accept' }).click();
    await visible(page.locator('[data-testid="connection"][data-handle="mallory"]'));

    // a message whose body is the payload, live into the open inbox
    await go(page, '#/messages');
    await visible(page.getByTestId('empty'));
    const m = await h.call('POST', '/v1/messages', { token: evil.token, body: { to: 'victor', body: XSS } });
    expect(m.status, m.text).toBe(201);
    const conv = await visible(page.getByTestId('conversation'), 20_000);
    expect(await conv.textContent()).toContain(XSS);
    await conv.getByRole('link').click();
    expect(await textOf(page.getByTestId('message-body'))).toBe(XSS);
    expect(await textOf(page.getByTestId('message-sender'))).toBe(XSS);
    // the reply with the payload, sent from the UI
    const box = page.getByTestId('composer').getByLabel('Message');
    await box.fill(XSS);
    await box.press('Enter');
    await expect.poll(() => page.getByTestId('message-body').allTextContents(), { timeout: T }).toEqual([XSS, XSS]);

    // the profile
    await go(page, '#/profile/mallory');
    expect(await textOf(page.getByTestId('profile-name'))).toBe(XSS);
    expect(await textOf(page.getByTestId('profile-headline'))).toBe(XSS);

    // no element was created from the payload, and nothing ran
    expect(await page.locator('img[src="x"], img[onerror]').count()).toBe(0);
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
  }, 120_000);
});
