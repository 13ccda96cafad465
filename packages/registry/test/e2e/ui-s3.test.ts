// The web UI on S3 (s3rver), two replicas sharing one bucket: a login made on one holds on the other (the
// session key is in the bucket), the pages read tags, link times and manifests through the S3 driver, and a
// delete through one replica's UI is gone for the other's API.
import { join } from 'node:path';
import { expect } from 'chai';
import { cleanupTestbed, htpasswdLine, startS3rver, tempDir, type S3rver } from '@private-registry/testbed';
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

  before(async () => {
    s3 = await startS3rver({ silent: true });
    const htpasswd = join((await tempDir('ui-s3')).path, 'htpasswd');
    await writeFile(htpasswd, `${await htpasswdLine(ADMIN)}\n`);
    const base = JSON.parse(s3ConfigText(s3, { bucket: await s3.createBucket(), rootdirectory: '/ui' })) as Record<string, unknown>;
    const configText = JSON.stringify({ ...base, auth: { htpasswd: { realm: 'ui-s3', path: htpasswd }, access: [{ repository: ['**'], users: [ADMIN.user], actions: ['admin'] }] } });
    [a, b] = await Promise.all([startS3Registry({ configText, readyStatuses: [401] }), startS3Registry({ configText, readyStatuses: [401] })]);
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
});
