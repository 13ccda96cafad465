// The storage policy gates: deletes only when storage.delete.enabled, writes not in read-only mode.
import { RegistryError } from '../../oci/registry-errors.js';
import type { RequestContext } from '../request-context.js';

export function requireDeleteAllowed(ctx: RequestContext): void {
  if (!ctx.services.policy.deleteEnabled) {
    throw new RegistryError('UNSUPPORTED', 'the operation is unsupported', { detail: { reason: 'deletes are disabled (storage.delete.enabled)' } });
  }
  requireWritable(ctx);
}

export function requireWritable(ctx: RequestContext): void {
  if (ctx.services.policy.readOnly) {
    throw new RegistryError('UNSUPPORTED', 'the operation is unsupported', { detail: { reason: 'registry is in read-only mode' } });
  }
}
