// Where one endpoint's queue lives: a subdirectory of notifications.queuedirectory named after the
// endpoint. A name that is not a safe file name (slashes, dots only, too long) gets a stable hashed one.
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function queueDirectoryFor(root: string, endpointName: string): string {
  const safe = SAFE_NAME.test(endpointName) ? endpointName : `endpoint-${createHash('sha256').update(endpointName).digest('hex').slice(0, 16)}`;
  return join(root, safe);
}
