// The one check every driver applies to a path before it touches a backend.
import { InvalidPathError } from './storage-errors.js';

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * A valid path is absolute, slash-separated, with segments of [A-Za-z0-9._-] that are neither
 * "." nor "..". The root "/" is valid only where a directory is meant (list, walk, delete).
 */
export function checkPath(driver: string, path: string, allowRoot = false): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new InvalidPathError(driver, path);
  if (path === '/') {
    if (allowRoot) return path;
    throw new InvalidPathError(driver, path);
  }
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  for (const segment of trimmed.slice(1).split('/')) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') throw new InvalidPathError(driver, path);
  }
  return trimmed;
}
