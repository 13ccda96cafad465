// The web UI in a real browser (Debian's Chromium via playwright-core) against our registry as a process with
// htpasswd auth, filled by skopeo, docker and the HTTP API: logging in, the live filter, an index's platforms
// with their layers, config and history, copying a pull command that the private dockerd then runs, deleting
// a tag, what a reader may not do, the status page, axe on every page, a narrow screen, dark mode, no script.
import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  assertSucceeded,
  cleanupTestbed,
  skopeo,
  startDockerd,
  startRegistryProcess,
  tempDir,
  writeHtpasswdFile,
  type Dockerd,
  type RegistryProcess,
} from '@private-registry/testbed';
import { checkAccessibility, expectNoScriptErrors, launchBrowser, logIn, openSession, prop, screenshot, tableRows, type BrowserSession } from './ui-browser.js';
import { AdminHttp, fillRegistry, MULTI_ARCH_REPOSITORY, SIGNATURE_ARTIFACT_TYPE, type StoredImage, type UiContent } from './ui-fill.js';
import { formatBytes } from '../../src/ui/pages/format.js';

const USERS = {
  admin: { user: 'admin', password: 'admin-Ui-Secret-1' },
  reader: { user: 'reader', password: 'reader-Ui-Secret-2' },
  writer: { user: 'writer', password: 'writer-Ui-Secret-3' },
} as const;

const ACCESS = [
  { repository: ['**'], users: ['admin'], actions: ['admin'] },
  { repository: ['**'], users: ['reader'], actions: ['pull'] },
  { repository: ['**'], users: ['writer'], actions: ['pull', 'push', 'delete'] },
];

/** The manifest, its config and its (distinct) layers: what pulling one platform of an index downloads. */
function imageSize(image: StoredImage): number {
  const layers = new Map(image.manifest.layers.map((layer) => [layer.digest, layer.size]));
  return image.raw.length + image.manifest.config.size + [...layers.values()].reduce((sum, size) => sum + size, 0);
}

function short(digest: string): string {
  return digest.slice(0, digest.indexOf(':') + 13);
}

describe('web UI in a real browser @e2e', function () {
  this.timeout(60_000);
  let registry: RegistryProcess;
  let dockerd: Dockerd;
  let browser: Browser;
  let content: UiContent;
  let api: AdminHttp;
  let work: string;
  const sessions: BrowserSession[] = [];

  const ui = (path = ''): string => `${registry.url}/ui/${path}`;
  const imagePath = (repository: string, reference: string): string => `r/${repository}/-/${reference}`;
  const session = async (options: Parameters<typeof openSession>[1] = {}): Promise<BrowserSession> => {
    const opened = await openSession(browser, options);
    sessions.push(opened);
    return opened;
  };
  /** A session logged in as `login` through the form, on the page the login sent it to. */
  const loggedIn = async (login: { user: string; password: string }, options: Parameters<typeof openSession>[1] = {}): Promise<BrowserSession> => {
    const opened = await session(options);
    await opened.page.goto(ui('login'));
    await logIn(opened.page, login);
    return opened;
  };

  before(async function () {
    this.timeout(120_000);
    work = (await tempDir('web-ui')).path;
    const htpasswd = join(work, 'htpasswd');
    await writeHtpasswdFile(htpasswd, Object.values(USERS));
    [registry, dockerd, browser] = await Promise.all([
      startRegistryProcess({ config: { ui: { enabled: true }, auth: { htpasswd: { realm: 'web-ui-test', path: htpasswd }, access: ACCESS } } }),
      startDockerd(),
      launchBrowser(),
    ]);
    api = new AdminHttp(registry.url, USERS.admin);
    const started = Date.now();
    content = await fillRegistry(registry, { login: USERS.admin, dockerd, work });
    process.stdout.write(`      (filled in ${Date.now() - started} ms: ${content.bulkRepositories.length + 4} repositories)\n`);
  });
  afterEach(async () => {
    for (let opened = sessions.pop(); opened !== undefined; opened = sessions.pop()) await opened.context.close();
  });
  after(cleanupTestbed);

  it('sends a visitor to the login form, refuses a wrong password, and lists 50 repositories a page to the admin', async () => {
    const visitor = await session();
    const { page } = visitor;
    await page.goto(ui());
    expect(new URL(page.url()).pathname).to.equal('/ui/login');
    await checkAccessibility(page, 'the login page');
    await screenshot(page, '01-login');

    await page.getByLabel('User name').fill(USERS.admin.user);
    await page.getByLabel('Password or token').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    expect(new URL(page.url()).pathname).to.equal('/ui/login');
    expect(await page.getByRole('alert').textContent()).to.not.match(/^\s*$/);
    await logIn(page, USERS.admin);

    expect(new URL(page.url()).pathname).to.equal('/ui/');
    await page.getByRole('heading', { level: 1, name: 'Repositories' }).waitFor();
    expect(await page.getByRole('banner').textContent()).to.match(/Signed in as\s*admin/);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Repositories' }).waitFor();
    await nav.getByRole('link', { name: 'Status' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    const table = page.getByRole('table', { name: 'Repositories' });
    for (const column of ['Repository', 'Tags', 'Size', 'Last push']) await table.getByRole('columnheader', { name: column, exact: true }).waitFor();
    expect(await tableRows(page, 'Repositories').count()).to.equal(50);
    await table.getByRole('link', { name: 'apps/busybox', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'Next page' }).getAttribute('rel')).to.equal('next');
    expect(await page.locator('#results-status').textContent()).to.contain('50');
    await checkAccessibility(page, 'the repositories page');
    await screenshot(page, '02-repositories');

    // The second page goes on where the first stopped: 50 more, none of them shown before.
    const names = () => table.locator('tbody tr').getByRole('link').allTextContents();
    const firstPage = await names();
    const nextPage = new URL((await page.getByRole('link', { name: 'Next page' }).getAttribute('href')) ?? '', page.url()).toString();
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(nextPage);
    const secondPage = await names();
    expect(secondPage).to.have.length(50);
    expect(secondPage.filter((name) => firstPage.includes(name))).to.deep.equal([]);
    expectNoScriptErrors(visitor);
  });

  it('finds a repository by typing part of its name in the filter, and opens it', async () => {
    const admin = await loggedIn(USERS.admin);
    const { page } = admin;
    const results = page.getByRole('table', { name: 'Repositories' });
    // Not on the first page: only the filter can bring it up.
    expect(await results.getByRole('link', { name: MULTI_ARCH_REPOSITORY }).count()).to.equal(0);

    await page.getByRole('searchbox', { name: 'Filter repositories' }).pressSequentially('quokka', { delay: 40 });

    // The script keeps the query in the address (history API: a same-document navigation).
    await page.waitForURL((url) => url.searchParams.get('q') === 'quokka');
    await results.getByRole('link', { name: MULTI_ARCH_REPOSITORY, exact: true }).waitFor();
    await tableRows(page, 'Repositories').nth(1).waitFor({ state: 'detached' });
    expect(await page.locator('#results-status').textContent()).to.match(/\b1\b/);
    expect(new URL(page.url()).pathname, 'the filter swaps the list in place').to.equal('/ui/');

    await results.getByRole('link', { name: MULTI_ARCH_REPOSITORY, exact: true }).click();
    await page.waitForURL(ui(`r/${MULTI_ARCH_REPOSITORY}`));
    await page.getByRole('heading', { level: 1, name: MULTI_ARCH_REPOSITORY }).waitFor();
    const tags = page.getByRole('table', { name: 'Tags', exact: true });
    for (const column of ['Tag', 'Digest', 'Size', 'Platforms', 'Created', 'Pushed', 'Last pulled']) await tags.getByRole('columnheader', { name: column, exact: true }).waitFor();
    const row = tableRows(page, 'Tags').filter({ has: page.getByRole('link', { name: content.multi.tag, exact: true }) });
    const rowText = (await row.textContent()) ?? '';
    expect(rowText).to.contain(short(content.multi.digest));
    for (const platform of content.multi.platforms) expect(rowText).to.contain(platform.platform);
    await page.getByRole('link', { name: 'Sort by name' }).waitFor();
    await page.getByRole('link', { name: 'Sort by time' }).waitFor();
    await checkAccessibility(page, 'the repository page');
    await screenshot(page, '03-repository');
    expectNoScriptErrors(admin);
  });

  it("shows an index's two platforms with their sizes, and each one's layers, configuration and history", async () => {
    const admin = await loggedIn(USERS.admin);
    const { page } = admin;
    await page.goto(ui(`r/${MULTI_ARCH_REPOSITORY}`));
    await page.getByRole('link', { name: content.multi.tag, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `${MULTI_ARCH_REPOSITORY}:${content.multi.tag}` }).waitFor();

    const platforms = page.getByRole('table', { name: 'Platforms', exact: true });
    for (const column of ['Platform', 'Digest', 'Size']) await platforms.getByRole('columnheader', { name: column, exact: true }).waitFor();
    expect(await tableRows(page, 'Platforms').count()).to.equal(2);
    for (const platform of content.multi.platforms) {
      const config = (await api.expect(200, 'GET', `/v2/${MULTI_ARCH_REPOSITORY}/blobs/${platform.manifest.config.digest}`)).json as {
        config: { Cmd?: string[]; Env?: string[]; Labels?: Record<string, string> };
        history: { empty_layer?: boolean }[];
      };
      const row = tableRows(page, 'Platforms').filter({ hasText: platform.platform });
      const rowText = (await row.textContent()) ?? '';
      expect(rowText, platform.platform).to.contain(short(platform.digest));
      expect(rowText, `${platform.platform}: manifest ${platform.raw.length} + config + layers`).to.contain(formatBytes(imageSize(platform)));

      const section = page.locator('section').filter({ has: page.getByRole('heading', { level: 2, name: platform.platform, exact: true }) });
      await section.getByRole('heading', { level: 3, name: 'Layers' }).waitFor();
      const layers = section.getByRole('table', { name: 'Layers', exact: true });
      for (const column of ['Digest', 'Media type', 'Size']) await layers.getByRole('columnheader', { name: column, exact: true }).waitFor();
      expect(await layers.locator('tbody tr').count()).to.equal(platform.manifest.layers.length);
      for (const layer of platform.manifest.layers) {
        const layerText = (await layers.locator('tbody tr').filter({ hasText: short(layer.digest) }).textContent()) ?? '';
        expect(layerText).to.contain(layer.mediaType).and.to.contain(formatBytes(layer.size));
      }

      await section.getByRole('heading', { level: 3, name: 'Configuration' }).waitFor();
      for (const term of ['Entrypoint', 'Cmd', 'Env', 'Exposed ports', 'Labels', 'User', 'Working dir', 'Created', 'Platform']) {
        expect(await prop(section, term).count(), `a "${term}" entry`).to.equal(1);
      }
      expect(await prop(section, 'Platform').textContent()).to.contain(platform.platform);
      expect(await prop(section, 'Cmd').textContent()).to.contain((config.config.Cmd ?? [])[0] ?? '');
      expect(await prop(section, 'Env').textContent()).to.contain(config.config.Env?.[0] ?? '');
      for (const [key, value] of Object.entries(config.config.Labels ?? {})) expect(await prop(section, 'Labels').textContent()).to.contain(`${key}=${value}`);

      await section.getByRole('heading', { level: 3, name: 'History' }).waitFor();
      const history = section.getByRole('table', { name: 'History', exact: true });
      for (const column of ['Created', 'Command', 'Layer']) await history.getByRole('columnheader', { name: column, exact: true }).waitFor();
      expect(await history.locator('tbody tr').count()).to.equal(config.history.length);
      expect(await history.getByText('empty layer').count()).to.equal(config.history.filter((entry) => entry.empty_layer === true).length);
    }
    const raw = JSON.parse((await page.locator('pre#raw-manifest').textContent()) ?? '') as { manifests: { digest: string }[] };
    expect(raw.manifests.map((m) => m.digest)).to.deep.equal(content.multi.platforms.map((p) => p.digest));
    await page.getByRole('heading', { level: 2, name: 'Referrers' }).waitFor();
    await checkAccessibility(page, 'the image page (index)');
    await screenshot(page, '04-image-index');
    expectNoScriptErrors(admin);
  });

  it('copies the docker pull command with its Copy button, and the private dockerd pulls with exactly that command', async () => {
    const admin = await loggedIn(USERS.admin, { permissions: ['clipboard-read', 'clipboard-write'] });
    const { page } = admin;
    await page.goto(ui(imagePath(MULTI_ARCH_REPOSITORY, content.multi.tag)));
    const expected = `docker pull ${registry.host}/${MULTI_ARCH_REPOSITORY}:${content.multi.tag}`;
    expect(await page.locator('code#pull-docker-tag').textContent()).to.equal(expected);
    expect(await page.locator('code#pull-podman-tag').textContent()).to.equal(`podman pull ${registry.host}/${MULTI_ARCH_REPOSITORY}:${content.multi.tag}`);
    expect(await page.locator('code#pull-docker-digest').textContent()).to.equal(`docker pull ${registry.host}/${MULTI_ARCH_REPOSITORY}@${content.multi.digest}`);

    await page.getByRole('button', { name: 'Copy the docker pull command (tag)' }).click();

    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(copied).to.equal(expected);
    const [program, ...args] = copied.trim().split(' ');
    expect(program).to.equal('docker');
    assertSucceeded(await dockerd.docker(args, { timeoutMs: 60_000 }));
    const inspect = assertSucceeded(await dockerd.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', args[1] as string]));
    expect(inspect.stdout).to.contain(content.multi.digest);
    expectNoScriptErrors(admin);
  });

  it('shows the signature that refers to the single-platform image, with its own sections at h2', async () => {
    const admin = await loggedIn(USERS.admin);
    const { page } = admin;
    const { single, signature } = content;
    await page.goto(ui(imagePath(single.repository, single.reference)));
    await page.getByRole('heading', { level: 1, name: `${single.repository}:${single.reference}` }).waitFor();
    for (const heading of ['Pull', 'Layers', 'Configuration', 'History', 'Referrers', 'Raw manifest']) await page.getByRole('heading', { level: 2, name: heading, exact: true }).waitFor();
    const referrers = page.getByRole('table', { name: 'Referrers', exact: true });
    for (const column of ['Artifact type', 'Digest', 'Size']) await referrers.getByRole('columnheader', { name: column, exact: true }).waitFor();
    const rowText = (await referrers.locator('tbody tr').textContent()) ?? '';
    expect(rowText).to.contain(SIGNATURE_ARTIFACT_TYPE).and.to.contain(short(signature.digest)).and.to.contain(formatBytes(signature.bytes));
    await page.getByRole('link', { name: `Delete tag ${single.reference}` }).waitFor();
    await checkAccessibility(page, 'the image page (single, with a referrer)');
    await screenshot(page, '05-image-single-referrer');

    // By digest: the signature's own page, whose delete control removes the manifest.
    await referrers.getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: `${single.repository}@${signature.digest}` }).waitFor();
    await page.getByRole('link', { name: 'Delete manifest' }).waitFor();
    expectNoScriptErrors(admin);
  });

  it('deletes a tag after the confirmation page, refusing a forged form first; the API no longer lists it', async () => {
    const admin = await loggedIn(USERS.admin);
    const { page } = admin;
    const { repository, tags } = content.manyTags;
    const doomed = tags[6] as string;
    await page.goto(ui(`r/${repository}`));
    expect(await tableRows(page, 'Tags').count()).to.equal(tags.length);
    await page.getByRole('link', { name: doomed, exact: true }).click();
    await page.getByRole('link', { name: `Delete tag ${doomed}` }).click();

    await page.waitForURL(ui(`${imagePath(repository, doomed)}/delete`));
    await page.getByRole('heading', { level: 1, name: `Delete tag ${doomed}?` }).waitFor();
    expect(await page.locator('main').textContent()).to.contain(doomed).and.to.contain(repository);
    await page.getByRole('link', { name: 'Cancel' }).waitFor();
    await checkAccessibility(page, 'the delete confirmation page');
    await screenshot(page, '06-delete-confirmation');
    // The same form without a valid CSRF token, from this logged-in admin's own cookies: refused.
    for (const form of [{ _csrf: 'forged' }, {}] as Record<string, string>[]) {
      const forged = await page.request.post(page.url(), { form, maxRedirects: 0 });
      expect(forged.status(), `POST with ${JSON.stringify(form)}`).to.equal(403);
    }
    expect(await api.tags(repository)).to.include(doomed);

    await page.getByRole('button', { name: 'Delete', exact: true }).click();

    await page.waitForURL((url) => url.pathname === `/ui/r/${repository}`);
    expect(await page.getByRole('status').filter({ hasText: 'Deleted' }).count()).to.equal(1);
    const left = await api.tags(repository);
    expect(left).to.not.include(doomed);
    expect(left).to.have.length(tags.length - 1);
    expect(await tableRows(page, 'Tags').count()).to.equal(tags.length - 1);
    expectNoScriptErrors(admin);
  });

  it('logs out with the button, after which every page sends the visitor to the login form again, even with a copy of the old cookie', async () => {
    const admin = await loggedIn(USERS.admin);
    const { page } = admin;
    const copied = await admin.context.cookies();
    expect(copied.map((c) => c.name)).to.include('registry_ui_session');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((url) => url.pathname === '/ui/login');
    for (const path of ['', `r/${content.single.repository}`, imagePath(content.single.repository, content.single.reference), 'status']) {
      await page.goto(ui(path));
      expect(new URL(page.url()).pathname, `/ui/${path}`).to.equal('/ui/login');
    }
    expect(await page.getByRole('button', { name: 'Log out' }).count()).to.equal(0);
    expectNoScriptErrors(admin);
    // Another browser given the cookie as it was before the logout (copied, say, from a shared machine).
    const thief = await session();
    await thief.context.addCookies(copied);
    await thief.page.goto(ui('status'));
    expect(new URL(thief.page.url()).pathname, 'the signed-out session is refused').to.equal('/ui/login');
  });

  it('shows a reader no delete control and no status page, and refuses the forced delete form (403) with or without a CSRF token', async () => {
    const reader = await session();
    const { page } = reader;
    const { single } = content;
    const imageUrl = ui(imagePath(single.repository, single.reference));
    await page.goto(imageUrl);
    await logIn(page, USERS.reader);
    expect(page.url(), 'the login goes on to the page asked for').to.equal(imageUrl);
    expect(await page.getByRole('banner').textContent()).to.match(/Signed in as\s*reader/);
    expect(await page.getByRole('link', { name: /^Delete/ }).count()).to.equal(0);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Repositories' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Status' }).count()).to.equal(0);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    expect(csrf).to.not.equal('');

    const deleteUrl = `${imageUrl}/delete`;
    const confirmation = await page.goto(deleteUrl);
    expect(confirmation?.status()).to.equal(403);
    expect(await page.getByRole('button', { name: 'Delete', exact: true }).count()).to.equal(0);
    expect(await page.locator('main').textContent()).to.match(/not allowed|forbidden|may not|permission|right/i);
    expect((await page.request.post(deleteUrl, { form: { _csrf: csrf }, maxRedirects: 0 })).status()).to.equal(403);
    expect((await page.request.post(deleteUrl, { form: {}, maxRedirects: 0 })).status()).to.equal(403);
    expect(await api.tags(single.repository)).to.include(single.reference);

    expect((await page.goto(ui('status')))?.status()).to.equal(403);
    expectNoScriptErrors(reader);
  });

  it('offers a writer (pull, push, delete) the delete control but not the status page', async () => {
    const writer = await loggedIn(USERS.writer);
    const { page } = writer;
    await page.goto(ui(imagePath(content.dockerPushed.repository, content.dockerPushed.tag)));
    await page.getByRole('link', { name: `Delete tag ${content.dockerPushed.tag}` }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status' }).count()).to.equal(0);
    expect((await page.goto(ui('status')))?.status()).to.equal(403);
    expectNoScriptErrors(writer);
  });

  it('shows the status page to the admin', async () => {
    const admin = await loggedIn(USERS.admin);
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status' }).click();
    await page.waitForURL(ui('status'));
    await page.getByRole('heading', { level: 1, name: 'Status' }).waitFor();
    await checkAccessibility(page, 'the status page');
    await screenshot(page, '07-status');
    expectNoScriptErrors(admin);
  });

  it('fits a 375 px wide screen without sideways scrolling, and passes axe in dark mode', async () => {
    const narrow = await loggedIn(USERS.admin, { viewport: { width: 375, height: 812 } });
    for (const [path, name] of [['', 'repositories'], [imagePath(MULTI_ARCH_REPOSITORY, content.multi.tag), 'image-index']] as const) {
      await narrow.page.goto(ui(path));
      const width = Number(await narrow.page.evaluate('document.documentElement.scrollWidth'));
      expect(width, `${name} at 375 px`).to.be.at.most(375);
      await screenshot(narrow.page, `08-narrow-375-${name}`);
    }

    const dark = await loggedIn(USERS.admin);
    await dark.page.emulateMedia({ colorScheme: 'dark' });
    for (const [path, name] of [['', 'repositories'], [imagePath(content.single.repository, content.single.reference), 'image-single']] as const) {
      await dark.page.goto(ui(path));
      await checkAccessibility(dark.page, `the ${name} page in dark mode`);
      await screenshot(dark.page, `09-dark-${name}`);
    }
    expectNoScriptErrors(narrow);
    expectNoScriptErrors(dark);
  });

  it('works without JavaScript: the tables are there and the filter filters when its form is submitted with Enter', async () => {
    const { page } = await loggedIn(USERS.admin, { javaScriptEnabled: false });
    expect(await tableRows(page, 'Repositories').count()).to.equal(50);

    await page.getByRole('searchbox', { name: 'Filter repositories' }).fill('quokka');
    await page.getByRole('searchbox', { name: 'Filter repositories' }).press('Enter');

    await page.waitForURL((url) => url.searchParams.get('q') === 'quokka');
    expect(await tableRows(page, 'Repositories').count()).to.equal(1);
    await screenshot(page, '10-no-js-filtered');
    await page.getByRole('link', { name: MULTI_ARCH_REPOSITORY, exact: true }).click();
    await page.getByRole('link', { name: content.multi.tag, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `${MULTI_ARCH_REPOSITORY}:${content.multi.tag}` }).waitFor();
    expect(await tableRows(page, 'Platforms').count()).to.equal(2);
    expect(await page.getByRole('table', { name: 'Layers', exact: true }).count()).to.equal(2);
    expect(await page.locator('code#pull-docker-tag').textContent()).to.contain(`${MULTI_ARCH_REPOSITORY}:${content.multi.tag}`);
  });

  it("serves pages with a Content-Security-Policy, assets cached for a year, and GET / still answers the load balancer's JSON", async () => {
    const admin = await loggedIn(USERS.admin);
    const { page } = admin;
    const response = await page.goto(ui());
    expect(response?.headers()['content-security-policy']).to.match(/^default-src 'self'/);
    const login = await fetch(ui('login'));
    expect(login.headers.get('content-security-policy')).to.match(/^default-src 'self'/);
    const urlsOf = async (selector: string, attribute: string): Promise<string[]> =>
      Promise.all((await page.locator(selector).all()).map(async (element) => new URL((await element.getAttribute(attribute)) ?? '', page.url()).toString()));
    const stylesheets = await urlsOf('link[rel=stylesheet]', 'href');
    const scripts = await urlsOf('script[src]', 'src');
    expect(stylesheets.map((url) => new URL(url).pathname)).to.satisfy((paths: string[]) => paths.length === 1 && /^\/ui\/assets\/app\.[^/]+\.css$/.test(paths[0] ?? ''), JSON.stringify(stylesheets));
    expect(scripts.map((url) => new URL(url).pathname)).to.satisfy((paths: string[]) => paths.length === 1 && /^\/ui\/assets\/app\.[^/]+\.js$/.test(paths[0] ?? ''), JSON.stringify(scripts));
    for (const asset of [...stylesheets, ...scripts]) {
      const served = await fetch(asset);
      expect(served.status, asset).to.equal(200);
      expect(served.headers.get('cache-control'), asset).to.equal('public, max-age=31536000, immutable');
    }
    const root = await fetch(`${registry.url}/`);
    expect(root.status).to.equal(200);
    expect(await root.json()).to.have.property('ui', '/ui/');
    expectNoScriptErrors(admin);
  });

  describe('an open registry (no auth, deletes off)', function () {
    let open: RegistryProcess;

    before(async function () {
      this.timeout(60_000);
      open = await startRegistryProcess({ deleteEnabled: false, config: { ui: { enabled: true } } });
      const layout = join(work, 'busybox');
      assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:stable`, `docker://${open.host}/apps/busybox:stable`]));
    });

    it('lets anyone browse, says it is read-only, and offers no Delete link', async () => {
      const visitor = await session();
      const { page } = visitor;
      await page.goto(`${open.url}/ui/`);
      expect(new URL(page.url()).pathname).to.equal('/ui/');
      await page.getByRole('link', { name: 'apps/busybox', exact: true }).waitFor();
      expect(await page.locator('main').textContent()).to.match(/read-only/i);
      await screenshot(page, '11-open-registry');

      await page.goto(`${open.url}/ui/${imagePath('apps/busybox', 'stable')}`);
      await page.getByRole('heading', { level: 1, name: 'apps/busybox:stable' }).waitFor();
      expect(await page.locator('main').textContent()).to.match(/read-only/i);
      expect(await page.getByRole('link', { name: /^Delete/ }).count()).to.equal(0);
      expect(await page.getByRole('button', { name: 'Log out' }).count()).to.equal(0);
      await checkAccessibility(page, 'the image page of an open registry');
      expectNoScriptErrors(visitor);
    });
  });
});
