// The repository catalog: every directory under repositories/ that holds manifests or layers.
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { pathFor } from '../storage/path-spec.js';
import { lexicalSort } from './repository-pages.js';

export class Catalog {
  constructor(private readonly driver: StorageDriver) {}

  async repositories(): Promise<string[]> {
    const root = pathFor({ kind: 'repositoriesRoot' });
    const found = new Set<string>();
    try {
      await this.driver.walk(root, () => undefined, {
        enterDir: (info) => {
          const base = info.path.slice(info.path.lastIndexOf('/') + 1);
          if (!base.startsWith('_')) return true;
          // A "_manifests" or "_layers" directory marks its parent as a repository; none of the
          // underscore directories hold nested repositories, so the walk stops there.
          if (base === '_manifests' || base === '_layers') {
            found.add(info.path.slice(root.length + 1, info.path.lastIndexOf('/')));
          }
          return false;
        },
      });
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
    }
    return lexicalSort([...found]);
  }
}
