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

/**
 * How long "mirrored" is believed before the marker is read again: a push through another replica removes it
 * (workers are told at once, see `pushedElsewhere`). "Pushed" is final: nothing turns a pushed name back.
 */
const MIRRORED_RECHECK_MS = 5_000;

export class RepositoryOrigins {
  private readonly known = new Map<string, { origin: Origin; at: number }>();
  /** Called after this process's push removed the marker (workers tell each other). */
  onPushed: ((name: string) => void) | undefined;

  constructor(
    private readonly driver: StorageDriver,
    private readonly now: () => number = Date.now,
  ) {}

  /** True for a repository that exists here and was not filled by the mirror. */
  async isPushed(name: string): Promise<boolean> {
    const known = this.known.get(name);
    if (known?.origin === 'pushed') return true;
    if (known !== undefined && this.now() - known.at < MIRRORED_RECHECK_MS) return false;
    // Content first, the marker second. The mirror writes its marker before any content, so content found
    // without a marker read after it was pushed; a repository with no content yet (being created by another
    // worker or replica, or empty) is not taken for a pushed one, and not remembered.
    if (!(await this.hasContent(name))) return false;
    if (await existsAt(this.driver, pathFor({ kind: 'mirrorMarker', name }))) {
      this.remember(name, 'mirrored');
      return false;
    }
    this.remember(name, 'pushed');
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
    if (this.known.get(name)?.origin === 'mirrored') return;
    // Known before the write: a request that looks while the marker is being written (the repository's
    // directory may already exist) must not take the name for a pushed one.
    this.remember(name, 'mirrored');
    await this.driver.putContent(pathFor({ kind: 'mirrorMarker', name }), Buffer.from(`${upstream}\n`));
  }

  /** After a push to `name`. */
  async markPushed(name: string): Promise<void> {
    // Always: another worker or replica may have marked the repository while this push ran (a blob HEAD that
    // found the blob stored for another repository links it here, as a mirror write).
    await deleteIfPresent(this.driver, pathFor({ kind: 'mirrorMarker', name }));
    this.remember(name, 'pushed');
    this.onPushed?.(name);
  }

  /** Another worker's push removed the marker of `name`. */
  pushedElsewhere(name: string): void {
    this.remember(name, 'pushed');
  }

  private remember(name: string, origin: Origin): void {
    this.known.set(name, { origin, at: this.now() });
  }
}
