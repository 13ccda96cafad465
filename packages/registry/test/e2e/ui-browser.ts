// The real browser for the web UI tests: Debian's Chromium driven by playwright-core (never a downloaded
// browser), closed by cleanupTestbed; axe-core run inside the page; full-page screenshots kept for people.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { registerCleanup, type Credentials } from '@private-registry/testbed';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** <repo root>/.testdata/ui-screenshots: git-ignored, kept after the run so a person can look at the pages. */
export const SCREENSHOT_DIR = join(fileURLToPath(new URL('../../../../', import.meta.url)), '.testdata', 'ui-screenshots');

/** Impacts that fail a test; minor and moderate findings are left to review. */
const FAILING_IMPACTS: ReadonlySet<string> = new Set(['serious', 'critical']);

/** Starts Chromium headless; cleanupTestbed closes it (and with it every context and page). */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // No sandbox: the tests run as root in a container. No background networking: nothing leaves loopback.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  registerCleanup({
    name: `chromium (playwright) ${browser.version()}`,
    stop: async () => {
      if (browser.isConnected()) await browser.close();
    },
    // Nothing asynchronous runs at exit: playwright's own exit hook SIGKILLs the browsers it launched.
    stopSync: () => undefined,
  });
  return browser;
}

/** Runs axe on the page as it is now; fails listing every serious or critical violation with its elements. */
export async function checkAccessibility(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const failing = results.violations.filter((violation) => FAILING_IMPACTS.has(violation.impact ?? ''));
  if (failing.length === 0) return;
  const report = failing
    .map((violation) => {
      const nodes = violation.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary?.replace(/\s+/g, ' ') ?? ''}`).join('\n');
      return `  [${violation.impact ?? '?'}] ${violation.id}: ${violation.help} (${violation.helpUrl})\n${nodes}`;
    })
    .join('\n');
  throw new Error(`axe found ${failing.length} serious or critical violation(s) on ${label} (${page.url()}):\n${report}`);
}

/** A full-page PNG at SCREENSHOT_DIR/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9_.-]/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Collects what the page's script got wrong: uncaught errors and console errors (a Content-Security-Policy
 * violation is reported there). Chromium's "Failed to load resource" for a 4xx page the test asked for on
 * purpose is not one. Call before the first navigation; read `errors` at the end.
 */
export function watchPageErrors(page: Page): { readonly errors: string[] } {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`${page.url()}: uncaught ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`${page.url()}: console error: ${message.text()}`);
  });
  return { errors };
}

/** One visitor: a browser context (its own cookies) with one page whose script errors are collected. */
export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught errors and console errors so far (see watchPageErrors). */
  readonly errors: string[];
}

export async function openSession(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserSession> {
  const context = await browser.newContext(options);
  // A missing element fails in seconds rather than at mocha's timeout, naming the locator.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page, errors: watchPageErrors(page).errors };
}

/** Fills the login form the page shows (by its labels) and waits to be sent on from it. */
export async function logIn(page: Page, login: Credentials): Promise<void> {
  await page.getByLabel('User name').fill(login.user);
  await page.getByLabel('Password or token').fill(login.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => !url.pathname.endsWith('/ui/login'));
}

export function expectNoScriptErrors(session: BrowserSession): void {
  expect(session.errors, 'script errors or CSP violations in the browser').to.deep.equal([]);
}

/** The body rows of the table whose caption is `caption`. */
export function tableRows(scope: Page | Locator, caption: string): Locator {
  return scope.getByRole('table', { name: caption, exact: true }).locator('tbody tr');
}

/** The `<dd>` after the `<dt>` named `term` in a `dl.props`. */
export function prop(scope: Locator, term: string): Locator {
  return scope.locator('dl.props > dt').filter({ hasText: new RegExp(`^\\s*${term}\\s*$`) }).locator('xpath=following-sibling::dd[1]');
}
