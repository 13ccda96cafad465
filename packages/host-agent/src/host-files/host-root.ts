// Roots every absolute host path under one directory (`--root DIR`), so tests and dry runs never touch
// the real /etc, and no path (`..`, or a symlink's target) can lead out of that directory.

import { realpath } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { isErrnoError } from '@private-registry/core';
import { HostFileError } from './host-file-error.js';

export class HostRoot {
  /** The absolute directory standing for the host's `/`. */
  readonly dir: string;

  constructor(dir = '/') {
    this.dir = resolve(dir);
  }

  /** `/etc/environment` → `<root>/etc/environment`. */
  path(hostPath: string): string {
    if (!posix.isAbsolute(hostPath) || hostPath.includes('\0')) {
      throw new HostFileError('PATH_NOT_ABSOLUTE', `"${hostPath}" is not an absolute host path`);
    }
    const rooted = resolve(this.dir, `.${posix.normalize(hostPath)}`);
    // normalize() keeps a leading `..` of `/..` away, but `/etc/../../x` must still never leave the root.
    if (hostPath.split('/').includes('..') || !this.contains(rooted)) {
      throw new HostFileError('PATH_OUTSIDE_ROOT', `"${hostPath}" leads outside the root ${this.dir}`);
    }
    return rooted;
  }

  /**
   * The file a write to `hostPath` should replace: the rooted path, or, when that is a symlink (a managed
   * /etc on some systems), its target, so the link survives; a target outside the root is refused.
   */
  async writablePath(hostPath: string): Promise<string> {
    const rooted = this.path(hostPath);
    let target: string;
    try {
      target = await realpath(rooted);
    } catch (err) {
      if (isErrnoError(err, 'ENOENT') || isErrnoError(err, 'ENOTDIR')) return rooted;
      throw err;
    }
    if (target === rooted) return rooted;
    const realRoot = await realpath(this.dir);
    if (!this.contains(target, realRoot)) {
      throw new HostFileError('PATH_OUTSIDE_ROOT', `${rooted} is a symlink to ${target}, outside the root ${this.dir}`);
    }
    return target;
  }

  private contains(path: string, dir = this.dir): boolean {
    const rel = relative(dir, path);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  }
}
