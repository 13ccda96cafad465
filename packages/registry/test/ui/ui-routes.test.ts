// The UI's URL space: every link the pages build parses back to the route it names, names are checked, and a
// login's `next` only ever leads to a page of the UI.
import { expect } from 'chai';
import { RegistryError } from '../../src/oci/registry-errors.js';
import { parseUiRoute, UiPaths, type UiRoute } from '../../src/ui/ui-routes.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** The route of a link `paths` built (the handler strips <prefix>/ui and the query). */
function routeOf(paths: UiPaths, link: string): UiRoute | undefined {
  expect(link.startsWith(`${paths.base}/`), link).to.equal(true);
  const path = link.slice(paths.base.length).split('?', 1)[0] as string;
  return parseUiRoute(path);
}

function nameError(path: string): unknown {
  try {
    parseUiRoute(path);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('ui routes', function () {
  const paths = new UiPaths('/ui');

  describe('links the pages build parse back to what they name', function () {
    const cases: Array<[string, string, UiRoute]> = [
      ['the repositories', paths.repositories(), { kind: 'repositories' }],
      ['a repository with slashes', paths.repository('team/sub/app'), { kind: 'repository', name: 'team/sub/app' }],
      ['an image by tag', paths.image('team/sub/app', 'v1.2_rc-3'), { kind: 'image', name: 'team/sub/app', reference: 'v1.2_rc-3' }],
      ['an image by digest', paths.image('team/app', DIGEST), { kind: 'image', name: 'team/app', reference: DIGEST }],
      ['the delete of a tag', paths.delete('a/b/c', 'latest'), { kind: 'delete', name: 'a/b/c', reference: 'latest' }],
      ['the delete of a manifest', paths.delete('a', DIGEST), { kind: 'delete', name: 'a', reference: DIGEST }],
      ['the login', paths.login('/ui/r/a'), { kind: 'login' }],
      ['the logout', paths.logout(), { kind: 'logout' }],
      ['the status', paths.status(), { kind: 'status' }],
      ['an asset', paths.asset('app.0123abcd.css'), { kind: 'asset', file: 'app.0123abcd.css' }],
    ];
    for (const [what, link, route] of cases) {
      it(`${what}: ${link}`, function () {
        expect(routeOf(paths, link)).to.deep.equal(route);
      });
    }
  });

  it('builds the exact URLs the pages link to, query included', function () {
    expect(paths.repository('team/app')).to.equal('/ui/r/team/app');
    expect(paths.image('team/app', DIGEST)).to.equal(`/ui/r/team/app/-/sha256%3A${'ab'.repeat(32)}`);
    expect(paths.delete('team/app', 'v1')).to.equal('/ui/r/team/app/-/v1/delete');
    expect(paths.repositories({ q: 'team', last: undefined })).to.equal('/ui/?q=team');
    expect(paths.repositories({ q: '' })).to.equal('/ui/');
    expect(paths.repository('a', { sort: 'time', page: '2' })).to.equal('/ui/r/a?sort=time&page=2');
    expect(paths.repository('a', { deleted: 'tag v1' })).to.equal('/ui/r/a?deleted=tag+v1');
    expect(paths.login('/ui/')).to.equal('/ui/login?next=%2Fui%2F');
    expect(paths.login()).to.equal('/ui/login');
    expect(new UiPaths('/registry/ui').image('a', 'v1')).to.equal('/registry/ui/r/a/-/v1');
  });

  it('reads a digest written with a literal colon as well as encoded', function () {
    expect(parseUiRoute(`/r/a/-/${DIGEST}`)).to.deep.equal({ kind: 'image', name: 'a', reference: DIGEST });
  });

  it('throws NAME_INVALID for a repository name outside the grammar (the handler answers 404)', function () {
    for (const path of ['/r/Team/app', '/r/team//app', '/r/team/app_', '/r/', `/r/${'a'.repeat(256)}`, '/r/Bad/-/v1']) {
      const err = nameError(path);
      expect(err, path).to.be.instanceOf(RegistryError);
      expect((err as RegistryError).code, path).to.equal('NAME_INVALID');
    }
  });

  it('knows nothing of other paths, bad references, extra segments or odd asset names', function () {
    const nothing = [
      '/nowhere',
      '/r',
      '/r/a/-/',
      '/r/a/-/-',
      '/r/a/-/bad%20tag',
      '/r/a/-/.hidden',
      `/r/a/-/${'t'.repeat(129)}`,
      '/r/a/-/v1/remove',
      '/r/a/-/v1/delete/again',
      '/r/%E0%A4%A/x',
      '/assets/',
      '/assets/../secret',
      '/assets/sub/app.js',
      '/assets/.env',
      '/loginx',
      '/status/',
    ];
    for (const path of nothing) expect(parseUiRoute(path), path).to.equal(undefined);
  });

  describe('ownPage: where a login may send the browser next', function () {
    it('accepts pages of the UI', function () {
      for (const target of ['/ui/', '/ui/r/team/app?sort=time', `/ui/r/a/-/${DIGEST}`, '/ui/status']) expect(paths.ownPage(target), target).to.equal(target);
    });

    it('refuses other sites, other prefixes, parent segments, backslashes and line breaks', function () {
      const refused = ['//evil.example', '//evil.example/ui/', 'https://evil.example/ui/', '\\\\evil.example/ui/', '/\\evil.example/ui/', '/uix/', '/ui', '/v2/', '/other/ui/', '/ui/../x', ''];
      for (const target of refused) expect(paths.ownPage(target), JSON.stringify(target)).to.equal(undefined);
      // What a browser makes of backslashes and line breaks stays a path below /ui/, and is what goes out.
      expect(paths.ownPage('/ui/\\evil.example')).to.equal('/ui//evil.example');
      expect(paths.ownPage('/ui/r/..')).to.equal('/ui/');
      expect(paths.ownPage('/ui/\r\nSet-Cookie: x=1')).to.equal('/ui/Set-Cookie:%20x=1');
    });

    it('with a prefix, accepts only pages below <prefix>/ui/', function () {
      const prefixed = new UiPaths('/registry/ui');
      expect(prefixed.ownPage('/registry/ui/r/a')).to.equal('/registry/ui/r/a');
      expect(prefixed.ownPage('/ui/r/a')).to.equal(undefined);
      expect(prefixed.ownPage('/registry/uix')).to.equal(undefined);
    });

    // Parent segments a browser also resolves: "%2e%2e" (any case, WHATWG URL treats it as "..") and "." TAB "."
    // (browsers drop tabs from URLs): new URL('/ui/%2e%2e/x', base) is /x.
    it('refuses parent segments a browser resolves although written percent-encoded or with a tab', function () {
      for (const target of ['/ui/%2e%2e/v2/', '/ui/.%2E/x', '/ui/.\t./x']) {
        expect(new URL(target, 'http://registry.test').pathname.startsWith('/ui/'), `a browser leaves the UI for ${JSON.stringify(target)}`).to.equal(false);
        expect(paths.ownPage(target), JSON.stringify(target)).to.equal(undefined);
      }
    });
  });
});
