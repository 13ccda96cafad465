// The referrers API's answer: an image index of descriptors of the manifests that refer to a subject.
import type { Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { ReferrersIndex } from './referrers-index.js';
import type { ManifestStore } from './manifest-store.js';

export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ReferrersAnswer {
  index: { schemaVersion: 2; mediaType: string; manifests: ReferrerDescriptor[] };
  filtered: boolean;
}

export class Referrers {
  constructor(
    private readonly index: ReferrersIndex,
    private readonly manifests: ManifestStore,
  ) {}

  async list(name: string, subject: Digest, artifactType?: string): Promise<ReferrersAnswer> {
    const descriptors: ReferrerDescriptor[] = [];
    for (const digest of await this.index.list(name, subject)) {
      // Skip entries whose manifest was deleted behind the index's back (e.g. by registry:2).
      if (!(await this.manifests.hasRevision(name, digest))) continue;
      const manifest = await this.manifests.load(digest);
      if (!manifest) continue;
      const descriptor: ReferrerDescriptor = { mediaType: manifest.mediaType, digest: digest.value, size: manifest.content.length };
      const type = manifest.parsed.artifactType ?? manifest.parsed.configMediaType;
      if (type !== undefined) descriptor.artifactType = type;
      if (manifest.parsed.annotations) descriptor.annotations = manifest.parsed.annotations;
      descriptors.push(descriptor);
    }
    const filtered = artifactType !== undefined;
    const manifests = filtered ? descriptors.filter((d) => d.artifactType === artifactType) : descriptors;
    return { index: { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }, filtered };
  }
}
