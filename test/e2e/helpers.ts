/// <reference lib="dom" />
/**
 * Shared setup of the end-to-end suites: an in-process Liaison server serving dist/web (built when
 * missing or older than web/), Debian's Chromium driven by playwright-core, one browser context per
 * member, and the small page helpers the scenarios use. Screenshots go to test-results/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.LIAISON_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS = join(ROOT, 'test-results');
/** how long one UI expectation may take (2 shared cores: be generous) */
export const T = 10_000;
export const PASSWORD = 'correct horse battery';

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
  for (const t0 = Date.now(); ; ) {
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

/** Builds the UI if needed, starts the server (harness options as given) and Chromium. */
export async function startE2E(opts: Parameters<typeof harness>[0] = {}): Promise<E2E> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: run \`bash scripts/install-chromium.sh\` (Debian's chromium package) and run the tests again.`);
  }
  // Before the harness: startServer serves dist/web only if it exists when it starts.
  await ensureWebBuilt();
  mkdirSync(RESULTS, { recursive: true });
  const h = await harness(opts);
  const base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium
    .launch({
      executablePath: CHROMIUM,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    .catch(async (e: unknown) => {
      await h.close();
      throw e;
    });
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<{ page: Page; dialogs: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 820 }, locale: 'en-US', timezoneId: 'UTC' });
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

  async function signIn(page: Page, who: Who, hash = '#/messages'): Promise<void> {
    await page.goto(`${base}/#/signin`);
    const form = await visible(page.getByTestId('signin-form'));
    await form.getByLabel('Handle or e-mail').fill(who.handle);
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await visible(page.getByRole('button', { name: 'Sign out' }));
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
  return ((await visible(l)).textContent()).then((t) => t ?? '');
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
