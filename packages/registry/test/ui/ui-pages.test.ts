// The web UI's pipeline end to end in-process on an open registry: pages and their security headers, assets,
// the delete flow with its confirmation and CSRF token, escaping of what images say about themselves, and the
// UI under http.prefix as `serve` sets it up.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { createLogger } from '@private-registry/core';
import { createRegistryApp } from '../../src/app.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { pathFor } from '../../src/storage/path-spec.js';
import { StorageReadiness } from '../../src/storage/storage-readiness.js';
import { setupUi } from '../../src/ui/ui-setup.js';
import { blobDescriptor, contentOf, imageManifest, MediaType, randomBlob } from '../api/oci-content.js';
import { RegistryApiClient, type PushedImage } from '../api/api-client.js';
import { parse, withVersion } from '../config/config-test-helpers.js';
import { csrfOf, JSX_RUNTIME_PROBLEM, startUiRegistry, TEST_ASSETS, UiBrowser, visibleText, type UiRegistry, type UiResponse } from './ui-fixture.js';

/** A config whose label and environment try to inject markup. */
const HOSTILE_CONFIG = contentOf(
  JSON.stringify({
    os: 'linux',
    architecture: 'amd64',
    created: '2026-05-01T12:00:00Z',
    config: { Env: ['PATH=/bin', 'GREETING=<img src=x onerror=alert(2)>'], Labels: { 'org.example.note': '<script>alert(1)</script>' }, Cmd: ['/bin/sh', '-c', 'echo "</code><b>x</b>"'] },
    history: [{ created_by: '<script>alert(3)</script>', created: '2026-05-01T12:00:00Z' }],
    rootfs: { type: 'layers', diff_ids: [] },
  }),
);

async function pushHostileImage(registry: UiRegistry, name: string, tag: string): Promise<string> {
  await registry.api.pushBlob(name, HOSTILE_CONFIG, MediaType.OciConfig);
  const layer = randomBlob(300);
  await registry.api.pushBlob(name, layer);
  const manifest = imageManifest({ config: blobDescriptor(HOSTILE_CONFIG, MediaType.OciConfig), layers: [blobDescriptor(layer)] });
  await registry.api.pushManifest(name, tag, manifest);
  return manifest.digest;
}

async function tagsOf(registry: UiRegistry, name: string): Promise<string[]> {
  const response = await registry.api.get(`/v2/${name}/tags/list`);
  return response.status === 404 ? [] : (response.json<{ tags: string[] | null }>().tags ?? []);
}

function expectPageHeaders(page: UiResponse): void {
  expect(page.headers.get('content-security-policy')).to.match(/^default-src 'self'; /).and.include("frame-ancestors 'none'").and.include("form-action 'self'");
  expect(page.headers.get('x-frame-options')).to.equal('DENY');
  expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
  expect(page.headers.get('cache-control')).to.equal('no-store');
  expect(page.headers.get('referrer-policy')).to.equal('same-origin');
  expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
}

describe('web UI pages in-process', function () {
  this.timeout(10_000);

  // tsx reads no package tsconfig when mocha runs from the root: the pages carry their JSX runtime in pragmas.
  it('renders the pages with Preact\'s JSX runtime as the test runner compiles them', function () {
    expect(JSX_RUNTIME_PROBLEM).to.equal(undefined);
  });

  describe('an open registry with deletes disabled', function () {
    let registry: UiRegistry;
    let digest: string;

    before(async () => {
      registry = await startUiRegistry();
      digest = await pushHostileImage(registry, 'team/app', 'v1');
    });
    after(async () => {
      await registry.close();
    });

    it('lists the repositories and says there is no authentication and deletes are off', async function () {
      const page = await registry.browser().get('/ui/');
      expect(page.status).to.equal(200);
      const text = visibleText(page.text);
      expect(text).to.include('This registry has no authentication: anyone who can reach it can pull from it.');
      expect(text).to.include('This UI is read-only: deletes are disabled (storage.delete.enabled).');
      expect(text).to.include('1 repository shown.');
      expect(page.text).to.include('href="/ui/r/team/app"');
      expect(page.text).to.include(`<link rel="stylesheet" href="/ui/assets/${TEST_ASSETS.css}"/>`);
    });

    it('sends the security headers on every page, error pages included', async function () {
      const browser = registry.browser();
      for (const path of ['/ui/', '/ui/r/team/app', '/ui/r/team/app/-/v1', '/ui/nowhere', '/ui/r/NOT_VALID', '/ui/login']) {
        const page = await browser.get(path);
        expectPageHeaders(page);
      }
    });

    it('gives a new visitor a session cookie (HttpOnly, SameSite=Lax, Path=/ui/, not Secure over plain HTTP) once', async function () {
      const browser = registry.browser();
      const first = await browser.get('/ui/');
      expect(first.sessionCookie).to.match(/^registry_ui_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=\/ui\/; Max-Age=(86400|86399); HttpOnly; SameSite=Lax$/);
      const again = await browser.get('/ui/r/team/app');
      expect(again.sessionCookie, 'the cookie it has is kept').to.equal(undefined);
    });

    it('shows an image without a Delete link and refuses the delete page and its POST with 403', async function () {
      const browser = registry.browser();
      const image = await browser.get('/ui/r/team/app/-/v1');
      expect(image.status).to.equal(200);
      expect(image.text).to.include(digest);
      expect(image.text).to.not.include('/delete');
      expect(visibleText(image.text)).to.not.include('Delete tag');
      const confirm = await browser.get('/ui/r/team/app/-/v1/delete');
      expect(confirm.status).to.equal(403);
      expect(visibleText(confirm.text)).to.include('Deletes are disabled on this registry (storage.delete.enabled).');
      // No page of this registry has a form: the token is the one this browser's session would carry.
      const post = await browser.post('/ui/r/team/app/-/v1/delete', { _csrf: registry.csrfFor(browser) });
      expect(post.status).to.equal(403);
      expect(await tagsOf(registry, 'team/app')).to.deep.equal(['v1']);
    });

    it('renders what an image config says escaped: a label, an env value, a command and history with markup', async function () {
      const page = await registry.browser().get('/ui/r/team/app/-/v1');
      expect(page.status).to.equal(200);
      expect(page.text).to.not.include('<script>alert');
      expect(page.text).to.not.include('<img src=x');
      expect(page.text).to.not.include('<b>x</b>');
      expect(page.text).to.include('org.example.note=&lt;script>alert(1)&lt;/script>');
      expect(page.text).to.include('GREETING=&lt;img src=x onerror=alert(2)>');
      expect(page.text).to.include('&lt;script>alert(3)&lt;/script>');
      const text = visibleText(page.text);
      expect(text).to.include('org.example.note=<script>alert(1)</script>');
      expect(text).to.include('linux/amd64');
    });

    it('serves a built asset immutable with its type, HEAD without a body, and 404 for anything else', async function () {
      const browser = registry.browser();
      const css = await browser.get(`/ui/assets/${TEST_ASSETS.css}`);
      expect(css.status).to.equal(200);
      expect(css.headers.get('content-type')).to.equal('text/css; charset=utf-8');
      expect(css.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
      expect(css.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(css.text).to.equal('body{margin:0}\n');
      expect(css.sessionCookie, 'no session for an asset').to.equal(undefined);
      const js = await browser.request('HEAD', `/ui/assets/${TEST_ASSETS.js}`);
      expect(js.status).to.equal(200);
      expect(js.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
      expect(js.headers.get('content-length')).to.equal(String('console.log(1);\n'.length));
      for (const path of ['/ui/assets/app.ffffffff.css', '/ui/assets/..%2Fpackage.json', '/ui/assets/']) expect((await browser.get(path)).status, path).to.equal(404);
      expect((await browser.post(`/ui/assets/${TEST_ASSETS.css}`, 'x=1')).status).to.equal(404);
    });

    it('answers HEAD of a page with its headers and no body', async function () {
      const browser = registry.browser();
      const get = await browser.get('/ui/r/team/app');
      const head = await browser.request('HEAD', '/ui/r/team/app');
      expect(head.status).to.equal(200);
      expect(head.text).to.equal('');
      expect(Number(head.headers.get('content-length'))).to.equal(Buffer.byteLength(get.text));
      expectPageHeaders(head);
    });

    it('redirects /ui to /ui/ (301), keeping the query', async function () {
      const browser = registry.browser();
      expect(await browser.get('/ui')).to.deep.include({ status: 301, location: '/ui/' });
      expect(await browser.get('/ui?q=team')).to.deep.include({ status: 301, location: '/ui/?q=team' });
    });

    it('names the UI in the JSON of GET /', async function () {
      const root = await registry.api.get('/');
      expect(root.status).to.equal(200);
      expect(root.json()).to.deep.include({ service: 'private-registry', api: '/v2/', ui: '/ui/' });
    });

    it('answers 404 pages for unknown pages, invalid names, unknown repositories and tags, 405 for other methods', async function () {
      const browser = registry.browser();
      const cases: Array<[string, string]> = [
        ['/ui/nowhere', 'There is no such page.'],
        ['/ui/r/Team/App', 'There is no such page.'],
        ['/ui/r/nobody/here', 'There is no such repository.'],
        ['/ui/r/team/app/-/v9', 'There is no such tag or manifest in this repository.'],
      ];
      for (const [path, message] of cases) {
        const page = await browser.get(path);
        expect(page.status, path).to.equal(404);
        expect(visibleText(page.text), path).to.include(message);
      }
      const put = await browser.request('PUT', '/ui/');
      expect(put.status).to.equal(405);
      expect(put.headers.get('allow')).to.equal('GET, HEAD');
      expect((await browser.request('GET', '/ui/logout')).headers.get('allow')).to.equal('POST');
    });

    it('says there is nothing to log in to on the login page', async function () {
      const page = await registry.browser().get('/ui/login');
      expect(page.status).to.equal(200);
      expect(visibleText(page.text)).to.include('This registry has no authentication: there is nothing to log in to.');
      expect(page.text).to.not.include('name="password"');
    });
  });

  describe('an open registry with deletes enabled', function () {
    let registry: UiRegistry;
    let image: PushedImage;
    let digest: string;

    before(async () => {
      registry = await startUiRegistry({ deleteEnabled: true });
      image = await registry.api.pushImage('team/app', 'v1');
      digest = image.manifest.digest;
      await registry.api.pushManifest('team/app', 'stable', image.manifest);
    });
    after(async () => {
      await registry.close();
    });

    it('links the delete from the image page; the confirmation names the tag and its other tags', async function () {
      const browser = registry.browser();
      const image = await browser.get('/ui/r/team/app/-/v1');
      expect(image.text).to.include('href="/ui/r/team/app/-/v1/delete"');
      expect(visibleText(image.text)).to.include('Delete tag v1');
      expect(visibleText(image.text)).to.include('Deletes are enabled, so anyone can delete here too.');
      const confirm = await browser.get('/ui/r/team/app/-/v1/delete');
      expect(confirm.status).to.equal(200);
      const text = visibleText(confirm.text);
      expect(text).to.include('Delete tag v1?');
      expect(text).to.include('The tag v1 goes from team/app.');
      expect(text).to.include(digest);
      expect(text).to.include('by its other tags (stable)');
      expect(confirm.text).to.include('action="/ui/r/team/app/-/v1/delete"');
    });

    it('refuses a POST without the CSRF token, with another browser\'s, or from another site; the tag stays', async function () {
      const browser = registry.browser();
      const token = csrfOf((await browser.get('/ui/r/team/app/-/v1/delete')).text);
      const other = registry.browser();
      const otherToken = csrfOf((await other.get('/ui/r/team/app/-/v1/delete')).text);
      const without = await browser.post('/ui/r/team/app/-/v1/delete', {});
      expect(without.status).to.equal(403);
      expect(visibleText(without.text)).to.include('This form is no longer valid');
      expect((await browser.post('/ui/r/team/app/-/v1/delete', { _csrf: otherToken })).status).to.equal(403);
      const crossSite = await browser.post('/ui/r/team/app/-/v1/delete', { _csrf: token }, { 'Sec-Fetch-Site': 'cross-site' });
      expect(crossSite.status).to.equal(403);
      expect(visibleText(crossSite.text)).to.include('Forms of this UI cannot be sent from another site.');
      expect((await tagsOf(registry, 'team/app')).sort()).to.deep.equal(['stable', 'v1']);
    });

    it('deletes the tag on a POST with the page\'s token and cookie, then shows the repository with a notice', async function () {
      await registry.api.pushManifest('team/app', 'doomed', image.manifest);
      const browser = registry.browser();
      const token = csrfOf((await browser.get('/ui/r/team/app/-/doomed/delete')).text);
      const post = await browser.post('/ui/r/team/app/-/doomed/delete', { _csrf: token }, { 'Sec-Fetch-Site': 'same-origin' });
      expect(post.status).to.equal(303);
      expect(post.location).to.equal('/ui/r/team/app?deleted=tag+doomed');
      expect(await tagsOf(registry, 'team/app')).to.not.include('doomed');
      expect((await registry.api.fetchManifest('team/app', digest)).status, 'the manifest stays').to.equal(200);
      const after = await browser.get(post.location as string);
      expect(visibleText(after.text)).to.include('Deleted tag doomed. The next garbage collection frees its space.');
    });

    it('deletes a manifest by digest, and with it its tags', async function () {
      const other = await registry.api.pushImage('team/gone', 'only');
      const browser = registry.browser();
      const confirm = await browser.get(`/ui/r/team/gone/-/${other.manifest.digest}/delete`);
      expect(visibleText(confirm.text)).to.include('and with it the tags that point at it: only');
      const post = await browser.post(`/ui/r/team/gone/-/${other.manifest.digest}/delete`, { _csrf: csrfOf(confirm.text) });
      expect(post.status).to.equal(303);
      expect(post.location).to.equal(`/ui/r/team/gone?deleted=${encodeURIComponent(`manifest ${other.manifest.digest}`).replace(/%20/g, '+')}`);
      expect((await registry.api.fetchManifest('team/gone', other.manifest.digest)).status).to.equal(404);
      const after = await browser.get(post.location as string);
      expect(after.status, 'the repository, now without tags').to.equal(200);
      expect(visibleText(after.text)).to.include(`Deleted manifest ${other.manifest.digest}.`).and.include('0 tags');
    });

    it('shows an image asked by digest with pull commands by digest and a Delete manifest link', async function () {
      const page = await registry.browser().get(`/ui/r/team/app/-/${digest}`);
      expect(page.status).to.equal(200);
      const text = visibleText(page.text);
      expect(text).to.include(`team/app@${digest}`);
      expect(text).to.include(`docker pull 127.0.0.1:${new URL(registry.url).port}/team/app@${digest}`);
      expect(text).to.not.include('team/app:v1');
      expect(page.text).to.include(`href="/ui/r/team/app/-/${encodeURIComponent(digest)}/delete"`);
      expect(text).to.include('Delete manifest');
    });

    it('answers 413 to a form body over 16 KiB', async function () {
      const browser = registry.browser();
      const token = csrfOf((await browser.get('/ui/r/team/app/-/v1/delete')).text);
      const post = await browser.post('/ui/r/team/app/-/v1/delete', `_csrf=${token}&pad=${'x'.repeat(17 * 1024)}`);
      expect(post.status).to.equal(413);
      expect(visibleText(post.text)).to.include('a form of this UI is under 16 KiB');
      expect(await tagsOf(registry, 'team/app')).to.include('v1');
    });
  });

  describe('an open registry in read-only mode with deletes enabled', function () {
    let registry: UiRegistry;

    before(async () => {
      registry = await startUiRegistry({ deleteEnabled: true, readOnly: true });
    });
    after(async () => {
      await registry.close();
    });

    it('refuses a delete saying the registry is read-only', async function () {
      const browser = registry.browser();
      await browser.get('/ui/');
      const post = await browser.post('/ui/r/team/app/-/v1/delete', { _csrf: registry.csrfFor(browser) });
      expect(post.status).to.equal(403);
      expect(visibleText(post.text)).to.include('The registry is in read-only mode.');
    });

    it('says why nothing can be deleted: read-only mode, not storage.delete.enabled', async function () {
      const text = visibleText((await registry.browser().get('/ui/')).text);
      expect(text).to.include('This registry has no authentication');
      expect(text).to.include('read-only mode');
      expect(text).to.not.include('deletes are disabled (storage.delete.enabled)');
    });
  });

  describe('under http.prefix, set up as `serve` does it', function () {
    let server: Server;
    let browser: UiBrowser;
    let driver: MemoryDriver;
    let closeUi: () => void;

    before(async () => {
      const log = createLogger({ level: 'silent' });
      const { config } = parse(withVersion('http:\n  prefix: /registry/\n'));
      driver = new MemoryDriver();
      const readiness = new StorageReadiness(driver, log);
      const ui = await setupUi({ config, driver, log, readiness, location: { storage: 'inmemory' }, version: '9.9.9', announce: false });
      closeUi = () => {
        ui.close();
        readiness.close();
      };
      const { app } = createRegistryApp({
        driver,
        readiness,
        policy: { deleteEnabled: false, readOnly: false, catalogMaxEntries: 1000 },
        urls: { relative: false, tls: true },
        log,
        accessLog: false,
        prefix: config.http.prefix,
        ui: ui.handler,
      });
      server = createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      browser = new UiBrowser(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
      const api = new RegistryApiClient(browser.baseUrl);
      const layer = randomBlob(10);
      for (const [blob, type] of [[HOSTILE_CONFIG, MediaType.OciConfig], [layer, MediaType.OciLayer]] as const) {
        const posted = await api.request('POST', `/registry/v2/team/app/blobs/uploads/?digest=${blob.digest}`, { headers: { 'Content-Type': 'application/octet-stream' }, body: blob.bytes });
        expect(posted.status, type).to.equal(201);
      }
      const manifest = imageManifest({ config: blobDescriptor(HOSTILE_CONFIG, MediaType.OciConfig), layers: [blobDescriptor(layer)] });
      const put = await api.request('PUT', '/registry/v2/team/app/manifests/v1', { headers: { 'Content-Type': MediaType.OciManifest }, body: manifest.bytes });
      expect(put.status).to.equal(201);
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      closeUi();
    });

    it('serves the UI at /registry/ui/ with every link under the prefix, and not at /ui/', async function () {
      const home = await browser.get('/registry/ui/');
      expect(home.status).to.equal(200);
      expect(home.text).to.include('href="/registry/ui/r/team/app"');
      const image = await browser.get('/registry/ui/r/team/app/-/v1');
      expect(image.status).to.equal(200);
      expect(visibleText(image.text)).to.include('private-registry 9.9.9');
      for (const page of [home, image, await browser.get('/registry/ui/r/team/app')]) {
        const links = [...page.text.matchAll(/(?:href|action|src)="(\/[^"]*)"/g)].map((m) => m[1] as string);
        expect(links.length).to.be.greaterThan(2);
        for (const link of links) expect(link).to.match(/^\/registry\/ui\//);
      }
      expect((await browser.get('/ui/')).status).to.equal(404);
      expect(await browser.get('/registry/ui')).to.deep.include({ status: 301, location: '/registry/ui/' });
      const root = await new RegistryApiClient(browser.baseUrl).get('/');
      expect(root.json()).to.deep.include({ api: '/registry/v2/', ui: '/registry/ui/' });
    });

    it('scopes the cookie to /registry/ui/ and marks it Secure when the listener serves TLS', async function () {
      const page = await new UiBrowser(browser.baseUrl).get('/registry/ui/');
      expect(page.sessionCookie).to.match(/; Path=\/registry\/ui\/; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/);
    });

    it('keeps its session key in the store, for the other replicas', async function () {
      const key = await driver.getContent(pathFor({ kind: 'uiSessionKey' }));
      expect(Buffer.from(key.toString('utf8'), 'base64url').length).to.equal(32);
    });
  });
});
