// The catalog keeps no index, so it cannot go stale: with the reference registry (distribution 2.8.2) writing into
// the same directory, a repository it creates is in our very next page, and one removed from the disk is gone from
// it, even where our listings were cached (a directory's listing is trusted only while its mtime is unchanged).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { cleanupTestbed, startReferenceRegistry, tempDir } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { startOurRegistry } from './interop-helpers.js';

describe('the catalog of a store another registry writes to @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it("lists a repository the reference registry created in our next page, and drops one removed from the disk", async function () {
    const root = (await tempDir('shared-catalog')).path;
    const ours = await startOurRegistry({ rootDirectory: root });
    const reference = await startReferenceRegistry({ rootDirectory: root });
    const catalog = async (query = ''): Promise<string[]> => {
      const response = await ours.client.get(`/v2/_catalog${query}`);
      expect(response.status, response.text).to.equal(200);
      return response.json<{ repositories: string[] }>().repositories;
    };
    await ours.client.pushImage('team/first', '1');
    await ours.client.pushImage('team/third', '1');
    // Old enough that our listings of these directories are cached (see directory-listing-cache.ts), then listed.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(await catalog()).to.deep.equal(['team/first', 'team/third']);
    expect(await catalog('?n=1&last=team/first')).to.deep.equal(['team/third']);

    await new RegistryApiClient(reference.url).pushImage('team/second', '1');
    expect(await catalog('?n=1&last=team/first'), 'written by the reference, listed at once').to.deep.equal(['team/second']);
    expect(await catalog()).to.deep.equal(['team/first', 'team/second', 'team/third']);

    await rm(join(root, 'docker/registry/v2/repositories/team/first'), { recursive: true });
    expect(await catalog(), 'removed from the disk, gone at once').to.deep.equal(['team/second', 'team/third']);
    const referenceCatalog = await new RegistryApiClient(reference.url).get('/v2/_catalog');
    expect(referenceCatalog.json<{ repositories: string[] }>().repositories, 'the reference agrees').to.deep.equal(['team/second', 'team/third']);
  });
});
