// Content negotiation on manifest pulls: the registry never converts, so every manifest is served as
// stored, with its own media type, whatever the Accept header lists; HEAD answers exactly like GET.
import { expect } from 'chai';
import type { PushedImage } from './api-client.js';
import {
  type ManifestDocument,
  dockerManifestList,
  imageIndex,
  LINUX_AMD64,
  MediaType,
  uniqueRepository,
} from './oci-content.js';
import { useTestRegistry } from './registry-fixture.js';

const ACCEPT_DOCKER = `${MediaType.DockerManifest}, ${MediaType.DockerManifestList}`;
const ACCEPT_OCI = `${MediaType.OciManifest}, ${MediaType.OciIndex}`;
/** What docker 25 sends, q-values included. */
const ACCEPT_DOCKER_CLI = [
  `${MediaType.DockerManifestList}`,
  `${MediaType.DockerManifest}`,
  `${MediaType.OciIndex}`,
  `${MediaType.OciManifest}`,
  'application/vnd.docker.distribution.manifest.v1+prettyjws; q=0.5',
  'application/json; q=0.1',
].join(', ');

const ACCEPT_CASES: Array<[string, Record<string, string>]> = [
  ['no Accept header', {}],
  ['Accept: */*', { Accept: '*/*' }],
  ['Docker types only', { Accept: ACCEPT_DOCKER }],
  ['OCI types only', { Accept: ACCEPT_OCI }],
  ['the docker CLI list', { Accept: ACCEPT_DOCKER_CLI }],
  ['schema1 only', { Accept: 'application/vnd.docker.distribution.manifest.v1+prettyjws' }],
];

describe('OCI distribution API: manifest content negotiation', function () {
  const fixture = useTestRegistry();
  const repository = uniqueRepository('content-negotiation');
  const kinds: Record<string, ManifestDocument> = {};

  before(async function () {
    const oci: PushedImage = await fixture.client.pushImage(repository, 'oci');
    const docker: PushedImage = await fixture.client.pushDockerImage(repository, 'docker');
    const index = imageIndex({ manifests: [oci.manifest.descriptor({ platform: LINUX_AMD64 })] });
    const list = dockerManifestList([docker.manifest.descriptor({ platform: LINUX_AMD64 })]);
    await fixture.client.pushManifest(repository, 'oci-index', index);
    await fixture.client.pushManifest(repository, 'docker-list', list);
    Object.assign(kinds, { oci: oci.manifest, docker: docker.manifest, 'oci-index': index, 'docker-list': list });
  });

  for (const tag of ['oci', 'docker', 'oci-index', 'docker-list']) {
    for (const [label, headers] of ACCEPT_CASES) {
      it(`serves the ${tag} manifest unchanged, with its own Content-Type, given ${label}`, async function () {
        const manifest = kinds[tag]!;
        const response = await fixture.client.get(`/v2/${repository}/manifests/${tag}`, headers);
        expect(response.status, response.text).to.equal(200);
        expect(response.header('content-type')).to.equal(manifest.mediaType);
        expect(response.body.equals(manifest.bytes)).to.equal(true);
      });
    }

    it(`answers HEAD of the ${tag} manifest with the same headers as GET`, async function () {
      const path = `/v2/${repository}/manifests/${tag}`;
      const [get, head] = await Promise.all([
        fixture.client.get(path, { Accept: ACCEPT_DOCKER_CLI }),
        fixture.client.head(path, { Accept: ACCEPT_DOCKER_CLI }),
      ]);
      expect(head.status).to.equal(get.status);
      for (const name of ['content-type', 'content-length', 'docker-content-digest']) {
        expect(head.header(name), name).to.equal(get.header(name));
      }
      expect(head.body.length).to.equal(0);
    });
  }

  it('serves a manifest by digest with the same Content-Type as by tag', async function () {
    const manifest = kinds.docker!;
    const response = await fixture.client.get(`/v2/${repository}/manifests/${manifest.digest}`, { Accept: ACCEPT_OCI });
    expect(response.header('content-type')).to.equal(MediaType.DockerManifest);
    expect(response.body.equals(manifest.bytes)).to.equal(true);
  });

  it('sends Content-Type without parameters such as charset', async function () {
    for (const tag of Object.keys(kinds)) {
      const response = await fixture.client.fetchManifest(repository, tag);
      expect(response.status).to.equal(200);
      expect(response.header('content-type'), tag).to.equal(kinds[tag]!.mediaType);
    }
  });
});
