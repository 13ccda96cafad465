// Mirror mode and auth, both ways. Our registry with the built-in token service as the mirror's upstream
// (the Docker bearer flow against our own token service; the reference registry with the testbed's token
// server stays the other upstream kind, in mirror-upstream-auth.test.ts). And a mirror with auth on: pulling
// a name not cached yet needs `pull` on it, and containerd's `?ns=` cannot reach what the policy forbids.
import { expect } from 'chai';
import { readLogText, startReferenceRegistry, startRegistryProcess, tempDir, cleanupTestbed, type ReferenceRegistry, type RegistryProcess } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { AuthClient } from './auth-client.js';
import { startAuthRegistry, USERS, type AuthRegistry } from './auth-fixture.js';
import { SecretLedger } from './auth-secrets.js';
import { pullImage, pushImage, type UpstreamImage } from './mirror-images.js';

describe('mirror mode and auth @e2e', function () {
  this.timeout(120_000);
  after(cleanupTestbed);

  describe('our registry with the built-in token service as the upstream', () => {
    const bot = { user: 'mirror-bot', password: 'mirror-Bot-Secret-7' };
    const ledger = new SecretLedger();
    let upstream: AuthRegistry;
    let image: UpstreamImage;
    let mirror: RegistryProcess;

    before(async () => {
      ledger.add(bot.password);
      // Content pushed while the upstream was open, then the same store behind auth.
      const rootDirectory = (await tempDir('ours-upstream')).path;
      const open = await startRegistryProcess({ rootDirectory });
      image = await pushImage(open.url, 'team/app', 'v1', [256 << 10, 4096]);
      await open.stop();
      upstream = await startAuthRegistry({
        mode: 'bearer',
        rootDirectory,
        users: [...Object.values(USERS), bot],
        auth: { access: [{ repository: ['team/**'], users: ['mirror-bot'], actions: ['pull'] }] },
      });
      mirror = await startRegistryProcess({ config: { proxy: { remoteurl: upstream.url, username: bot.user, password: bot.password, tagrevalidate: '0s' } } });
    });
    after(async () => {
      await ledger.assertNotIn(upstream.process.logFile);
      await ledger.assertNotIn(mirror.process.logFile);
    });

    it('is refused anonymously by the upstream, and served through the mirror with the credentials', async () => {
      const anonymous = await new RegistryApiClient(upstream.url).fetchManifest(image.repository, image.tag);
      expect(anonymous.status).to.equal(401);
      expect(anonymous.header('www-authenticate')).to.match(/^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/auth\/token",service="private-registry-test",scope="repository:team\/app:pull"$/);
      for (let i = 0; i < 5; i += 1) await pullImage(mirror.url, image);
    });

    it('asked our token service for a token for the repository once, as mirror-bot, for pull only', async () => {
      const issued = (await readLogText(upstream.process.logFile))
        .split('\n')
        .filter((line) => line.includes('"msg":"token issued"'))
        .map((line) => JSON.parse(line) as { subject: string; access: string[] });
      const forApp = issued.filter((entry) => entry.access.some((a) => a.startsWith('repository:team/app:')));
      expect(forApp.length).to.be.within(1, 2);
      for (const entry of forApp) {
        expect(entry.subject).to.equal('mirror-bot');
        expect(entry.access).to.deep.equal(['repository:team/app:pull']);
      }
    });
  });

  describe('a mirror with auth on', () => {
    let upstream: ReferenceRegistry;
    let mirror: AuthRegistry;
    let allowed: UpstreamImage;
    let forbidden: UpstreamImage;

    before(async () => {
      upstream = await startReferenceRegistry();
      allowed = await pushImage(upstream.url, 'team/app', 'v1', [4096]);
      forbidden = await pushImage(upstream.url, 'secret/app', 'v1', [4096]);
      mirror = await startAuthRegistry({
        mode: 'basic',
        config: { proxy: { remoteurl: upstream.url } },
        auth: { access: [{ repository: ['team/**'], users: ['reader'], actions: ['pull'] }] },
      });
    });

    it('lets a user with pull on the name fill the cache', async () => {
      await pullImage(mirror.url, allowed, new AuthClient(mirror.url, USERS.reader));
    });

    it('refuses a name the user may not pull before asking the upstream, with or without ?ns=', async () => {
      const client = new AuthClient(mirror.url, USERS.reader);
      for (const suffix of ['', '?ns=docker.io', `?ns=127.0.0.1:${upstream.port}`]) {
        const response = await client.get(`/v2/${forbidden.repository}/manifests/${forbidden.tag}${suffix}`);
        expect(response.status, suffix).to.equal(403);
      }
      const anonymous = await new RegistryApiClient(mirror.url).get(`/v2/${allowed.repository}/manifests/${allowed.tag}`);
      expect(anonymous.status).to.equal(401);
      const asked = (await upstream.accessLog()).filter((entry) => entry.path.startsWith(`/v2/${forbidden.repository}/`) && entry.method !== 'PUT' && entry.method !== 'POST' && entry.method !== 'PATCH');
      expect(asked.filter((entry) => entry.method === 'GET' || entry.method === 'HEAD').length, 'the upstream was never asked').to.equal(0);
    });
  });
});
