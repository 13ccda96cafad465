// The two-kinds-of-images setup through the real HTTP API, with Basic credentials and with bearer tokens from
// the built-in token service: every (user, repository, action) pair asserted with its status and OCI error
// code, and nothing written by a refused request.
import { expect } from 'chai';
import { cleanupTestbed } from '@private-registry/testbed';
import { RegistryApiClient, type ApiResponse } from '../api/api-client.js';
import { ACCEPT_ANY_MANIFEST, imageManifest, randomBlob, blobDescriptor, imageConfig, MediaType, type ManifestDocument } from '../api/oci-content.js';
import { AuthClient, type Login } from './auth-client.js';
import { startAuthRegistry, USERS, type AuthMode, type AuthRegistry } from './auth-fixture.js';

type Who = 'ci' | 'cache' | 'reader' | 'admin' | 'anonymous';
type Action = 'pull' | 'push' | 'overwrite' | 'delete';
const REPOSITORIES = ['ci/app', 'cache/app'] as const;

const ALLOWED: Record<Who, Record<(typeof REPOSITORIES)[number], Action[]>> = {
  ci: { 'ci/app': ['pull', 'push'], 'cache/app': [] },
  cache: { 'ci/app': [], 'cache/app': ['pull', 'push', 'overwrite', 'delete'] },
  reader: { 'ci/app': ['pull'], 'cache/app': ['pull'] },
  admin: { 'ci/app': ['pull', 'push', 'overwrite', 'delete'], 'cache/app': ['pull', 'push', 'overwrite', 'delete'] },
  anonymous: { 'ci/app': [], 'cache/app': [] },
};

function loginOf(who: Who): Login | undefined {
  return who === 'anonymous' ? undefined : USERS[who];
}

function errorCode(response: ApiResponse): string | undefined {
  return (response.json<{ errors?: Array<{ code: string }> }>().errors ?? [])[0]?.code;
}

/** What a refusal must look like: 401 UNAUTHORIZED for anonymous callers, 403 DENIED for known ones. */
function expectRefusal(who: Who, response: ApiResponse, what: string): void {
  if (who === 'anonymous') {
    expect(response.status, `${what}: ${response.text}`).to.equal(401);
    expect(errorCode(response), what).to.equal('UNAUTHORIZED');
    expect(response.header('www-authenticate'), what).to.match(/^(Basic|Bearer) realm=/);
  } else {
    expect(response.status, `${what}: ${response.text}`).to.equal(403);
    expect(errorCode(response), what).to.equal('DENIED');
  }
}

/** A one-layer image that differs on every call (so re-pushing a tag moves it). */
async function uploadImage(client: RegistryApiClient, repository: string): Promise<{ manifest: ManifestDocument; uploads: ApiResponse[] }> {
  const config = imageConfig();
  const layer = randomBlob(512);
  const uploads: ApiResponse[] = [];
  for (const blob of [config, layer]) {
    const response = await client.request('POST', `/v2/${repository}/blobs/uploads/?digest=${blob.digest}`, {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob.bytes,
    });
    uploads.push(response);
  }
  const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: [blobDescriptor(layer)] });
  return { manifest, uploads };
}

for (const mode of ['basic', 'bearer'] as AuthMode[]) {
  describe(`auth: the two-kinds-of-images policy over the HTTP API (${mode}) @e2e`, function () {
    this.timeout(120_000);
    let registry: AuthRegistry;
    let admin: AuthClient;

    before(async () => {
      registry = await startAuthRegistry({ mode });
      admin = new AuthClient(registry.url, USERS.admin);
      // Every user gets its own tags to overwrite and delete, pushed by admin.
      for (const repository of REPOSITORIES) {
        for (const who of Object.keys(ALLOWED) as Who[]) {
          for (const tag of [`ow-${who}`, `del-${who}`, 'base']) {
            const { manifest, uploads } = await uploadImage(admin, repository);
            for (const upload of uploads) expect(upload.status, upload.text).to.equal(201);
            const put = await admin.putManifest(repository, tag, manifest);
            expect(put.status, put.text).to.equal(201);
          }
        }
      }
    });
    after(cleanupTestbed);

    for (const who of Object.keys(ALLOWED) as Who[]) {
      for (const repository of REPOSITORIES) {
        const allowed = ALLOWED[who][repository];
        const may = (action: Action): boolean => allowed.includes(action);

        it(`${who} ${may('pull') ? 'may' : 'may not'} pull ${repository}`, async () => {
          const client = new AuthClient(registry.url, loginOf(who));
          for (const path of [`/v2/${repository}/manifests/base`, `/v2/${repository}/tags/list`]) {
            const response = await client.get(path, { Accept: ACCEPT_ANY_MANIFEST });
            if (may('pull')) expect(response.status, `${path}: ${response.text}`).to.equal(200);
            else expectRefusal(who, response, `GET ${path}`);
          }
        });

        it(`${who} ${may('push') ? 'may' : 'may not'} push a new tag to ${repository}`, async () => {
          const client = new AuthClient(registry.url, loginOf(who));
          const tag = `new-${who}-${Date.now()}`;
          const { manifest, uploads } = await uploadImage(client, repository);
          if (may('push')) {
            for (const upload of uploads) expect(upload.status, upload.text).to.equal(201);
            const put = await client.putManifest(repository, tag, manifest);
            expect(put.status, put.text).to.equal(201);
          } else {
            for (const upload of uploads) expectRefusal(who, upload, 'blob upload');
            expectRefusal(who, await client.putManifest(repository, tag, manifest), 'manifest PUT');
            // Nothing was written: the tag does not exist, nor do the blobs.
            expect((await admin.fetchManifest(repository, tag)).status).to.equal(404);
            const blob = JSON.parse(manifest.bytes.toString()).layers[0].digest as string;
            expect((await admin.head(`/v2/${repository}/blobs/${blob}`)).status).to.equal(404);
          }
        });

        it(`${who} ${may('overwrite') ? 'may' : 'may not'} move an existing tag in ${repository}`, async () => {
          const client = new AuthClient(registry.url, loginOf(who));
          const tag = `ow-${who}`;
          const before = (await admin.fetchManifest(repository, tag)).header('docker-content-digest');
          const { manifest } = await uploadImage(admin, repository);
          const put = await client.putManifest(repository, tag, manifest);
          if (may('overwrite')) {
            expect(put.status, put.text).to.equal(201);
          } else {
            expectRefusal(who, put, 'tag overwrite');
            if (may('push')) expect(put.text, 'the refusal names the tag').to.include(tag);
            expect((await admin.fetchManifest(repository, tag)).header('docker-content-digest')).to.equal(before);
          }
          if (may('push')) {
            // The same digest again is not an overwrite.
            const current = await admin.fetchManifest(repository, tag);
            const again = await client.putManifest(repository, tag, { bytes: current.body, mediaType: current.header('content-type') as string });
            expect(again.status, again.text).to.equal(201);
          }
        });

        it(`${who} ${may('delete') ? 'may' : 'may not'} delete in ${repository}`, async () => {
          const client = new AuthClient(registry.url, loginOf(who));
          const tag = `del-${who}`;
          const digest = (await admin.fetchManifest(repository, tag)).header('docker-content-digest') as string;
          const response = await client.request('DELETE', `/v2/${repository}/manifests/${digest}`);
          if (may('delete')) {
            expect(response.status, response.text).to.equal(202);
            expect((await admin.fetchManifest(repository, digest)).status).to.equal(404);
          } else {
            expectRefusal(who, response, 'manifest DELETE');
            expect((await admin.fetchManifest(repository, digest)).status).to.equal(200);
          }
        });
      }

      it(`${who} sees in _catalog only what it may pull`, async () => {
        const client = new AuthClient(registry.url, loginOf(who));
        const response = await client.get('/v2/_catalog');
        const visible = REPOSITORIES.filter((repository) => ALLOWED[who][repository].includes('pull'));
        if (who === 'anonymous') {
          expectRefusal(who, response, '_catalog');
          return;
        }
        expect(response.status, response.text).to.equal(200);
        const listed = (response.json<{ repositories: string[] }>().repositories ?? []).filter((name) => (REPOSITORIES as readonly string[]).includes(name));
        expect(listed.sort()).to.deep.equal([...visible].sort());
      });
    }

    it('answers /v2/ 401 with the challenge without credentials, 200 with them', async () => {
      const anonymous = await new RegistryApiClient(registry.url).get('/v2/');
      expect(anonymous.status).to.equal(401);
      expect(errorCode(anonymous)).to.equal('UNAUTHORIZED');
      const challenge = anonymous.header('www-authenticate') as string;
      if (mode === 'basic') expect(challenge).to.equal('Basic realm="private-registry-test", charset="UTF-8"');
      else expect(challenge).to.match(/^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/auth\/token",service="private-registry-test"$/);
      expect((await new AuthClient(registry.url, USERS.reader).get('/v2/')).status).to.equal(200);
    });

    if (mode === 'bearer') it('names the scope a request needs in the bearer challenge', async () => {
      const pull = await new RegistryApiClient(registry.url).get('/v2/ci/app/manifests/base');
      expect(pull.header('www-authenticate')).to.include('scope="repository:ci/app:pull"');
      const push = await new RegistryApiClient(registry.url).request('POST', '/v2/ci/app/blobs/uploads/');
      expect(push.header('www-authenticate')).to.include('scope="repository:ci/app:pull,push"');
      const del = await new RegistryApiClient(registry.url).request('DELETE', '/v2/ci/app/manifests/base');
      expect(del.header('www-authenticate')).to.include('scope="repository:ci/app:delete"');
    });
  });
}
