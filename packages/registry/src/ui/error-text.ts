// What a failed UI request answers, in words: the API's error codes become a status, a title and a sentence.
import { RegistryError } from '../oci/registry-errors.js';
import { FormTooLargeError } from './form-body.js';

/** An error as a page: what the API would answer, in words. */
export function describeError(err: unknown): { status: number; title: string; message: string } {
  if (err instanceof FormTooLargeError) return { status: 413, title: 'Too large', message: err.message };
  if (err instanceof RegistryError) {
    switch (err.code) {
      case 'NAME_UNKNOWN':
        return { status: 404, title: 'Not found', message: 'There is no such repository.' };
      case 'MANIFEST_UNKNOWN':
        return { status: 404, title: 'Not found', message: 'There is no such tag or manifest in this repository.' };
      case 'NAME_INVALID':
      case 'TAG_INVALID':
      case 'DIGEST_INVALID':
        return { status: 404, title: 'Not found', message: 'There is no such page.' };
      case 'DENIED':
        return { status: 403, title: 'Not allowed', message: err.message };
      case 'UNSUPPORTED':
        return { status: 405, title: 'Not possible', message: typeof err.detail === 'object' && err.detail !== null && 'reason' in err.detail ? String((err.detail as { reason: unknown }).reason) : err.message };
      case 'UNAVAILABLE':
        return { status: 503, title: 'Unavailable', message: 'The store is not answering: try again in a moment.' };
      default:
        if (err.status < 500) return { status: err.status, title: 'Refused', message: err.message };
    }
  }
  return { status: 500, title: 'Something went wrong', message: 'The page could not be made; the registry log says why.' };
}
