// A chunked upload whose PATCHes reach different processes (http.workers, or replicas on one store): each
// process keeps its own running hash, and one that sees the upload again brings its hash forward over only the
// bytes the others appended, instead of hashing the whole upload again.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import { parseDigest } from '../../src/oci/digest.js';

const POLICY = { deleteEnabled: false, readOnly: false, catalogMaxEntries: 100 };

/** A process's view of the store: its own services, and the byte ranges it read back from upload data. */
function processOn(root: string): { services: RegistryServices; reads: Array<[number, number | undefined]> } {
  const driver = new FilesystemDriver({ rootDirectory: root });
  const reads: Array<[number, number | undefined]> = [];
  const reader = driver.reader.bind(driver);
  driver.reader = (path, offset, length) => {
    if (path.endsWith('/data') && path.includes('/_uploads/')) reads.push([offset ?? 0, length]);
    return reader(path, offset, length);
  };
  return { services: new RegistryServices(driver, POLICY), reads };
}

describe('a chunked upload continued by several processes', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'upload-handover-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('hashes each byte once per process: a process that sees the upload again reads only what the others appended', async () => {
    const a = processOn(root);
    const b = processOn(root);
    const chunks = [randomBytes(300_000), randomBytes(200_000), randomBytes(100_000), randomBytes(50_000)];
    const whole = Buffer.concat(chunks);
    const digest = parseDigest(`sha256:${createHash('sha256').update(whole).digest('hex')}`);
    const upload = await a.services.uploads.start('team/app');
    let offset = 0;
    // a, b, a, then b completes: every switch is a handover.
    const order = [a, b, a];
    for (const [index, owner] of order.entries()) {
      const chunk = chunks[index]!;
      const state = await owner.services.uploads.append('team/app', upload.id, Readable.from([chunk]), { start: offset, length: chunk.length });
      offset += chunk.length;
      expect(state.size).to.equal(offset);
    }
    const last = chunks[3]!;
    const stored = await b.services.uploads.complete('team/app', upload.id, digest, Readable.from([last]), { start: offset, length: last.length });
    expect(stored).to.deep.equal({ digest, size: whole.length });
    // b first saw the upload at 300,000 (all of it a's bytes), then again at 600,000: only a's third chunk.
    expect(b.reads).to.deep.equal([
      [0, 300_000],
      [500_000, 100_000],
    ]);
    // a came back at 500,000 and read only b's chunk.
    expect(a.reads).to.deep.equal([[300_000, 200_000]]);
    const blob = await a.services.blobs.stat('team/app', digest);
    expect(blob.size).to.equal(whole.length);
  });

  it('refuses a wrong digest after a handover, as it would without one', async () => {
    const a = processOn(root);
    const b = processOn(root);
    const upload = await a.services.uploads.start('team/app');
    await a.services.uploads.append('team/app', upload.id, Readable.from([Buffer.from('first ')]));
    const wrong = parseDigest(`sha256:${createHash('sha256').update('first other').digest('hex')}`);
    const failure = await b.services.uploads.complete('team/app', upload.id, wrong, Readable.from([Buffer.from('second')])).then(
      () => undefined,
      (err: { code?: string }) => err,
    );
    expect(failure?.code).to.equal('DIGEST_INVALID');
  });
});
