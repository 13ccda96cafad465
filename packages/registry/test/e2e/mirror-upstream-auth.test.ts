// Mirror mode against upstreams that want credentials, for real: the reference registry (distribution 2.8.2)
// with htpasswd (basic auth), and with `auth.token` trusting the testbed's token server (the Docker bearer
// flow: 401 challenge, token from the realm with our credentials as basic auth, retry with the JWT).
// Our own registry with its built-in token service as the upstream is in mirror-auth.test.ts; this file keeps
// distribution with the testbed's token server as the second upstream kind.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import {
  basicAuth,
  cleanupTestbed,
  httpJson,
  readLogText,
  requireCommands,
  startReferenceRegistry,
  startRegistryProcess,
  startTokenServer,
  tempDir,
  type Credentials,
  type JsonObject,
  type ReferenceRegistry,
  type RegistryProcess,
  type TokenServer,
} from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { MediaType } from '../api/oci-content.js';
import { pullImage, pushImage, type UpstreamImage } from './mirror-images.js';

/**
 * A reference registry with auth whose content was pushed before auth was on: a first reference registry
 * without auth on the same storage takes the pushes and is stopped (our test client has no auth flow).
 */
async function authenticatedUpstream(
  auth: { htpasswd: Credentials } | { token: TokenServer },
  images: Array<{ repository: string; layerSizes: number[] }>,
): Promise<{ upstream: ReferenceRegistry; images: UpstreamImage[] }> {
  const rootDirectory = (await tempDir('upstream-auth-data')).path;
  const open = await startReferenceRegistry({ rootDirectory });
  const pushed = await Promise.all(images.map((i) => pushImage(open.url, i.repository, 'v1', i.layerSizes)));
  await open.stop();
  const upstream = 'htpasswd' in auth
    ? await startReferenceRegistry({ rootDirectory, htpasswd: auth.htpasswd })
    : await startReferenceRegistry({ rootDirectory, extraConfig: { auth: auth.token.registryAuthConfig() } });
  return { upstream, images: pushed };
}

/** Our registry mirroring `upstream` (distribution's `proxy.remoteurl`, or `proxy` as given), logging at debug. */
function startMirror(upstream: ReferenceRegistry, credentials: { username: string; password: string } | undefined, proxy?: JsonObject): Promise<RegistryProcess> {
  // One worker: tokens are cached per process, and these tests count the token requests (with N workers, up to
  // N tokens per scope while they are valid).
  return startRegistryProcess({ config: { log: { level: 'debug' }, http: { workers: 1 }, proxy: proxy ?? { remoteurl: upstream.url, tagrevalidate: '0s', ...credentials } } });
}

interface OciErrorBody {
  errors: Array<{ code: string; message: string; detail?: { upstream?: string; reason?: string; upstreamStatus?: number } }>;
}

/** The manifest by tag through the mirror must fail with our 503, saying why; returns the error entry. */
async function expectRefused(mirror: RegistryProcess, image: UpstreamImage, message: RegExp): Promise<OciErrorBody['errors'][number]> {
  const response = await new RegistryApiClient(mirror.url).fetchManifest(image.repository, image.tag);
  expect(response.status, response.text).to.equal(503);
  const [error] = response.json<OciErrorBody>().errors;
  expect(error?.code).to.equal('UNAVAILABLE');
  expect(error?.message).to.match(message);
  expect(error?.detail?.reason).to.equal('UPSTREAM_AUTH');
  return error!;
}

/** Neither the password nor the basic header made from it may reach our registry's log. */
async function expectNoSecretInLog(mirror: RegistryProcess, user: string, password: string): Promise<void> {
  const log = await readLogText(mirror.process.logFile);
  expect(log).to.include('registry listening');
  expect(log.includes(password), 'password in the log').to.equal(false);
  expect(log.includes(Buffer.from(`${user}:${password}`).toString('base64')), 'basic credentials in the log').to.equal(false);
}

function secret(): string {
  return `pw-${randomBytes(12).toString('hex')}`;
}

describe('mirror mode with upstreams that require credentials @e2e', function () {
  this.timeout(60_000);
  before(() => requireCommands(['docker-registry', 'htpasswd', 'openssl']));
  after(cleanupTestbed);

  describe('an htpasswd (basic auth) upstream', () => {
    const user = { user: 'mirror-bot', password: secret() };
    let upstream: ReferenceRegistry;
    let image: UpstreamImage;
    let mirror: RegistryProcess;

    before(async () => {
      const started = await authenticatedUpstream({ htpasswd: user }, [{ repository: 'team/basic', layerSizes: [1 << 20, 64 << 10, 3000] }]);
      upstream = started.upstream;
      image = started.images[0]!;
      mirror = await startMirror(upstream, { username: user.user, password: user.password });
    });

    it('refuses an anonymous pull itself (the credentials are what let the mirror in)', async () => {
      const response = await new RegistryApiClient(upstream.url).fetchManifest(image.repository, image.tag);
      expect(response.status).to.equal(401);
      expect(response.header('www-authenticate')).to.match(/^Basic /);
    });

    it('serves the image through a mirror configured with the credentials: manifest by tag and every blob', async () => {
      await pullImage(mirror.url, image);
      const authorized = (await upstream.accessLog()).filter((e) => e.path.startsWith(`/v2/${image.repository}/`) && e.status === 200);
      expect(authorized.map((e) => e.method)).to.include.members(['HEAD', 'GET']);
    });

    it('takes the credentials from an entry of proxy.upstreams too (a prefixed upstream)', async () => {
      const listed = await startMirror(upstream, undefined, {
        upstreams: [{ name: 'private', url: upstream.url, prefix: 'private', username: user.user, password: user.password }],
      });
      await pullImage(listed.url, { ...image, repository: `private/${image.repository}` });
      await expectNoSecretInLog(listed, user.user, user.password);
    });

    it('without credentials: 503 UNAVAILABLE saying the upstream requires credentials the mirror lacks', async () => {
      const anonymous = await startMirror(upstream, undefined);
      const error = await expectRefused(anonymous, image, /^upstream 127\.0\.0\.1:\d+ requires credentials and the mirror has none configured \(401\)/);
      expect(error.detail?.upstreamStatus).to.equal(401);
    });

    it('with a wrong password: 503 UNAVAILABLE saying the upstream refused the mirror\'s credentials, never the password', async () => {
      const wrong = secret();
      const refused = await startMirror(upstream, { username: user.user, password: wrong });
      const error = await expectRefused(refused, image, /^upstream 127\.0\.0\.1:\d+ refused the mirror's credentials \(401\)/);
      expect(JSON.stringify(error)).not.to.include(wrong);
      await expectNoSecretInLog(refused, user.user, wrong);
      expect(await readLogText(refused.process.logFile)).to.include("upstream refused the mirror's credentials");
    });

    it('never writes the password to its log', async () => {
      await expectNoSecretInLog(mirror, user.user, user.password);
    });
  });

  describe('a token-auth upstream (bearer tokens from a token service)', () => {
    const user = { user: 'mirror-bot', password: secret() };
    const scope = (repository: string): string => `repository:${repository}:pull`;
    let tokens: TokenServer;
    let upstream: ReferenceRegistry;
    let images: Map<string, UpstreamImage>;
    let mirror: RegistryProcess;

    before(async () => {
      // 30 s: the mirror renews 10 s before expiry, so a token is reused for 20 s.
      tokens = await startTokenServer({ credentials: user, expiresInS: 30 });
      const started = await authenticatedUpstream({ token: tokens }, [
        { repository: 'team/cached', layerSizes: [256 << 10, 4096] },
        { repository: 'team/crowd', layerSizes: [1 << 20, 512 << 10, 128 << 10, 2048] },
        { repository: 'team/expiring', layerSizes: [4096] },
        { repository: 'team/direct', layerSizes: [1024] },
        { repository: 'team/rotated', layerSizes: [2048] },
      ]);
      upstream = started.upstream;
      images = new Map(started.images.map((i) => [i.repository, i]));
      mirror = await startMirror(upstream, { username: user.user, password: user.password });
    });

    it('accepts only tokens from the token service (the testbed\'s JWTs verify in distribution)', async () => {
      const image = images.get('team/direct')!;
      const manifestUrl = `${upstream.url}/v2/${image.repository}/manifests/${image.tag}`;
      const anonymous = await fetch(manifestUrl, { method: 'HEAD' });
      expect(anonymous.status).to.equal(401);
      expect(anonymous.headers.get('www-authenticate')).to.equal(`Bearer realm="${tokens.realm}",service="${tokens.service}",scope="${scope(image.repository)}"`);

      const tokenUrl = `${tokens.realm}?service=${tokens.service}&scope=${scope(image.repository)}`;
      const issued = await httpJson(tokenUrl, { headers: { Authorization: basicAuth(user.user, user.password) } });
      expect(issued.status, issued.text).to.equal(200);
      const { token } = issued.json as { token: string };
      expect((await fetch(manifestUrl, { method: 'HEAD', headers: { Authorization: `Bearer ${token}`, Accept: MediaType.OciManifest } })).status).to.equal(200);

      // The same claims signed by a key the registry does not trust are refused: it really checks signatures.
      const stranger = await startTokenServer({ service: tokens.service, issuer: tokens.issuer });
      const forged = (await httpJson(tokenUrl.replace(tokens.realm, stranger.realm))).json as { token: string };
      expect((await fetch(manifestUrl, { method: 'HEAD', headers: { Authorization: `Bearer ${forged.token}`, Accept: MediaType.OciManifest } })).status).to.equal(401);
      await stranger.stop();
      expect((await httpJson(tokenUrl, { headers: { Authorization: basicAuth(user.user, 'wrong') } })).status).to.equal(401);
    });

    it('serves the image, fetching one token for ten pulls of the repository while it is valid', async () => {
      const image = images.get('team/cached')!;
      for (let i = 0; i < 10; i += 1) await pullImage(mirror.url, image);

      // tagrevalidate 0s: every pull asked upstream (a HEAD of the tag), each time with the cached token.
      const heads = (await upstream.accessLog()).filter((e) => e.method === 'HEAD' && e.path === `/v2/${image.repository}/manifests/${image.tag}` && e.status === 200);
      expect(heads).to.have.length(10);
      const asked = tokens.requests.filter((r) => r.scopes.includes(scope(image.repository)));
      expect(asked.map((r) => [r.user, r.service, r.status])).to.deep.equal([[user.user, tokens.service, 200]]);
    });

    it('fetches one token for 20 concurrent cold pulls of a multi-layer image', async () => {
      const image = images.get('team/crowd')!;
      await Promise.all(Array.from({ length: 20 }, () => pullImage(mirror.url, image)));
      expect(tokens.requestsFor(scope(image.repository))).to.equal(1);
    });

    it('replaces a cached token the upstream stops accepting (signing key rotated) with one new token', async () => {
      const image = images.get('team/rotated')!;
      await pullImage(mirror.url, image);
      expect(tokens.requestsFor(scope(image.repository))).to.equal(1);

      await tokens.rotateKey();
      await upstream.stop();
      upstream = await startReferenceRegistry({ rootDirectory: upstream.rootDirectory, port: upstream.port, extraConfig: { auth: tokens.registryAuthConfig() } });
      await pullImage(mirror.url, image);

      expect(tokens.requestsFor(scope(image.repository))).to.equal(2);
      // One refusal of the stale token, then the fresh one: the stale token is not offered twice.
      const heads = (await upstream.accessLog()).filter((e) => e.method === 'HEAD' && e.path === `/v2/${image.repository}/manifests/${image.tag}`);
      expect(heads.map((e) => e.status)).to.deep.equal([401, 200]);
    });

    it('fetches a new token once the cached one is due for renewal', async () => {
      // A 6 s token is reused for 3 s (half its life: a 10 s margin would leave nothing), then renewed.
      tokens.expiresInS = 6;
      const image = images.get('team/expiring')!;
      await pullImage(mirror.url, image);
      const first = tokens.requestsFor(scope(image.repository));
      expect(first).to.equal(1);

      await new Promise((resolve) => setTimeout(resolve, 3_200));
      await pullImage(mirror.url, image);
      expect(tokens.requestsFor(scope(image.repository))).to.equal(2);
    });

    it('with a wrong password: 503 UNAVAILABLE saying the upstream refused the mirror\'s credentials', async () => {
      const wrong = secret();
      const refused = await startMirror(upstream, { username: user.user, password: wrong });
      const image = images.get('team/cached')!;
      const before = tokens.requests.length;

      const error = await expectRefused(refused, image, /^upstream 127\.0\.0\.1:\d+ refused the mirror's credentials \(401\)/);

      expect(error.detail?.upstreamStatus).to.equal(401);
      expect(tokens.requests.slice(before).map((r) => [r.user, r.status])).to.deep.equal([[user.user, 401]]);
      await expectNoSecretInLog(refused, user.user, wrong);
    });

    it('never writes the password to its log', async () => {
      await expectNoSecretInLog(mirror, user.user, user.password);
    });
  });
});
