// The web UI with the keyboard alone, in Chromium: skip link, filter, a repository, an image, its Copy button and
// a delete through the confirmation page, each reached with Tab and used with Enter, with a visible focus ring.
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { cleanupTestbed, startRegistryProcess, type RegistryProcess } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { expectNoScriptErrors, launchBrowser, openSession } from './ui-browser.js';

/** Presses Tab until `accept` holds for the focused element (at most `limit` presses); fails naming `what`. */
async function tabTo(page: Page, what: string, accept: (focused: { tag: string; text: string; label: string | null; id: string }) => boolean, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return { tag: el?.tagName.toLowerCase() ?? '', text: (el?.textContent ?? '').trim(), label: el?.getAttribute('aria-label') ?? null, id: el?.id ?? '' };
    });
    if (accept(focused)) return;
  }
  throw new Error(`${what}: not reached with ${limit} presses of Tab`);
}

/** The focused element's outline: what shows where the keyboard is. */
async function focusRing(page: Page): Promise<{ style: string; width: number }> {
  return page.evaluate(() => {
    const style = getComputedStyle(document.activeElement as Element);
    return { style: style.outlineStyle, width: Number.parseFloat(style.outlineWidth) };
  });
}

describe('web UI with the keyboard alone @e2e', function () {
  this.timeout(60_000);
  let registry: RegistryProcess;
  let browser: Browser;

  before(async () => {
    [registry, browser] = await Promise.all([startRegistryProcess({ config: { storage: { delete: { enabled: true } } } }), launchBrowser()]);
    const api = new RegistryApiClient(registry.url);
    await api.pushImage('kbd/app', 'v1');
    await api.pushImage('kbd/app', 'v2');
    await api.pushImage('other/thing', 'latest');
  });
  after(cleanupTestbed);

  it('reaches and uses every control with Tab and Enter, the focus always visible', async () => {
    const session = await openSession(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
    const { page } = session;
    await page.goto(`${registry.url}/ui/`);

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).to.equal('Skip to content');
    const ring = await focusRing(page);
    expect(ring.style).to.not.equal('none');
    expect(ring.width).to.be.at.least(2);
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).to.equal('#main');

    await tabTo(page, 'the filter', (f) => f.id === 'filter-q');
    expect((await focusRing(page)).style).to.not.equal('none');
    await page.keyboard.type('kbd');
    await page.waitForURL((url) => url.searchParams.get('q') === 'kbd');
    await page.getByRole('link', { name: 'kbd/app', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'other/thing', exact: true }).count()).to.equal(0);
    await tabTo(page, 'the repository link', (f) => f.tag === 'a' && f.text === 'kbd/app');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'kbd/app' }).waitFor();

    await tabTo(page, 'the tag v1', (f) => f.tag === 'a' && f.text === 'v1');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'kbd/app:v1' }).waitFor();

    await tabTo(page, 'the Copy button of the docker pull command', (f) => f.tag === 'button' && f.label === 'Copy the docker pull command (tag)');
    expect((await focusRing(page)).style).to.not.equal('none');
    await page.keyboard.press('Enter');
    const host = new URL(registry.url).host;
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(`docker pull ${host}/kbd/app:v1`);

    // Back to the top, then to the delete link, the confirmation's Delete button, and the result.
    await page.goto(page.url());
    await tabTo(page, 'the delete link', (f) => f.tag === 'a' && f.text === 'Delete tag v1');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Delete tag v1?' }).waitFor();
    await tabTo(page, 'the Delete button', (f) => f.tag === 'button' && f.text === 'Delete');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Deleted tag v1' }).waitFor();
    expect(await new RegistryApiClient(registry.url).tagsOf('kbd/app')).to.deep.equal(['v2']);
    expectNoScriptErrors(session);
    await session.context.close();
  });
});
