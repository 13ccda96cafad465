// The web UI group's store, written directly on disk in distribution's layout (as the catalog group does, but
// with whole images: the UI reads tags, manifests and configs). Every image is a real one: an OCI manifest, its
// config and one gzipped tar layer. The layer is shared by all; each image has its own config (a label differs),
// hence its own manifest, so no page is cheaper because thousands of tags name one digest.
import { createHash } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { V2, repositoryNames } from './catalog-measures.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** The images' `created` times count up from here, one minute apart. */
const EPOCH_MS = Date.UTC(2026, 0, 1);

export interface UiStoreSettings {
  /** Repositories with one tag each (named as in the catalog group: team-NNN/app-NNNNN). */
  repositories: number;
  /** Tags of the one large repository, each on its own manifest. */
  tags: number;
}

export interface UiStore {
  /** The storage root (rootdirectory). */
  root: string;
  /** The one-tag repositories, sorted. */
  names: string[];
  /** The repository of `tags` tags; its tags' push times (link mtimes) are not in name order. */
  tagged: string;
  tags: number;
  /** The repository whose `indexTag` is an image index of linux/amd64 and linux/arm64. */
  multiArch: string;
  indexTag: string;
  /** Files written (blobs and links). */
  files: number;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
}

function digestOf(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** A one-file ustar archive: what a real image layer holds. */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;
  header.write(name, 0, 100);
  header.write(octal(0o644, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(content.length, 12), 124);
  header.write(octal(Math.floor(EPOCH_MS / 1000), 12), 136);
  header.write(' '.repeat(8), 148);
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

class StoreWriter {
  files = 0;
  private readonly blobs = new Set<string>();

  constructor(readonly root: string) {}

  private put(path: string, content: Buffer | string): void {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    this.files += 1;
  }

  blob(mediaType: string, content: Buffer, platform?: Descriptor['platform']): Descriptor {
    const digest = digestOf(content);
    if (!this.blobs.has(digest)) {
      const hex = digest.slice('sha256:'.length);
      this.put(join(this.root, V2, 'blobs/sha256', hex.slice(0, 2), hex, 'data'), content);
      this.blobs.add(digest);
    }
    return { mediaType, digest, size: content.length, ...(platform ? { platform } : {}) };
  }

  private repository(name: string): string {
    return join(this.root, V2, 'repositories', name);
  }

  /** What a blob push leaves in the repository: its layer link. */
  linkLayer(name: string, digest: string): void {
    this.put(join(this.repository(name), '_layers/sha256', digest.slice('sha256:'.length), 'link'), digest);
  }

  /** What a manifest push leaves: its revision link, and the layer links of what it names (distribution links them on upload). */
  linkManifest(name: string, manifest: Descriptor, blobs: readonly Descriptor[]): void {
    for (const blob of blobs) this.linkLayer(name, blob.digest);
    this.put(join(this.repository(name), '_manifests/revisions/sha256', manifest.digest.slice('sha256:'.length), 'link'), manifest.digest);
  }

  /** A tag: its current link (mtime = the push time the UI shows) and its index entry. */
  tag(name: string, tag: string, digest: string, pushedMs: number): void {
    const dir = join(this.repository(name), '_manifests/tags', tag);
    this.put(join(dir, 'current/link'), digest);
    utimesSync(join(dir, 'current/link'), pushedMs / 1000, pushedMs / 1000);
    this.put(join(dir, 'index/sha256', digest.slice('sha256:'.length), 'link'), digest);
  }
}

interface Image {
  manifest: Descriptor;
  blobs: Descriptor[];
}

/** An image whose config differs from every other by `label`. */
function writeImage(store: StoreWriter, layer: Descriptor, diffId: string, label: string, minute: number, architecture = 'amd64'): Image {
  const created = new Date(EPOCH_MS + minute * 60_000).toISOString();
  const config = store.blob(
    OCI_CONFIG,
    Buffer.from(
      JSON.stringify({
        created,
        architecture,
        os: 'linux',
        config: {
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          Cmd: ['cat', '/app/hello.txt'],
          WorkingDir: '/app',
          Labels: { 'org.opencontainers.image.source': 'https://example.com/bench', 'bench.build': label },
        },
        rootfs: { type: 'layers', diff_ids: [diffId] },
        history: [{ created, created_by: 'COPY hello.txt /app/ # buildkit' }],
      }),
    ),
  );
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: config.mediaType, digest: config.digest, size: config.size }, layers: [layer] });
  return { manifest: store.blob(OCI_MANIFEST, Buffer.from(body), { os: 'linux', architecture }), blobs: [config, layer] };
}

/** Fills `root`; synchronous, as the catalog group's fill (the page cache absorbs it). */
export function writeUiStore(root: string, settings: UiStoreSettings): UiStore {
  const store = new StoreWriter(root);
  const tar = tarOf('app/hello.txt', Buffer.from('hello from the registry UI bench\n'.repeat(64)));
  const layer = store.blob(OCI_LAYER, gzipSync(tar));
  const diffId = digestOf(tar);
  const names = repositoryNames(settings.repositories);
  const now = Date.now();
  names.forEach((name, i) => {
    const image = writeImage(store, layer, diffId, name, i);
    store.linkManifest(name, image.manifest, image.blobs);
    store.tag(name, 'latest', image.manifest.digest, now - (names.length - i) * 1000);
  });
  // Names after every team-… so that neither the first page nor the middle one holds them.
  const tagged = 'zz-bench/many-tags';
  for (let t = 0; t < settings.tags; t += 1) {
    const tag = `1.${Math.floor(t / 100)}.${t % 100}`;
    const image = writeImage(store, layer, diffId, `${tagged}:${tag}`, t);
    store.linkManifest(tagged, image.manifest, image.blobs);
    // Push times in another order than the names (a prime stride), so ?sort=time really sorts.
    store.tag(tagged, tag, image.manifest.digest, now - ((t * 7919) % settings.tags) * 60_000);
  }
  const multiArch = 'zz-bench/multi-arch';
  const indexTag = 'v1';
  const children = ['amd64', 'arm64'].map((architecture, i) => writeImage(store, layer, diffId, `${multiArch}:${architecture}`, i, architecture));
  for (const child of children) store.linkManifest(multiArch, child.manifest, child.blobs);
  const index = store.blob(OCI_INDEX, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children.map((child) => child.manifest) })));
  store.linkManifest(multiArch, index, []);
  store.tag(multiArch, indexTag, index.digest, now);
  return { root, names, tagged, tags: settings.tags, multiArch, indexTag, files: store.files };
}
