// Spool files left by a crashed download are swept at start; a download under way (a recent file) is not.
import { expect } from 'chai';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { MirrorBlobs } from '../../src/mirror/mirror-blobs.js';
import { MirrorStats } from '../../src/mirror/mirror-stats.js';
import { RepositoryOrigins } from '../../src/mirror/repository-origins.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';

describe('mirror spool sweep', function () {
  after(cleanupTestbed);

  it('removes only spool files older than the limit', async () => {
    const root = (await tempDir('spool-sweep')).path;
    const spoolDir = join(root, 'mirror-spool');
    const driver = new FilesystemDriver({ rootDirectory: root });
    const services = new RegistryServices(driver, { deleteEnabled: false, readOnly: false, catalogMaxEntries: 10 });
    const blobs = new MirrorBlobs({ driver, uploads: services.uploads, blobs: services.blobs, origins: new RepositoryOrigins(driver), spoolDir, stats: new MirrorStats(), log: createLogger({ level: 'silent' }) });
    await blobs.sweepStaleSpools();
    await mkdir(spoolDir, { recursive: true });
    await writeFile(join(spoolDir, 'old.spool'), 'left by a crash');
    await writeFile(join(spoolDir, 'current.spool'), 'a download under way');
    const longAgo = new Date(Date.now() - 7 * 3_600_000);
    await utimes(join(spoolDir, 'old.spool'), longAgo, longAgo);

    expect(await blobs.sweepStaleSpools()).to.equal(1);
    expect(await readdir(spoolDir)).to.deep.equal(['current.spool']);
  });
});
