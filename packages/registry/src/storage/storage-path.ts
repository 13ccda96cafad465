// The one check every driver applies to a path before it touches a backend.
import { InvalidPathError } from './storage-errors.js';

/** Absolute, slash-separated segments of [A-Za-z0-9._-]; an optional trailing slash. */
const PATH = /^(?:\/[A-Za-z0-9._-]+)+\/?$/;
/** A "." or ".." segment anywhere. */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;
const NAME = /^[A-Za-z0-9._-]+$/;

/**
 * A valid path is absolute, slash-separated, with segments of [A-Za-z0-9._-] that are neither
 * "." nor "..". The root "/" is valid only where a directory is meant (list, walk, delete).
 * Two regular expressions over the whole path: this runs for every storage call on the hot paths.
 */
export function checkPath(driver: string, path: string, allowRoot = false): string {
  if (typeof path !== 'string') throw new InvalidPathError(driver, String(path));
  if (path === '/') {
    if (allowRoot) return path;
    throw new InvalidPathError(driver, path);
  }
  if (!PATH.test(path) || DOT_SEGMENT.test(path)) throw new InvalidPathError(driver, path);
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Whether a directory entry's name could be a segment of a storage path. */
export function isStorageName(name: string): boolean {
  return NAME.test(name) && name !== '.' && name !== '..';
}
