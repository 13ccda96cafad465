// Whether a repository is the team's own (pushed here) or a mirror of an upstream one. A repository the
// mirror fills carries a marker (`_mirror/upstream`, which registry:2 ignores); a push to a repository takes
// the marker away, and from then on the name is served from local content only: "a push wins". The answer
// is remembered per process; another replica's push is seen once that replica's marker removal is read. A
// repository counts as pushed only once it holds content (read before the marker): with several workers or
// replicas, one must not take a repository another is just marking for pushed.

import type { StorageDriver } from '../storage/storage-driver.js';
import { pathFor } from '../storage/path-spec.js';
import { deleteIfPresent, existsAt } from '../services/link-files.js';
import { repositoryExists } from '../services/repository-check.js';

type Origin = 'pushed' | 'mirrored';

const CONTENT_DIRS = ['_manifests', '_layers', '_uploads'] as const;

export class RepositoryOrigins {
  private readonly known = new Map<string, Origin>();

  constructor(private readonly driver: StorageDriver) {}

  /** True for a repository that exists here and was not filled by the mirror. */
  async isPushed(name: string): Promise<boolean> {
    const known = this.known.get(name);
    if (known !== undefined) return known === 'pushed';
    // Content first, the marker second. The mirror writes its marker before any content, so content found
    // without a marker read after it was pushed; a repository with no content yet (being created by another
    // worker or replica, or empty) is not taken for a pushed one, and not remembered.
    if (!(await this.hasContent(name))) return false;
    if (await existsAt(this.driver, pathFor({ kind: 'mirrorMarker', name }))) {
      this.known.set(name, 'mirrored');
      return false;
    }
    this.known.set(name, 'pushed');
    return true;
  }

  /** Manifests, layer links or uploads: what a push creates (a bare repository directory is not enough). */
  private async hasContent(name: string): Promise<boolean> {
    if (!(await repositoryExists(this.driver, name))) return false;
    const root = pathFor({ kind: 'repository', name });
    for (const part of CONTENT_DIRS) if (await existsAt(this.driver, `${root}/${part}`)) return true;
    return false;
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
