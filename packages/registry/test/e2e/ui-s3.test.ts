// The web UI on S3 (s3rver), two replicas sharing one bucket: a login made on one holds on the other (the
// session key is in the bucket), the pages read tags, link times and manifests through the S3 driver, and a
// delete through one replica's UI is gone for the other's API.
import { join } from 'node:path';
import { expect } from 'chai';
import { cleanupTestbed, htpasswdLine, startHttpFaultProxy, startS3rver, tempDir, type HttpFaultProxy, type S3rver } from '@private-registry/testbed';
import { writeFile } from 'node:fs/promises';
import { BasicAuthClient } from '../ui/ui-fixture.js';
import { blobDescriptor, imageIndex, LINUX_AMD64, LINUX_ARM64, MediaType } from '../api/oci-content.js';
import { s3ConfigText, startS3Registry, type S3RegistryProcess } from './s3-registry.js';

const ADMIN = { user: 'admin', password: 'admin-password-s3' };

/** A browser of one: its cookie, carried by hand. */
class Visitor {
  cookie = '';

  async get(url: string): Promise<{ status: number; text: string; location: string | null }> {
    const response = await fetch(url, { redirect: 'manual', headers: this.cookie ? { Cookie: this.cookie } : {} });
    this.keep(response);
    return { status: response.status, text: await response.text(), location: response.headers.get('location') };
  }

  async post(url: string, form: Record<string, string>): Promise<{ status: number; location: string | null }> {
    const response = await fetch(url, { method: 'POST', redirect: 'manual', body: new URLSearchParams(form), headers: { Cookie: this.cookie } });
    this.keep(response);
    await response.arrayBuffer();
    return { status: response.status, location: response.headers.get('location') };
  }

  private keep(response: Response): void {
    const set = response.headers.get('set-cookie');
    if (set) this.cookie = set.split(';', 1)[0] as string;
  }
}

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('web UI on S3, two replicas on one bucket @e2e', function () {
  this.timeout(90_000);
  let s3: S3rver;
  let a: S3RegistryProcess;
  let b: S3RegistryProcess;
  let proxy: HttpFaultProxy;

  before(async () => {
    s3 = await startS3rver({ silent: true });
    const htpasswd = join((await tempDir('ui-s3')).path, 'htpasswd');
    await writeFile(htpasswd, `${await htpasswdLine(ADMIN)}\n`);
    // Replica b reaches the bucket through a proxy that counts its S3 requests.
    proxy = await startHttpFaultProxy(s3.endpoint);
    const bucket = await s3.createBucket();
    const auth = { htpasswd: { realm: 'ui-s3', path: htpasswd }, access: [{ repository: ['**'], users: [ADMIN.user], actions: ['admin'] }] };
    const configOf = (endpoint?: string): string =>
      JSON.stringify({ ...(JSON.parse(s3ConfigText(s3, { bucket, rootdirectory: '/ui', ...(endpoint ? { endpoint } : {}) })) as Record<string, unknown>), auth });
    [a, b] = await Promise.all([startS3Registry({ configText: configOf(), readyStatuses: [401] }), startS3Registry({ configText: configOf(proxy.url), readyStatuses: [401] })]);
  });
  after(cleanupTestbed);

  it('shows the repositories, tags by name and time, and an index; a login on one replica holds on the other; a delete is seen by both', async () => {
    const client = new BasicAuthClient(a.url, ADMIN.user, ADMIN.password);
    const amd = await client.pushImage('s3ui/app', 'amd');
    const arm = await client.pushImage('s3ui/app', 'arm');
    const index = imageIndex({
      manifests: [
        { ...blobDescriptor(amd.manifest, MediaType.OciManifest), platform: LINUX_AMD64 },
        { ...blobDescriptor(arm.manifest, MediaType.OciManifest), platform: LINUX_ARM64 },
      ],
    });
    await client.pushManifest('s3ui/app', 'multi', index);

    const visitor = new Visitor();
    const form = await visitor.get(`${a.url}/ui/login`);
    expect(form.status).to.equal(200);
    expect(await visitor.post(`${a.url}/ui/login`, { _csrf: csrfOf(form.text), username: ADMIN.user, password: ADMIN.password, next: '' })).to.deep.include({ status: 303, location: '/ui/' });

    // Replica b: the session from a is valid (one key in the bucket).
    const list = await visitor.get(`${b.url}/ui/`);
    expect(list.status).to.equal(200);
    expect(list.text).to.include('Signed in as <strong>admin</strong>');
    expect(list.text).to.include('href="/ui/r/s3ui/app"');
    const byName = await visitor.get(`${b.url}/ui/r/s3ui/app`);
    expect([...byName.text.matchAll(/<a href="\/ui\/r\/s3ui\/app\/-\/([a-z]+)">/g)].map((m) => m[1])).to.deep.equal(['amd', 'arm', 'multi']);
    const byTime = await visitor.get(`${b.url}/ui/r/s3ui/app?sort=time`);
    expect(byTime.status).to.equal(200);
    expect(byTime.text).to.match(/linux\/amd64 <span class="muted">\([\d.]+ KiB\)<\/span>/);
    const image = await visitor.get(`${b.url}/ui/r/s3ui/app/-/multi`);
    expect(image.status).to.equal(200);
    expect(image.text).to.include('>linux/arm64/v8</h2>');
    expect(image.text).to.include(amd.layers[0]?.digest.slice(0, 19) ?? 'a layer');

    // Delete the tag through b's UI; a's API no longer lists it.
    const confirm = await visitor.get(`${b.url}/ui/r/s3ui/app/-/arm/delete`);
    expect(confirm.status).to.equal(200);
    expect(await visitor.post(`${b.url}/ui/r/s3ui/app/-/arm/delete`, { _csrf: csrfOf(confirm.text) })).to.deep.include({ status: 303, location: '/ui/r/s3ui/app?deleted=tag+arm' });
    expect((await client.tagsOf('s3ui/app')).sort()).to.deep.equal(['amd', 'multi']);
  });

  it('sorts a repository of 40 tags by push time from one key listing, without a HEAD per tag', async () => {
    const client = new BasicAuthClient(a.url, ADMIN.user, ADMIN.password);
    const image = await client.pushImage('s3ui/many', 't00');
    for (let i = 1; i < 40; i++) expect((await client.pushManifest('s3ui/many', `t${String(i).padStart(2, '0')}`, image.manifest)).status).to.equal(201);
    // Two tags moved later, a second apart (S3 keeps LastModified to the second): newest first.
    for (const tag of ['t05', 't30']) {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await client.pushImage('s3ui/many', tag)).manifest.digest).to.not.equal(image.manifest.digest);
    }
    const visitor = new Visitor();
    const form = await visitor.get(`${b.url}/ui/login`);
    await visitor.post(`${b.url}/ui/login`, { _csrf: csrfOf(form.text), username: ADMIN.user, password: ADMIN.password, next: '' });

    const seen = proxy.requests.length;
    const byTime = await visitor.get(`${b.url}/ui/r/s3ui/many?sort=time`);
    expect(byTime.status).to.equal(200);
    const shown = [...byTime.text.matchAll(/<a href="\/ui\/r\/s3ui\/many\/-\/(t\d+)">/g)].map((m) => m[1]);
    expect(shown).to.have.lengthOf(40);
    expect(shown.slice(0, 2)).to.deep.equal(['t30', 't05']);
    const requests = proxy.requests.slice(seen).map((r) => `${r.method} ${decodeURIComponent(r.path.split('?')[0] ?? '')}${r.path.includes('list-type=2') ? ` ${decodeURIComponent(r.path.slice(r.path.indexOf('?')))}` : ''}`);
    const linkHeads = requests.filter((r) => r.startsWith('HEAD ') && r.includes('/_manifests/tags/'));
    expect(linkHeads, requests.join('\n')).to.deep.equal([]);
    const listings = requests.filter((r) => r.includes('list-type=2') && r.includes('s3ui/many/_manifests/tags/') && !r.includes('delimiter'));
    expect(listings, requests.join('\n')).to.have.lengthOf(1);
    // The page still reads each tag's link for its digest.
    expect(requests.filter((r) => r.startsWith('GET ') && r.endsWith('/current/link'))).to.have.lengthOf(40);
  });
});
