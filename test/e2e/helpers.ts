/// <reference lib="dom" />
/**
 * Shared setup of the end-to-end suites: an in-process Liaison server serving dist/web (built when
 * missing or older than web/), Chromium driven by playwright-core (Debian's /usr/bin/chromium when
 * present, else the one @sparticuz/chromium ships: see `chromiumToUse`), one browser context per
 * member, and the small page helpers the scenarios use: an axe-core scan (`axeScan`), the 375 px
 * check (`mobileCheck`). Screenshots go to test-results/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';

export const ROOT = join(import.meta.dirname, '..', '..');
/**
 * Debian's Chromium (CI installs it with scripts/install-chromium.sh). LIAISON_CHROMIUM names
 * another binary; LIAISON_E2E_CHROMIUM=packaged looks for it at a path that does not exist, so the
 * packaged fallback is used (to test that path on a machine that has Debian's).
 */
export const CHROMIUM =
  process.env.LIAISON_E2E_CHROMIUM === 'packaged' ? '/nonexistent/liaison-e2e/chromium' : (process.env.LIAISON_CHROMIUM ?? '/usr/bin/chromium');
export const RESULTS = join(ROOT, 'test-results');
/** how long one UI expectation may take (2 shared cores: be generous) */
export const T = 10_000;
export const PASSWORD = 'correct horse battery';
/** the browser window of every context (mobileCheck switches to PHONE and back) */
export const DESKTOP = { width: 1100, height: 820 };

export interface Who {
  handle: string;
  token: string;
  name: string;
}

/** Newest modification time of a file tree (ms). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds dist/web when it is missing or older than web/. The e2e files run in parallel workers: a
 * lock directory lets one build while the others wait (a build empties dist/web first), then they
 * find it fresh.
 */
export async function ensureWebBuilt(): Promise<void> {
  const index = join(ROOT, 'dist', 'web', 'index.html');
  const fresh = () => existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, 'web'));
  if (fresh()) return;
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const lock = join(ROOT, 'dist', '.web-build.lock');
  for (const t0 = Date.now(); ;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than 5 minutes belongs to a run that died
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() - t0 > 600_000) throw new Error(`${lock} held for 10 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (fresh()) return;
    // vitest sets NODE_ENV=test, which would give a development build of React
    const r = spawnSync(process.execPath, ['scripts/build-web.mjs'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (r.status !== 0 || !existsSync(index)) throw new Error(`building the web UI failed (node scripts/build-web.mjs exited ${r.status})`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface E2E {
  h: Harness;
  /** the server's address, e.g. http://127.0.0.1:41234 */
  base: string;
  browser: Browser;
  /** A fresh browser context (its own storage: one member) and its page; every dialog is recorded. */
  newPage: () => Promise<{ page: Page; dialogs: string[] }>;
  /** Member through the API (setup that is not the scenario). */
  member: (handle: string, name: string, headline?: string) => Promise<Who>;
  connectApi: (a: Who, b: Who) => Promise<void>;
  /** Signs in through the sign-in form, then opens `hash`. */
  signIn: (page: Page, who: Who, hash?: string) => Promise<void>;
  close: () => Promise<void>;
}

const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * The browser of this run: Debian's Chromium at CHROMIUM when it is there, otherwise the headless
 * Chromium that the @sparticuz/chromium dev dependency ships inside itself (unpacked to /tmp on
 * first use), so that `npm install && npm test` needs nothing else.
 */
export async function chromiumToUse(): Promise<{ executablePath: string; args: string[]; label: string }> {
  if (existsSync(CHROMIUM)) return { executablePath: CHROMIUM, args: ARGS, label: `Debian's Chromium (${CHROMIUM})` };
  let sparticuz: { executablePath: () => Promise<string> };
  try {
    sparticuz = (await import('@sparticuz/chromium')).default;
  } catch (e) {
    throw new Error(
      `No Chromium: ${CHROMIUM} is missing and @sparticuz/chromium cannot be loaded (${String(e)}). Run \`npm install\`, or \`bash scripts/install-chromium.sh\` for Debian's.`,
    );
  }
  const executablePath = await sparticuz.executablePath();
  // its build is the headless shell: no --headless=new
  return { executablePath, args: [...ARGS.slice(1), '--no-zygote'], label: `the Chromium packaged in @sparticuz/chromium (${executablePath})` };
}

/** Builds the UI if needed, starts the server (harness options as given) and Chromium. */
export async function startE2E(opts: Parameters<typeof harness>[0] = {}): Promise<E2E> {
  const which = await chromiumToUse();
  // Before the harness: startServer serves dist/web only if it exists when it starts.
  await ensureWebBuilt();
  mkdirSync(RESULTS, { recursive: true });
  const h = await harness(opts);
  const base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: which.executablePath, args: which.args }).catch(async (e: unknown) => {
    await h.close();
    throw e;
  });
  console.log(`[e2e] browser: ${which.label}, version ${browser.version()}`);
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<{ page: Page; dialogs: string[] }> {
    const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC' });
    contexts.push(ctx);
    ctx.setDefaultTimeout(T);
    const page = await ctx.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss().catch(() => undefined);
    });
    page.on('pageerror', (e) => console.error('[browser error]', e.message));
    // Content-Security-Policy violations (an inline handler the CSP blocked would show up here)
    await page.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    return { page, dialogs };
  }

  async function member(handle: string, name: string, headline = ''): Promise<Who> {
    const u = await signUp(h, handle, { name, headline });
    return { handle: u.handle, token: u.token, name };
  }

  async function connectApi(a: Who, b: Who): Promise<void> {
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    expect(inv.status, inv.text).toBe(201);
    const acc = await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b.token });
    expect(acc.status, acc.text).toBe(200);
  }

  let signInScanned = false;
  async function signIn(page: Page, who: Who, hash = '#/messages'): Promise<void> {
    await page.goto(`${base}/#/signin`);
    const form = await visible(page.getByTestId('signin-form'));
    if (!signInScanned) {
      signInScanned = true;
      await axeScan(page, 'sign in');
    }
    await form.getByLabel('Handle or e-mail').fill(who.handle);
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await visible(page.getByTestId('account-menu'));
    await go(page, hash);
  }

  async function close(): Promise<void> {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await h.close();
  }

  return { h, base, browser, newPage, member, connectApi, signIn, close };
}

export async function visible(l: Locator, timeout = T): Promise<Locator> {
  await l.first().waitFor({ state: 'visible', timeout });
  return l.first();
}

export async function textOf(l: Locator): Promise<string> {
  return (await visible(l)).textContent().then((t) => t ?? '');
}

export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(RESULTS, name), fullPage: true });
}

// ------------------------------------------------------------------ accessibility (axe-core)

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string; html: string }[];
}

/**
 * Runs axe-core on the whole page as it is now (every rule, the experimental ones too, such as
 * label-content-name-mismatch) and fails with a readable list when it finds a serious or critical
 * violation. `screen` names the screen in the message.
 */
export async function axeScan(page: Page, screen: string): Promise<void> {
  // evaluated through the DevTools protocol: the page's Content-Security-Policy does not apply
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const found: AxeFinding[] = await page.evaluate(async () => {
    type Result = { id: string; impact: string | null; help: string; nodes: { target: string[]; html: string }[] };
    const axe = (
      window as unknown as {
        axe: {
          getRules: (tags: string[]) => { ruleId: string }[];
          run: (ctx: unknown, o: unknown) => Promise<{ violations: Result[] }>;
        };
      }
    ).axe;
    const rules = Object.fromEntries(axe.getRules(['experimental']).map((r) => [r.ruleId, { enabled: true }]));
    const r = await axe.run(document, { rules, resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200) })),
      }));
  });
  if (found.length === 0) return;
  const lines = found.flatMap((v) => [`- ${v.id} (${v.impact}): ${v.help}`, ...v.nodes.map((n) => `    ${n.target}  ${n.html}`)]);
  const message = `axe-core: ${found.length} serious or critical violation(s) on the ${screen} screen:\n${lines.join('\n')}`;
  // LIAISON_AXE=warn: list them and go on (to see every screen's findings in one run while fixing)
  if (process.env.LIAISON_AXE === 'warn') console.warn(message);
  else throw new Error(message);
}

// ------------------------------------------------------------------ small screens

export const PHONE = { width: 375, height: 812 };

/**
 * At 375 px wide: no horizontal scroll, every `reachable` element visible and inside the width once
 * scrolled to, and a screenshot `mobile-<name>.png`; the desktop size is restored after.
 */
export async function mobileCheck(page: Page, name: string, reachable: Locator[] = []): Promise<void> {
  await page.setViewportSize(PHONE);
  try {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const overflow = await page.evaluate(() => {
      const w = document.documentElement.scrollWidth;
      if (w <= 375) return null;
      const wide = [...document.querySelectorAll<HTMLElement>('body *')]
        .filter((e) => e.getBoundingClientRect().right > 375.5)
        .slice(0, 8)
        .map(
          (e) =>
            `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).split(' ').join('.') : ''} → ${Math.round(e.getBoundingClientRect().right)}px`,
        );
      return `scrollWidth ${w}; past 375 px: ${wide.join(', ')}`;
    });
    expect(overflow, `horizontal scroll at 375 px on ${name}`).toBeNull();
    // the header's links and buttons all on screen as the page opens (no hidden, scrolled-away nav)
    const offscreen = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('header a, header button, header select')]
        .filter((e) => e.offsetParent !== null)
        .filter((e) => {
          const r = e.getBoundingClientRect();
          return r.left < 0 || r.right > 375.5;
        })
        .map((e) => (e.textContent ?? '').trim() || e.outerHTML.slice(0, 80)),
    );
    expect(offscreen, `header controls off screen at 375 px on ${name}`).toEqual([]);
    await axeScan(page, `${name} (375 px)`);
    for (const l of reachable) {
      const el = await visible(l);
      await el.scrollIntoViewIfNeeded();
      const box = await el.boundingBox();
      expect(box, `${name}: ${l.toString()} has no box at 375 px`).not.toBeNull();
      expect(box!.x, `${name}: ${l.toString()} starts left of the screen`).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, `${name}: ${l.toString()} ends past 375 px`).toBeLessThanOrEqual(375.5);
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, `mobile-${name}.png`);
  } finally {
    await page.setViewportSize(DESKTOP);
  }
}
