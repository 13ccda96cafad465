// Images the mirror tests put into an upstream and pull back through a registry: pushed through the HTTP API
// (config and layers of random bytes), pulled the way a client does, every digest checked.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { RegistryApiClient } from '../api/api-client.js';
import { blobDescriptor, contentOf, imageConfig, imageManifest, MediaType, sha256, type Content, type ManifestDocument } from '../api/oci-content.js';

export interface UpstreamImage {
  repository: string;
  tag: string;
  /** The config first, then the layers. */
  blobs: Content[];
  manifest: ManifestDocument;
}

/** Pushes an image with layers of these sizes into a registry without auth. */
export async function pushImage(registryUrl: string, repository: string, tag: string, layerSizes: number[]): Promise<UpstreamImage> {
  const client = new RegistryApiClient(registryUrl);
  const config = imageConfig();
  const layers = layerSizes.map((size) => contentOf(randomBytes(size)));
  await client.pushBlob(repository, config, MediaType.OciConfig);
  for (const layer of layers) await client.pushBlob(repository, layer);
  const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: layers.map((l) => blobDescriptor(l)) });
  await client.pushManifest(repository, tag, manifest);
  return { repository, tag, blobs: [config, ...layers], manifest };
}

/** What a client does to pull: the manifest by tag, then every blob at once; every digest checked. */
export async function pullImage(registryUrl: string, image: UpstreamImage, client: RegistryApiClient = new RegistryApiClient(registryUrl)): Promise<void> {
  const manifest = await client.fetchManifest(image.repository, image.tag);
  expect(manifest.status, manifest.text).to.equal(200);
  expect(sha256(manifest.body)).to.equal(image.manifest.digest);
  await Promise.all(
    image.blobs.map(async (blob) => {
      const response = await client.get(`/v2/${image.repository}/blobs/${blob.digest}`);
      expect(response.status, response.text).to.equal(200);
      expect(sha256(response.body)).to.equal(blob.digest);
    }),
  );
}
