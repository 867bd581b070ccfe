/// <reference lib="dom" />
/**
 * Warm introductions end to end in Chromium (issue 21, DOMAIN.md 11): three members in three
 * browsers. The asker asks from the introduction unlock of a 2nd-degree profile (picking the mutual
 * connection, with a note, by keyboard); the introducer sees the ask arrive live under My network and
 * forwards it with a note; the target sees the request arrive live in the requests folder, "Introduced
 * by" with both notes, and accepts it; the asker's list turns to Forwarded. Then the refusals in words:
 * an open ask (awaiting_response), three declines (introductions_paused, with its wait date; reached
 * from the compose screen's unlock), the monthly limit.
 *
 * Accessibility: when axe-core can be loaded (`axe-core` installed, or LIAISON_AXE_CORE naming
 * axe.min.js) each new screen is checked for WCAG 2 A/AA violations; otherwise that check is skipped
 * with a note. Screenshots go to test-results/introduction-*.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, cspViolations, go, shot as fullShot, startE2E, T, textOf, visible, type E2E, type Who } from './helpers.js';

let e2e: E2E;

beforeAll(async () => {
  // a small monthly limit, so that the second scenario reaches it
  e2e = await startE2E({ policy: { introductionsPerMonth: 4 } });
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

// ------------------------------------------------------------------ helpers

/** axe-core's source, or null when it is not available on this machine. */
function axeSource(): string | null {
  const candidates = [process.env.LIAISON_AXE_CORE];
  try {
    candidates.push(createRequire(import.meta.url).resolve('axe-core/axe.min.js'));
  } catch {
    /* not installed */
  }
  for (const p of candidates) if (p && existsSync(p)) return readFileSync(p, 'utf8');
  return null;
}
const AXE = axeSource();
if (!AXE) console.warn('[introductions e2e] axe-core not found (npm i -D axe-core, or LIAISON_AXE_CORE=<axe.min.js>): accessibility scan skipped');

/**
 * WCAG 2 A/AA violations inside `include` (what this issue added; the header and the message list
 * are not judged here), as "rule: target" lines.
 */
async function axeViolations(page: Page, include: string | string[]): Promise<string[]> {
  if (!AXE) return [];
  // evaluated through the DevTools protocol: the page's Content-Security-Policy does not apply
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  return page.evaluate(
    async (inc) => {
      const axe = (
        window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }
      ).axe;
      const r = await axe.run({ include: inc.map((sel) => [sel]) }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
    },
    Array.isArray(include) ? include : [include],
  );
}

/** A full-page screenshot from the top (the sticky header would otherwise sit mid-page). */
async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullShot(page, name);
}

async function waitLive(page: Page): Promise<void> {
  await expect.poll(() => page.getByTestId('stream-status').textContent(), { timeout: 20_000 }).toMatch(/Live$/);
}

/** The accessible name of the focused element (enough to follow the keyboard). */
async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
    return `${el.tagName.toLowerCase()}:${(label ?? el.getAttribute('aria-label') ?? el.textContent ?? '').trim()}`;
  });
}

async function announced(page: Page): Promise<string> {
  return (await page.getByTestId('announcer').textContent()) ?? '';
}

async function item(scope: Page | Locator, testId: string, attrs: Record<string, string>): Promise<Locator> {
  const sel = Object.entries(attrs)
    .map(([k, v]) => `[data-${k}="${v}"]`)
    .join('');
  return visible(scope.locator(`[data-testid="${testId}"]${sel}`));
}

// ------------------------------------------------------------------ scenarios

describe('warm introductions end to end (Chromium)', () => {
  it('ask from the profile unlock, forward under My network, the introduced request accepted: three members, live', async () => {
    const ava = await e2e.member('ava', 'Ava Asker', 'Founder at Brightloop');
    const ian = await e2e.member('ian', 'Ian Ives', 'Engineering manager at Globex');
    const tess = await e2e.member('tess', 'Tess Tran', 'Head of Research at Initech');
    const max = await e2e.member('max', 'Max Moss', 'Designer');
    // ava — ian — tess and ava — max — tess: tess is 2nd degree to ava, with two mutual connections
    await e2e.connectApi(ava, ian);
    await e2e.connectApi(ian, tess);
    await e2e.connectApi(ava, max);
    await e2e.connectApi(max, tess);

    const { page: pi } = await e2e.newPage();
    const { page: pt } = await e2e.newPage();
    const { page: pa, dialogs } = await e2e.newPage();
    await e2e.signIn(pi, ian, '#/network');
    await e2e.signIn(pt, tess, '#/messages?folder=requests');
    await e2e.signIn(pa, ava, '#/profile/tess');
    // nothing to forward yet: the card is not shown (empty cards collapse); it appears when an ask arrives
    await visible(pi.getByTestId('section-connections'));
    expect(await pi.getByTestId('section-introductions').count()).toBe(0);
    await visible(pt.getByTestId('empty'));
    // the introducer and the target wait on open sockets: what follows arrives live, not by polling
    await waitLive(pi);
    await waitLive(pt);

    // --- the asker: Message is denied on the 2nd-degree profile; the unlocks name both mutuals
    await visible(pa.locator('[data-testid="profile"][data-handle="tess"]'));
    expect(await textOf(pa.getByTestId('degree-badge'))).toBe('2nd');
    const decision = await visible(pa.getByTestId('decision-message'));
    expect(await decision.getAttribute('data-allowed')).toBe('false');
    const unlocks = decision.getByTestId('unlock-introduction');
    await expect.poll(() => unlocks.count()).toBe(2);
    expect((await unlocks.allTextContents()).join(' | ')).toMatch(
      /Ask Ian Ives for an introduction.*\|.*Ask Max Moss for an introduction|Ask Max Moss for an introduction.*\|.*Ask Ian Ives for an introduction/,
    );

    // keyboard only: the unlock opens the form, focus lands on its heading
    const askIan = decision.getByRole('button', { name: 'Ask Ian Ives for an introduction' });
    await askIan.focus();
    await pa.keyboard.press('Enter');
    const panel = await visible(pa.getByTestId('introduction-panel'));
    await expect.poll(() => focused(pa)).toBe('h2:Ask for an introduction to Tess Tran');
    // the mutual connections by name, the one of the unlock picked
    const radios = panel.getByRole('radio');
    await expect.poll(() => radios.count()).toBe(2);
    await expect
      .poll(() =>
        panel
          .getByRole('group', { name: 'Who should introduce you?' })
          .getByRole('radio', { name: /Ian Ives/ })
          .isChecked(),
      )
      .toBe(true);
    await visible(panel.getByRole('radio', { name: /Max Moss/ }));
    // Tab to the picked radio, arrows change the pick, Tab to the note
    await pa.keyboard.press('Tab');
    expect(await focused(pa)).toMatch(/^input:/);
    await pa.keyboard.press('ArrowDown');
    expect(await panel.getByRole('radio', { name: /Max Moss/ }).isChecked()).toBe(true);
    await pa.keyboard.press('ArrowUp');
    expect(await panel.getByRole('radio', { name: /Ian Ives/ }).isChecked()).toBe(true);
    await pa.keyboard.press('Tab');
    expect(await focused(pa)).toBe('textarea:Your note (optional)');
    // a note over 300 characters cannot be sent
    await pa.keyboard.insertText('x'.repeat(301));
    expect(await textOf(panel.getByTestId(/-note-count-counter$/))).toBe('1 characters over the limit of 300');
    expect(await panel.getByTestId('introduction-send').isDisabled()).toBe(true);
    const askNote = 'Hi Ian! Tess leads research at Initech and I would love to hear how they run user studies.';
    await panel.getByLabel('Your note (optional)').fill(askNote);
    await panel.getByLabel('Your note (optional)').focus();
    expect(await panel.getByTestId('introduction-send').isEnabled()).toBe(true);
    expect(await axeViolations(pa, '[data-testid="profile"]')).toEqual([]);
    await axeScan(pa, 'profile: ask for an introduction');
    await shot(pa, 'introduction-ask.png');
    await pa.keyboard.press('Tab');
    expect(await focused(pa)).toBe('button:Send ask');
    await pa.keyboard.press('Enter');
    const sent = await visible(panel.getByTestId('introduction-sent'));
    expect(await sent.textContent()).toContain('You asked Ian Ives to introduce you to Tess Tran.');
    await expect.poll(() => announced(pa)).toBe('You asked Ian Ives to introduce you to Tess Tran.');
    // focus follows to the confirmation (a screen reader reads it)
    await expect.poll(() => focused(pa)).toMatch(/^p:You asked Ian Ives/);

    // asking again about Tess, through Max, while the first ask is open: refused in words
    await panel.getByRole('button', { name: 'Done' }).click();
    await pa.getByTestId('introduction-panel').waitFor({ state: 'detached' });
    await expect.poll(() => focused(pa)).toBe('button:Ask Ian Ives for an introduction');
    await decision.getByRole('button', { name: 'Ask Max Moss for an introduction' }).click();
    const panel2 = await visible(pa.getByTestId('introduction-panel'));
    expect(await panel2.getByRole('radio', { name: /Max Moss/ }).isChecked()).toBe(true);
    await panel2.getByRole('button', { name: 'Send ask' }).click();
    const refused = await visible(panel2.getByTestId('error'));
    expect(await refused.getAttribute('data-code')).toBe('awaiting_response');
    expect(await refused.textContent()).toContain('You already asked for an introduction to Tess Tran. Wait for the answer before asking again.');
    await panel2.getByRole('button', { name: 'Cancel' }).click();

    // the asker's list: Asked, then (live) Forwarded
    await go(pa, '#/network');
    const mine = await visible(pa.getByTestId('section-introductions-asked'));
    const myAsk = await item(mine, 'introduction-asked', { to: 'tess' });
    expect(await myAsk.getAttribute('data-status')).toBe('asked');
    expect(await textOf(myAsk.getByTestId('introduction-status'))).toBe('Asked');
    expect(await myAsk.textContent()).toContain('Through Ian Ives');
    await waitLive(pa);

    // --- the introducer: the ask arrived without a reload (introduction.asked), with a badge on My network
    const ask = await item(pi, 'introduction-to-forward', { from: 'ava', to: 'tess' });
    await expect.poll(() => pi.getByTestId('nav-introductions').textContent(), { timeout: T }).toBe('1');
    expect(await textOf(pi.getByTestId('count-introductions'))).toBe('1');
    expect(await ask.textContent()).toContain('Ava Asker asks you to introduce them to Tess Tran.');
    // the target's card, and the asker's note
    const card = ask.getByTestId('introduction-target');
    expect(await textOf(card.getByRole('link', { name: 'Tess Tran' }))).toBe('Tess Tran');
    expect(await card.textContent()).toContain('Head of Research at Initech');
    expect(await textOf(ask.getByRole('blockquote', { name: 'Note from Ava Asker' }))).toBe(askNote);
    expect(await axeViolations(pi, '[data-testid="section-introductions"]')).toEqual([]);
    await axeScan(pi, 'my network: introductions to forward');
    const forwardNote = 'Tess, Ava is a thoughtful founder I worked with for years. Worth a coffee!';
    await ask.getByLabel('Your note to Tess Tran (optional)').fill(forwardNote);
    await shot(pi, 'introduction-forward.png');
    await ask.getByRole('button', { name: 'Forward' }).click();
    await expect.poll(() => announced(pi)).toBe('You introduced Ava Asker to Tess Tran.');
    await visible(pi.getByTestId('section-introductions').getByTestId('empty'));
    await pi.getByTestId('nav-introductions').waitFor({ state: 'detached' });
    // focus stays in the section whose item went away
    expect(await focused(pi)).toMatch(/^h2:Introductions to forward/);

    // --- the target: the request arrives live in the requests folder, introduced by Ian
    const conv = await visible(pt.getByTestId('conversation'));
    expect(await textOf(conv.getByTestId('introduced-by'))).toBe('Introduced by Ian Ives');
    expect(await conv.textContent()).toContain('Ava Asker');
    expect(await conv.textContent()).toContain(askNote);
    expect(await textOf(pt.getByTestId('unread-requests'))).toBe('1');
    expect(await axeViolations(pt, '.conversation-list')).toEqual([]);
    await axeScan(pt, 'requests (introduced)');
    await shot(pt, 'introduction-requests-folder.png');
    await conv.getByRole('link').click();
    const view = await visible(pt.getByTestId('conversation-view'));
    await expect.poll(() => view.getAttribute('data-state')).toBe('request');
    const intro = await visible(view.getByTestId('introduction-card'));
    expect(await textOf(intro.getByTestId('introduced-by'))).toBe('Introduced by Ian Ives');
    expect(await textOf(intro.getByRole('blockquote', { name: 'Note from Ian Ives' }))).toBe(forwardNote);
    expect(await textOf(intro.getByRole('blockquote', { name: 'Note from Ava Asker' }))).toBe(askNote);
    // the asker's note is the message: shown once in the conversation (the split view's list beside it previews it too)
    expect(await view.getByText(askNote, { exact: true }).count()).toBe(1);
    expect(await textOf(pt.getByTestId('message-sender'))).toBe('Ava Asker');
    const banner = await visible(pt.getByTestId('request-banner'));
    expect(await banner.textContent()).toContain('Ava Asker');
    expect(await axeViolations(pt, ['[data-testid="introduction-card"]', '[data-testid="request-banner"]'])).toEqual([]);
    await axeScan(pt, 'conversation: introduced request');
    await shot(pt, 'introduction-request.png');
    await banner.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => view.getAttribute('data-state')).toBe('open');
    const box = pt.getByTestId('composer').getByLabel('Message');
    await expect.poll(() => box.isEnabled()).toBe(true);
    const reply = 'Hi Ava, any friend of Ian is welcome. Thursday?';
    await box.fill(reply);
    await box.press('Enter');
    await expect.poll(() => pt.getByTestId('message-body').allTextContents()).toEqual([reply]);

    // --- the asker: Forwarded without a reload; the conversation shows the card and the reply
    await expect.poll(() => myAsk.getAttribute('data-status'), { timeout: T }).toBe('forwarded');
    expect(await textOf(myAsk.getByTestId('introduction-status'))).toBe('Forwarded');
    expect(await myAsk.textContent()).toContain('Ian Ives forwarded it to Tess Tran.');
    expect(await axeViolations(pa, '[data-testid="section-introductions-asked"]')).toEqual([]);
    await axeScan(pa, 'my network: introductions you asked for');
    await shot(pa, 'introduction-asked.png');
    await myAsk.getByRole('link', { name: 'Open the conversation' }).click();
    const mineView = await visible(pa.getByTestId('conversation-view'));
    const myCard = await visible(mineView.getByTestId('introduction-card'));
    expect(await textOf(myCard.getByRole('blockquote', { name: 'Your note' }))).toBe(askNote);
    expect(await textOf(myCard.getByRole('blockquote', { name: 'Note from Ian Ives' }))).toBe(forwardNote);
    await expect.poll(() => pa.getByTestId('message-body').allTextContents()).toEqual([reply]);

    // nobody else learns of it: Max sees no ask
    const list = await e2e.h.call('GET', '/v1/introductions?role=to_forward', { token: max.token });
    expect(list.body.items).toEqual([]);
    for (const p of [pa, pi, pt]) expect(await cspViolations(p)).toEqual([]);
    expect(dialogs).toEqual([]);
  }, 180_000);

  it('declines: the asker reads "Not forwarded"; after three, the introducer is paused and no longer offered; another mutual; the monthly limit', async () => {
    const pat = await e2e.member('pat', 'Pat Price');
    const iris = await e2e.member('iris', 'Iris Ito');
    const mo = await e2e.member('momo', 'Mo Mutual');
    await e2e.connectApi(pat, iris);
    await e2e.connectApi(pat, mo);
    const targets: Who[] = [];
    for (let i = 1; i <= 5; i++) {
      const t = await e2e.member(`uma${i}`, `Uma ${i}`, `Person ${i}`);
      await e2e.connectApi(iris, t);
      if (i >= 4) await e2e.connectApi(mo, t);
      targets.push(t);
    }
    // three asks through Iris (setup through the API)
    const ids: string[] = [];
    for (const t of targets.slice(0, 3)) {
      const r = await e2e.h.call('POST', '/v1/introductions', { token: pat.token, body: { to: t.handle, via: iris.handle, note: `About ${t.name}` } });
      expect(r.status, r.text).toBe(201);
      ids.push(r.body.id);
    }

    // Iris declines the first in the UI, the other two through the API
    const { page: pi } = await e2e.newPage();
    await e2e.signIn(pi, iris, '#/network');
    await expect.poll(() => pi.getByTestId('introduction-to-forward').count()).toBe(3);
    const first = await item(pi, 'introduction-to-forward', { id: ids[0]! });
    await first.getByRole('button', { name: 'Decline' }).click();
    await expect.poll(() => announced(pi)).toBe("You declined Pat Price's request. They will only see that it was not forwarded.");
    await expect.poll(() => pi.getByTestId('introduction-to-forward').count()).toBe(2);
    for (const id of ids.slice(1)) {
      const d = await e2e.h.call('POST', `/v1/introductions/${id}/decline`, { token: iris.token });
      expect(d.status, d.text).toBe(200);
    }

    // Pat: three asks, all "Not forwarded" (declined reads no differently)
    const { page: pp } = await e2e.newPage();
    await e2e.signIn(pp, pat, '#/network');
    const mine = await visible(pp.getByTestId('section-introductions-asked'));
    await expect.poll(() => mine.getByTestId('introduction-asked').count()).toBe(3);
    expect(await mine.locator('[data-testid="introduction-asked"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).toEqual([
      'not_forwarded',
      'not_forwarded',
      'not_forwarded',
    ]);
    expect(await mine.getByTestId('introduction-status').allTextContents()).toEqual(['Not forwarded', 'Not forwarded', 'Not forwarded']);
    expect(await mine.textContent()).not.toMatch(/declin/i);

    // a 4th ask: Iris has paused Pat's asks (three declines), so the compose screen's unlock no longer
    // names her (it did, and the ask was then refused: found by a member), only the other mutual, Mo
    await go(pp, '#/messages/new?to=uma4');
    const decision = await visible(pp.getByTestId('compose-form').getByTestId('decision-message'));
    await expect.poll(() => decision.getAttribute('data-reason')).toBe('not_in_reach');
    expect(await decision.getByRole('link', { name: 'Ask Iris Ito for an introduction' }).count()).toBe(0);
    await decision.getByRole('link', { name: 'Ask Mo Mutual for an introduction' }).click();
    await visible(pp.locator('[data-testid="profile"][data-handle="uma4"]'));
    const panel = await visible(pp.getByTestId('introduction-panel'));
    expect(await panel.getByRole('radio', { name: /Mo Mutual/ }).isChecked()).toBe(true);
    expect(await panel.getByRole('radio', { name: /Iris Ito/ }).count()).toBe(0);
    // asked through Iris all the same (an old link, the API): refused, paused until 90 days after the
    // declines (at 2026-03-10T12:00Z, the harness clock), with no word of a decline
    const paused = await e2e.h.call('POST', '/v1/introductions', { token: pat.token, body: { to: 'uma4', via: iris.handle } });
    expect(paused.status).toBe(403);
    expect(paused.body.error.code).toBe('introductions_paused');
    expect(String(paused.body.error.unlock[0]?.until)).toMatch(/^2026-06-08T/);
    expect(paused.body.error.message).not.toMatch(/declin/i);
    await panel.getByLabel('Your note (optional)').fill('Could you introduce me to Uma?');
    expect(await axeViolations(pp, '[data-testid="profile"]')).toEqual([]);
    await axeScan(pp, 'profile: introduction through the mutual who takes asks');
    await shot(pp, 'introduction-paused.png');
    await panel.getByRole('button', { name: 'Send ask' }).click();
    expect(await textOf(panel.getByTestId('introduction-sent'))).toContain('You asked Mo Mutual to introduce you to Uma 4.');

    // that was the 4th ask this month (policy introductionsPerMonth: 4): no introduction is offered
    // until April, and a 5th ask is refused with that date
    await go(pp, '#/profile/uma5');
    const d5 = await visible(pp.locator('[data-testid="profile"][data-handle="uma5"]').getByTestId('decision-message'));
    await expect.poll(() => d5.getAttribute('data-reason')).toBe('not_in_reach');
    expect(await d5.getByRole('button', { name: /for an introduction/ }).count()).toBe(0);
    expect(await d5.getByRole('link', { name: /for an introduction/ }).count()).toBe(0);
    const fifth = await e2e.h.call('POST', '/v1/introductions', { token: pat.token, body: { to: 'uma5', via: mo.handle } });
    expect([fifth.status, fifth.body.error.code]).toEqual([429, 'monthly_limit']);
    expect(fifth.body.error.unlock).toEqual([{ kind: 'wait', until: '2026-04-01T00:00:00.000Z' }]);
    expect(await cspViolations(pp)).toEqual([]);
  }, 180_000);
});
