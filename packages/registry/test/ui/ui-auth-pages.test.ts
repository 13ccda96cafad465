// The web UI with authentication, in-process: the login (CSRF, wrong passwords, a new session id, where it
// leads next), robots logging in with their token, what each user sees and may do (the API's own policy),
// the status page for admins, logging out, and a user removed from the htpasswd file while logged in.
import { expect } from 'chai';
import { AccessTokens } from '../../src/auth/access-tokens.js';
import { writeGcLastRun } from '../../src/gc/gc-last-run.js';
import { parseScope } from '../../src/auth/token-scope-grant.js';
import { eventually } from '../auth/htpasswd-test-helpers.js';
import { imageManifest, MediaType, blobDescriptor, contentOf } from '../api/oci-content.js';
import { csrfOf, FIXTURE_PUSHER, startUiRegistry, visibleText, writeHtpasswd, type UiBrowser, type UiRegistry } from './ui-fixture.js';

const USERS = { admin: 'admin-pass-1', reader: 'reader-pass-2', teamuser: 'team-pass-3', leaver: 'leaver-pass-4' };
const ACCESS = [
  '    - repository: ["**"]\n      users: [admin]\n      actions: [admin]\n',
  '    - repository: ["**"]\n      users: [reader, leaver]\n      actions: [pull]\n',
  '    - repository: ["team/**"]\n      users: [teamuser]\n      actions: [pull]\n',
].join('');

/** The JSON inside a session cookie (readable by anyone; only its signature is secret). */
function sessionPayload(cookie: string | undefined): { i: string; s?: [string, string]; e: number } {
  if (cookie === undefined) throw new Error('no session cookie');
  return JSON.parse(Buffer.from(cookie.slice(0, cookie.indexOf('.')), 'base64url').toString('utf8')) as { i: string; s?: [string, string]; e: number };
}

/** The repositories a repositories page links to, in order. */
function listedRepositories(html: string): string[] {
  return [...html.matchAll(/<th scope="row"><a href="\/ui\/r\/([^"]+)">/g)].map((m) => m[1] as string);
}

describe('web UI pages with authentication', function () {
  this.timeout(15_000);
  let registry: UiRegistry;
  const teamRepositories = Array.from({ length: 53 }, (_, i) => `team/r${String(i).padStart(2, '0')}`);

  before(async () => {
    registry = await startUiRegistry({ deleteEnabled: true, users: USERS, access: ACCESS });
    await registry.api.pushImage('team/app', 'v1');
    await registry.api.pushImage('other/app', 'v1');
    // Many more repositories, written through the services (the API would take a request per blob).
    const manifest = imageManifest({ config: blobDescriptor(contentOf('{"os":"linux","architecture":"amd64"}'), MediaType.OciConfig), layers: [] });
    for (const name of [...teamRepositories, 'other/zz', 'aaa/first']) {
      await registry.services.manifests.put(name, { kind: 'tag', tag: 'v1' }, manifest.bytes, MediaType.OciManifest, { checkReferences: false });
    }
  });
  after(async () => {
    await registry.close();
  });

  async function loggedIn(user: keyof typeof USERS): Promise<UiBrowser> {
    const browser = registry.browser();
    const answer = await browser.logIn(user, USERS[user]);
    expect(answer.status, `login of ${user}: ${visibleText(answer.text)}`).to.equal(303);
    return browser;
  }

  describe('logging in', function () {
    it('sends a visitor to the login page, naming where they were going', async function () {
      const browser = registry.browser();
      expect(await browser.get('/ui/')).to.deep.include({ status: 303, location: '/ui/login?next=%2Fui%2F' });
      expect(await browser.get('/ui/r/team/app?sort=time')).to.deep.include({ status: 303, location: '/ui/login?next=%2Fui%2Fr%2Fteam%2Fapp%3Fsort%3Dtime' });
      expect((await browser.get('/ui/status')).status).to.equal(303);
      const login = await browser.get('/ui/login?next=%2Fui%2F');
      expect(login.status).to.equal(200);
      expect(login.text).to.include('name="password"').and.include('name="next" value="/ui/"');
    });

    it('answers a wrong password with 401 and the alert, keeping the visitor anonymous', async function () {
      const browser = registry.browser();
      const page = await browser.get('/ui/login');
      const before = browser.cookie;
      const answer = await browser.post('/ui/login', { _csrf: csrfOf(page.text), next: '', username: 'admin', password: 'wrong' });
      expect(answer.status).to.equal(401);
      expect(answer.text).to.include('role="alert"');
      expect(visibleText(answer.text)).to.include('Invalid user name or password.');
      expect(answer.text, 'the user name is kept in the form').to.include('value="admin"');
      expect(browser.cookie).to.equal(before);
      expect((await browser.get('/ui/')).status).to.equal(303);
    });

    it('refuses a login without the CSRF token (403), even with the right password', async function () {
      const browser = registry.browser();
      await browser.get('/ui/login');
      const answer = await browser.post('/ui/login', { next: '', username: 'admin', password: USERS.admin });
      expect(answer.status).to.equal(403);
      expect(visibleText(answer.text)).to.include('The form expired: try again.');
      expect(sessionPayload(browser.cookie).s).to.equal(undefined);
    });

    it('logs in with the right password: 303 to next, a new session id, and the pages work', async function () {
      const browser = registry.browser();
      const page = await browser.get('/ui/login?next=%2Fui%2Fr%2Fteam%2Fapp');
      const visitor = sessionPayload(browser.cookie);
      const answer = await browser.post('/ui/login', { _csrf: csrfOf(page.text), next: '/ui/r/team/app', username: 'reader', password: USERS.reader });
      expect(answer.status).to.equal(303);
      expect(answer.location).to.equal('/ui/r/team/app');
      expect(answer.sessionCookie).to.match(/; Path=\/ui\/; Max-Age=(3600|3599); HttpOnly; SameSite=Lax$/);
      const session = sessionPayload(browser.cookie);
      expect(session.s).to.deep.equal(['u', 'reader']);
      expect(session.i, 'a new session id').to.not.equal(visitor.i);
      const repository = await browser.get('/ui/r/team/app');
      expect(repository.status).to.equal(200);
      expect(visibleText(repository.text)).to.include('Signed in as reader');
      expect(csrfOf(repository.text), 'a new CSRF token').to.not.equal(csrfOf(page.text));
      expect(await browser.get('/ui/login?next=%2Fui%2Fstatus'), 'the login page sends the logged in on').to.deep.include({ status: 303, location: '/ui/status' });
    });

    it('ignores a next that leads off the UI', async function () {
      for (const next of ['//evil.example/', 'https://evil.example/ui/', '/v2/_catalog', '/ui/../v2/', '/ui/%2e%2e/v2/', '/ui/login?next=/ui/status']) {
        const browser = registry.browser();
        const page = await browser.get('/ui/login');
        const answer = await browser.post('/ui/login', { _csrf: csrfOf(page.text), next, username: 'reader', password: USERS.reader });
        expect(answer, next).to.deep.include({ status: 303, location: '/ui/' });
      }
    });

    it('lets a robot log in with its name and token, and shows it what its scope covers', async function () {
      const { secret } = await new AccessTokens(registry.driver).create({ name: 'ci-bot', scopes: [parseScope('team/**:pull')] });
      const browser = registry.browser();
      const answer = await browser.logIn('ci-bot', secret);
      expect(answer.status, visibleText(answer.text)).to.equal(303);
      expect(sessionPayload(browser.cookie).s).to.deep.equal(['r', 'ci-bot']);
      const list = await browser.get('/ui/?q=app');
      expect(list.status).to.equal(200);
      expect(listedRepositories(list.text)).to.deep.equal(['team/app']);
      expect((await browser.get('/ui/r/other/app')).status).to.equal(403);
      expect((await browser.get('/ui/status')).status).to.equal(403);
      const wrong = registry.browser();
      expect((await wrong.logIn('ci-bot', `${secret.slice(0, -2)}xx`)).status).to.equal(401);
    });
  });

  describe('what each user sees and may do', function () {
    it('lists only the repositories a user may pull, a page of 50 at a time', async function () {
      const browser = await loggedIn('teamuser');
      const first = await browser.get('/ui/');
      const firstNames = listedRepositories(first.text);
      const all = ['team/app', ...teamRepositories].sort();
      expect(firstNames).to.deep.equal(all.slice(0, 50));
      expect(visibleText(first.text)).to.include('50 repositories shown, more on the next page.');
      const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.text)?.[1]?.replace(/&amp;/g, '&');
      expect(next).to.equal(`/ui/?last=${encodeURIComponent(all[49] as string)}`);
      const second = await browser.get(next as string);
      expect(listedRepositories(second.text)).to.deep.equal(all.slice(50));
      expect(second.text).to.not.include('rel="next"');
      expect(second.text).to.include('First page');
      expect((await browser.get('/ui/r/other/app')).status).to.equal(403);
    });

    it('filters by part of the name, with the filter kept across pages', async function () {
      const browser = await loggedIn('reader');
      expect(listedRepositories((await browser.get('/ui/?q=app')).text)).to.deep.equal(['other/app', 'team/app']);
      const r0 = await browser.get('/ui/?q=team%2Fr0');
      expect(listedRepositories(r0.text)).to.deep.equal(teamRepositories.slice(0, 10));
      expect(visibleText((await browser.get('/ui/?q=nothing-like-it')).text)).to.include('No repository matches “nothing-like-it”.');
      const everything = await browser.get('/ui/?q=r');
      expect(everything.text).to.match(/href="\/ui\/\?q=r&amp;last=[^"]+" rel="next"/);
    });

    it('shows a reader no Delete link and refuses its delete with 403, CSRF token and all; the tag stays', async function () {
      const browser = await loggedIn('reader');
      const image = await browser.get('/ui/r/team/app/-/v1');
      expect(image.status).to.equal(200);
      expect(image.text).to.not.include('/delete');
      const post = await browser.post('/ui/r/team/app/-/v1/delete', { _csrf: csrfOf(image.text) });
      expect(post.status).to.equal(403);
      expect(visibleText(post.text)).to.include('You may not delete in team/app.');
      expect((await browser.get('/ui/r/team/app/-/v1/delete')).status).to.equal(403);
      expect((await registry.api.get('/v2/team/app/tags/list')).json()).to.deep.equal({ name: 'team/app', tags: ['v1'] });
    });

    it('shows an admin the Delete link', async function () {
      const browser = await loggedIn('admin');
      const image = await browser.get('/ui/r/other/app/-/v1');
      expect(image.text).to.include('href="/ui/r/other/app/-/v1/delete"');
    });

    it('keeps the status page for admins: 403 for a reader, every section for an admin', async function () {
      const reader = await loggedIn('reader');
      const refused = await reader.get('/ui/status');
      expect(refused.status).to.equal(403);
      expect(visibleText(refused.text)).to.include('The status page is for administrators');
      expect(refused.text, 'no Status link for a reader').to.not.include('href="/ui/status"');
      const admin = await loggedIn('admin');
      const status = await admin.get('/ui/status');
      expect(status.status).to.equal(200);
      const text = visibleText(status.text);
      for (const section of ['Storage', 'Garbage collection', 'This registry', 'Mirror', 'Notifications', 'Discovery']) expect(status.text, section).to.include(`>${section}</h2>`);
      expect(text).to.include('Driver inmemory');
      expect(text).to.include('State answering');
      expect(text).to.include('Last run none recorded');
      expect(text).to.include('Not a mirror (no proxy upstream configured).');
      expect(text).to.include('Version 0.0.0-test');
      expect(status.text).to.include('href="/ui/status"');
    });

    it('shows an admin the last garbage collection recorded in the store', async function () {
      const summary = { dryRun: false, repositories: 3, tagsScanned: 4, manifestsScanned: 5, blobsScanned: 9, tagsDeleted: 1, manifestsDeleted: 2, blobsDeleted: 7, bytesFreed: 3 * 1024 * 1024, spared: 0, blobsKept: 2, bytesStored: 5 * 1024 * 1024, durationMs: 4000 };
      await writeGcLastRun(registry.driver, { result: 'ok', finishedAt: '2026-11-30T22:15:00.000Z', summary });
      const text = visibleText((await (await loggedIn('admin')).get('/ui/status')).text);
      expect(text).to.include('Used by images 5.00 MiB (counted by the last garbage collection)');
      expect(text).to.include('Last run 2026-11-30 22:15 UTC');
      expect(text).to.include('Freed 3.00 MiB (7 blobs, 2 manifests, 1 tags)');
      await writeGcLastRun(registry.driver, { result: 'failed', finishedAt: '2026-12-01T01:00:00.000Z', error: 'gc lock lost <b>', durationMs: 10 });
      const failed = await (await loggedIn('admin')).get('/ui/status');
      expect(visibleText(failed.text)).to.include('Failed gc lock lost <b>').and.include('counted by the next garbage collection');
      expect(failed.text).to.include('gc lock lost &lt;b>');
    });
  });

  describe('logging out', function () {
    it('needs the CSRF token, then replaces the cookie with one of no subject and sends to the login page', async function () {
      const browser = await loggedIn('reader');
      const page = await browser.get('/ui/');
      const loggedInCookie = browser.cookie;
      expect((await browser.post('/ui/logout', {})).status).to.equal(403);
      expect(browser.cookie).to.equal(loggedInCookie);
      const answer = await browser.post('/ui/logout', { _csrf: csrfOf(page.text) });
      expect(answer).to.deep.include({ status: 303, location: '/ui/login' });
      expect(answer.sessionCookie).to.match(/^registry_ui_session=[^;]+; Path=\/ui\/; Max-Age=(86400|86399); HttpOnly; SameSite=Lax$/);
      const session = sessionPayload(browser.cookie);
      expect(session.s).to.equal(undefined);
      expect(session.i).to.not.equal(sessionPayload(loggedInCookie).i);
      expect(await browser.get('/ui/')).to.deep.include({ status: 303, location: '/ui/login?next=%2Fui%2F' });
    });

    it('signs the session out everywhere: a copy of the old cookie no longer logs in, here or on a replica', async function () {
      const replica = await startUiRegistry({ deleteEnabled: true, users: USERS, access: ACCESS, replicaOf: registry });
      try {
        const browser = await loggedIn('reader');
        const kept = await loggedIn('reader');
        const page = await browser.get('/ui/');
        const copied = browser.cookie;
        // The replica has looked at the session before the logout (and found it valid).
        const onReplica = replica.browser();
        onReplica.cookie = copied;
        expect((await onReplica.get('/ui/r/team/app')).status).to.equal(200);
        expect((await browser.post('/ui/logout', { _csrf: csrfOf(page.text) })).status).to.equal(303);

        const stolen = registry.browser();
        stolen.cookie = copied;
        expect(await stolen.get('/ui/r/team/app'), 'the copy, where the logout was made').to.deep.include({ status: 303, location: '/ui/login?next=%2Fui%2Fr%2Fteam%2Fapp' });
        expect(sessionPayload(stolen.cookie).s, 'replaced by a session of no one').to.equal(undefined);
        const elsewhere = replica.browser();
        elsewhere.cookie = copied;
        await eventually('the replica refuses the copy', async () => (await elsewhere.get('/ui/r/team/app')).status === 303, 7_000);
        // Another session of the same user is not touched.
        expect((await kept.get('/ui/r/team/app')).status).to.equal(200);
        const keptOnReplica = replica.browser();
        keptOnReplica.cookie = kept.cookie;
        expect((await keptOnReplica.get('/ui/r/team/app')).status).to.equal(200);
        // The store holds a hash of the id, never the id.
        const records = await registry.driver.list('/private-registry/ui/signed-out');
        expect(records).to.have.lengthOf.at.least(1);
        expect(records.join(' ')).to.not.include(sessionPayload(copied).i);
      } finally {
        await replica.close();
      }
    });

    it('logs out on its next request a user removed from the htpasswd file', async function () {
      const browser = await loggedIn('leaver');
      expect((await browser.get('/ui/r/team/app')).status).to.equal(200);
      const { leaver: _gone, ...staying } = USERS;
      await writeHtpasswd(registry.htpasswdPath as string, { ...staying, [FIXTURE_PUSHER.user]: FIXTURE_PUSHER.password });
      let last = await browser.get('/ui/r/team/app');
      await eventually('the removed user is logged out', async () => (last = await browser.get('/ui/r/team/app')).status === 303, 5_000);
      expect(last.location).to.equal('/ui/login?next=%2Fui%2Fr%2Fteam%2Fapp');
      expect(last.sessionCookie, 'a fresh visitor session').to.match(/^registry_ui_session=/);
      expect(sessionPayload(browser.cookie).s).to.equal(undefined);
    });
  });

  describe('where anonymous callers may pull some repositories', function () {
    let open: UiRegistry;

    before(async () => {
      open = await startUiRegistry({ users: { alice: 'alice-pass-5' }, access: '    - repository: ["public/**"]\n      anonymous: true\n      actions: [pull]\n' });
      await open.api.pushImage('public/app', 'v1');
      await open.api.pushImage('private/app', 'v1');
    });
    after(async () => {
      await open.close();
    });

    it('lets a visitor browse what anonymous callers may pull, and sends them to log in for the rest', async function () {
      const browser = open.browser();
      const home = await browser.get('/ui/');
      expect(home.status).to.equal(200);
      expect(listedRepositories(home.text)).to.deep.equal(['public/app']);
      expect(home.text).to.include('<a href="/ui/login?next=%2Fui%2F">Log in</a>');
      expect((await browser.get('/ui/r/public/app/-/v1')).status).to.equal(200);
      expect(await browser.get('/ui/r/private/app')).to.deep.include({ status: 303, location: '/ui/login?next=%2Fui%2Fr%2Fprivate%2Fapp' });
      expect(await browser.get('/ui/status'), 'the status page is for admins: log in').to.deep.include({ status: 303, location: '/ui/login?next=%2Fui%2Fstatus' });
    });

    it('answers 429 with Retry-After once failed logins from one address are spent', async function () {
      const browser = open.browser();
      let answer = await browser.logIn('alice', 'wrong-0');
      for (let i = 1; i < 30 && answer.status === 401; i += 1) answer = await browser.logIn('alice', `wrong-${i}`);
      expect(answer.status).to.equal(429);
      expect(Number(answer.headers.get('retry-after'))).to.be.greaterThan(0);
      expect(visibleText(answer.text)).to.include('Too many failed attempts: wait a while and try again.');
      expect((await browser.logIn('alice', 'alice-pass-5')).status, 'even the right password, for now').to.equal(429);
    });
  });
});
