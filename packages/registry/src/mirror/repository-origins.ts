// Whether a repository is the team's own (pushed here) or a mirror of an upstream one. A repository the
// mirror fills carries a marker (`_mirror/upstream`, which registry:2 ignores); a push to a repository takes
// the marker away, and from then on the name is served from local content only: "a push wins". The answer
// is remembered per process; another replica's push is seen once that replica's marker removal is read.

import type { StorageDriver } from '../storage/storage-driver.js';
import { pathFor } from '../storage/path-spec.js';
import { deleteIfPresent, existsAt } from '../services/link-files.js';
import { repositoryExists } from '../services/repository-check.js';

type Origin = 'pushed' | 'mirrored';

export class RepositoryOrigins {
  private readonly known = new Map<string, Origin>();

  constructor(private readonly driver: StorageDriver) {}

  /** True for a repository that exists here and was not filled by the mirror. */
  async isPushed(name: string): Promise<boolean> {
    const known = this.known.get(name);
    if (known !== undefined) return known === 'pushed';
    if (await existsAt(this.driver, pathFor({ kind: 'mirrorMarker', name }))) {
      this.known.set(name, 'mirrored');
      return false;
    }
    if (!(await repositoryExists(this.driver, name))) return false;
    this.known.set(name, 'pushed');
    return true;
  }

  /** Before the mirror writes into `name`. */
  async markMirrored(name: string, upstream: string): Promise<void> {
    if (this.known.get(name) === 'mirrored') return;
    // Known before the write: a request that looks while the marker is being written (the repository's
    // directory may already exist) must not take the name for a pushed one.
    this.known.set(name, 'mirrored');
    await this.driver.putContent(pathFor({ kind: 'mirrorMarker', name }), Buffer.from(`${upstream}\n`));
  }

  /** After a push to `name`. */
  async markPushed(name: string): Promise<void> {
    if (this.known.get(name) === 'pushed') return;
    await deleteIfPresent(this.driver, pathFor({ kind: 'mirrorMarker', name }));
    this.known.set(name, 'pushed');
  }
}
