// Pushers for the collector's race test: each pushes images continuously, docker-style (HEAD each blob, upload
// what is missing, PUT the manifest by tag and again as "latest"; on MANIFEST_BLOB_UNKNOWN start over), with a
// unique layer per image and one from a small shared pool, so the collector keeps deleting layers that other
// pushes are about to reference again. Every 201 is recorded as an acknowledged image.
import { expect } from 'chai';
import { RegistryApiClient } from '../api/api-client.js';
import { blobDescriptor, imageConfig, imageManifest, MediaType, randomBlob, type Content, type ManifestDocument } from '../api/oci-content.js';

export interface AckedImage {
  repository: string;
  tag: string;
  manifest: ManifestDocument;
  blobs: string[];
}

export interface PushStats {
  pushed: number;
  /** Manifest PUTs refused with MANIFEST_BLOB_UNKNOWN (a sweep took a blob): pushed again. */
  retried: number;
  orphans: number;
}

/** Shared layers per repository; each serves 4 images in a row, then rests while the other two take turns. */
const POOL = 3;
const RUN = 4;

export async function pushContinuously(client: RegistryApiClient, repository: string, until: number, acked: AckedImage[], stats: PushStats): Promise<void> {
  // With keeplatest 3, a shared layer is unreferenced from 3 pushes after its run until it comes round again:
  // the collector deletes it, and the pusher's HEAD may just have seen it.
  const pool: Content[] = Array.from({ length: POOL }, () => randomBlob(8192));
  for (let n = 1; Date.now() < until; n += 1) {
    const config = imageConfig();
    const unique = randomBlob(4096);
    const shared = pool[Math.floor(n / RUN) % POOL] as Content;
    const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: [blobDescriptor(shared), blobDescriptor(unique)] });
    const tag = `t${n}`;
    for (let attempt = 1; ; attempt += 1) {
      for (const [blob, type] of [[config, MediaType.OciConfig], [shared, MediaType.OciLayer], [unique, MediaType.OciLayer]] as const) {
        if (!(await client.blobExists(repository, blob.digest))) await client.pushBlob(repository, blob, type);
      }
      const put = await client.putManifest(repository, tag, manifest);
      if (put.status === 201) break;
      expect(put.status, `PUT ${repository}:${tag}: ${put.text}`).to.equal(400);
      expect(put.json<{ errors: { code: string }[] }>().errors[0]?.code).to.equal('MANIFEST_BLOB_UNKNOWN');
      stats.retried += 1;
      expect(attempt, `${repository}:${tag} refused ${attempt} times`).to.be.below(20);
    }
    acked.push({ repository, tag, manifest, blobs: [config.digest, shared.digest, unique.digest] });
    const latest = await client.putManifest(repository, 'latest', manifest);
    if (latest.status === 201) acked.push({ repository, tag: 'latest', manifest, blobs: [config.digest, shared.digest, unique.digest] });
    stats.pushed += 1;
    // Now and then a blob nothing will reference: garbage from the start.
    if (n % 5 === 0) {
      await client.pushBlob(repository, randomBlob(1024));
      stats.orphans += 1;
    }
  }
}

/** Every acknowledged image whose manifest the registry still serves has every blob it references. */
export async function expectNoStrandedManifest(client: RegistryApiClient, acked: readonly AckedImage[]): Promise<number> {
  let served = 0;
  for (const image of acked) {
    const head = await client.head(`/v2/${image.repository}/manifests/${image.manifest.digest}`);
    if (head.status === 404) continue;
    expect(head.status).to.equal(200);
    served += 1;
    for (const blob of image.blobs) {
      expect(await client.blobExists(image.repository, blob), `${image.repository}@${image.manifest.digest} lost ${blob}`).to.equal(true);
    }
  }
  return served;
}

/** Every blob digest the registry's remaining tags reach (manifests included). */
export async function referencedBlobs(client: RegistryApiClient, repositories: readonly string[]): Promise<Set<string>> {
  const referenced = new Set<string>();
  for (const repository of repositories) {
    for (const tag of await client.tagsOf(repository)) {
      const response = await client.get(`/v2/${repository}/manifests/${tag}`, { Accept: MediaType.OciManifest });
      expect(response.status, `${repository}:${tag}`).to.equal(200);
      referenced.add(response.header('docker-content-digest') as string);
      const manifest = response.json<{ config: { digest: string }; layers: { digest: string }[] }>();
      referenced.add(manifest.config.digest);
      for (const layer of manifest.layers) referenced.add(layer.digest);
    }
  }
  return referenced;
}
