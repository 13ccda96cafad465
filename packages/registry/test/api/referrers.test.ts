// The referrers API (end-12a, end-12b): GET /v2/<name>/referrers/<digest>, an image index of every
// manifest in the repository whose subject is <digest>, optionally filtered by artifactType.
import { expect } from 'chai';
import type { PushedImage } from './api-client.js';
import {
  type Descriptor,
  type ManifestDocument,
  blobDescriptor,
  contentOf,
  imageIndex,
  imageManifest,
  MediaType,
  uniqueRepository,
  unknownDigest,
} from './oci-content.js';
import { expectRegistryError } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

interface ReferrersIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: Descriptor[];
}

const SBOM = 'application/vnd.example.sbom.v1';
const SIGNATURE = 'application/vnd.example.signature.v1';
const CONFIG_TYPED = 'application/vnd.example.config-typed.v1+json';

describe('OCI distribution API: referrers', function () {
  const fixture = useTestRegistry();
  const repository = uniqueRepository('referrers');
  let subject: PushedImage;
  let sbom: ManifestDocument;
  let signature: ManifestDocument;
  let configTyped: ManifestDocument;
  let index: ManifestDocument;

  before(async function () {
    subject = await fixture.client.pushImage(repository, 'v1');
    const subjectDescriptor = subject.manifest.descriptor();
    sbom = await fixture.client.pushArtifact(repository, subjectDescriptor, {
      artifactType: SBOM,
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.format': 'json' },
    });
    signature = await fixture.client.pushArtifact(repository, subjectDescriptor, { artifactType: SIGNATURE });
    configTyped = await fixture.client.pushArtifact(repository, subjectDescriptor, { configMediaType: CONFIG_TYPED });
    index = imageIndex({ manifests: [sbom.descriptor()], subject: subjectDescriptor, annotations: { kind: 'bundle' } });
    await fixture.client.pushManifest(repository, index.digest, index);
  });

  async function referrers(digest: string, query = '', name = repository): Promise<{ body: ReferrersIndex; headers: Headers }> {
    const response = await fixture.client.get(`/v2/${name}/referrers/${digest}${query}`);
    expect(response.status, response.text).to.equal(200);
    return { body: response.json<ReferrersIndex>(), headers: response.headers };
  }

  function find(list: ReferrersIndex, manifest: ManifestDocument): Descriptor {
    const found = list.manifests.find((descriptor) => descriptor.digest === manifest.digest);
    expect(found, `descriptor of ${manifest.digest}`).to.not.equal(undefined);
    return found!;
  }

  it('answers 200 with Content-Type application/vnd.oci.image.index.v1+json', async function () {
    const response = await fixture.client.get(`/v2/${repository}/referrers/${subject.manifest.digest}`);
    expect(response.status).to.equal(200);
    expect(response.header('content-type')).to.equal(MediaType.OciIndex);
  });

  it('answers with an image index: schemaVersion 2, mediaType and manifests', async function () {
    const { body } = await referrers(subject.manifest.digest);
    expect(body.schemaVersion).to.equal(2);
    expect(body.mediaType).to.equal(MediaType.OciIndex);
    expect(body.manifests).to.be.an('array');
  });

  it('lists every manifest whose subject is the digest, each once', async function () {
    const { body } = await referrers(subject.manifest.digest);
    const digests = body.manifests.map((descriptor) => descriptor.digest).sort();
    expect(digests).to.deep.equal([sbom.digest, signature.digest, configTyped.digest, index.digest].sort());
  });

  it('describes a referrer with its mediaType, digest, size, artifactType and annotations', async function () {
    const { body } = await referrers(subject.manifest.digest);
    expect(find(body, sbom)).to.deep.equal({
      mediaType: MediaType.OciManifest,
      digest: sbom.digest,
      size: sbom.size,
      artifactType: SBOM,
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.format': 'json' },
    });
  });

  it('takes artifactType from the config mediaType when the manifest has none', async function () {
    const { body } = await referrers(subject.manifest.digest);
    expect(find(body, configTyped).artifactType).to.equal(CONFIG_TYPED);
  });

  it('lists a referring index with its own mediaType and annotations, and no artifactType', async function () {
    const { body } = await referrers(subject.manifest.digest);
    const descriptor = find(body, index);
    expect(descriptor.mediaType).to.equal(MediaType.OciIndex);
    expect(descriptor.size).to.equal(index.size);
    expect(descriptor.annotations).to.deep.equal({ kind: 'bundle' });
    expect(descriptor).to.not.have.property('artifactType');
  });

  it('filters by ?artifactType= and says so with OCI-Filters-Applied: artifactType', async function () {
    const { body, headers } = await referrers(subject.manifest.digest, `?artifactType=${encodeURIComponent(SBOM)}`);
    expect(body.manifests.map((descriptor) => descriptor.digest)).to.deep.equal([sbom.digest]);
    expect(headers.get('oci-filters-applied')).to.equal('artifactType');
  });

  it('answers a filter that matches nothing with an empty list', async function () {
    const { body } = await referrers(subject.manifest.digest, '?artifactType=application%2Fvnd.example.none');
    expect(body.manifests).to.deep.equal([]);
  });

  it('sends no OCI-Filters-Applied header when no filter was asked for', async function () {
    const { headers } = await referrers(subject.manifest.digest);
    expect(headers.get('oci-filters-applied')).to.equal(null);
  });

  it('answers a digest without referrers with an empty list, not 404', async function () {
    const { body } = await referrers(sbom.digest);
    expect(body.manifests).to.deep.equal([]);
  });

  it('answers a digest unknown to the repository with an empty list, not 404', async function () {
    const { body } = await referrers(unknownDigest());
    expect(body.mediaType).to.equal(MediaType.OciIndex);
    expect(body.manifests).to.deep.equal([]);
  });

  it('lists referrers of a subject that was never pushed', async function () {
    const missing: Descriptor = { mediaType: MediaType.OciManifest, digest: unknownDigest(), size: 321 };
    const orphan = await fixture.client.pushArtifact(repository, missing, { artifactType: SIGNATURE });
    const { body } = await referrers(missing.digest);
    expect(body.manifests.map((descriptor) => descriptor.digest)).to.deep.equal([orphan.digest]);
  });

  it('lists a referrer pushed by tag as well as by digest', async function () {
    const target = await fixture.client.pushImage(repository);
    const config = contentOf('{}');
    await fixture.client.pushBlob(repository, config, MediaType.OciEmpty);
    const tagged = imageManifest({
      config: blobDescriptor(config, MediaType.OciEmpty),
      layers: [],
      subject: target.manifest.descriptor(),
      artifactType: SBOM,
    });
    await fixture.client.pushManifest(repository, 'sbom-tagged', tagged);
    const { body } = await referrers(target.manifest.digest);
    expect(body.manifests.map((descriptor) => descriptor.digest)).to.deep.equal([tagged.digest]);
  });

  it('lists only referrers from the same repository', async function () {
    const other = uniqueRepository('referrers-other');
    await fixture.client.pushArtifact(other, subject.manifest.descriptor(), { artifactType: SBOM });
    const { body } = await referrers(subject.manifest.digest);
    expect(body.manifests).to.have.length(4);
    const { body: otherBody } = await referrers(subject.manifest.digest, '', other);
    expect(otherBody.manifests).to.have.length(1);
  });

  // The spec: a registry with the referrers API MUST NOT answer 404 (clients would fall back to the tag
  // schema); the conformance suite asks an empty repository for 200.
  it('answers an unknown repository with 200 and an empty list, never 404', async function () {
    const response = await fixture.client.get(`/v2/${uniqueRepository('nowhere')}/referrers/${unknownDigest()}`);
    expect(response.status).to.equal(200);
    expect(response.json<ReferrersIndex>().manifests).to.deep.equal([]);
  });

  it('answers a well-formed digest of an algorithm it does not implement with 200 and an empty list', async function () {
    const response = await fixture.client.get(`/v2/${repository}/referrers/sha384:${'a'.repeat(96)}`);
    expect(response.status).to.equal(200);
    expect(response.header('content-type')).to.equal('application/vnd.oci.image.index.v1+json');
    expect(response.json<ReferrersIndex>().manifests).to.deep.equal([]);
  });

  for (const digest of ['sha256:xyz', 'not-a-digest', `sha256:${'a'.repeat(63)}`]) {
    it(`rejects the invalid digest "${digest.slice(0, 20)}" with 400`, async function () {
      const response = await fixture.client.get(`/v2/${repository}/referrers/${digest}`);
      expectRegistryError(response, 400, 'DIGEST_INVALID');
    });
  }
});
