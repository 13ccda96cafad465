// Every storage path the registry uses, built here and nowhere else. The layout is CNCF
// distribution's (registry:2) under /docker/registry/v2, byte-compatible in both directions.
import type { Digest } from '../oci/digest.js';

export const ROOT = '/docker/registry/v2';
/** Our own data that is not distribution's (auth keys and tokens), beside its tree so its tools never see it. */
export const OWN_ROOT = '/private-registry';

export type PathSpec =
  | { kind: 'blobsRoot' }
  | { kind: 'blobData'; digest: Digest }
  | { kind: 'blobDir'; digest: Digest }
  | { kind: 'repositoriesRoot' }
  | { kind: 'repository'; name: string }
  | { kind: 'layerLink'; name: string; digest: Digest }
  | { kind: 'layerDir'; name: string; digest: Digest }
  | { kind: 'layersRoot'; name: string }
  | { kind: 'manifestRevisionsRoot'; name: string }
  | { kind: 'manifestRevisionLink'; name: string; digest: Digest }
  | { kind: 'manifestRevision'; name: string; digest: Digest }
  | { kind: 'tagsRoot'; name: string }
  | { kind: 'tag'; name: string; tag: string }
  | { kind: 'tagCurrentLink'; name: string; tag: string }
  | { kind: 'tagIndexEntryLink'; name: string; tag: string; digest: Digest }
  | { kind: 'tagIndex'; name: string; tag: string }
  | { kind: 'uploadsRoot'; name: string }
  | { kind: 'uploadData'; name: string; id: string }
  | { kind: 'uploadStartedAt'; name: string; id: string }
  | { kind: 'uploadDir'; name: string; id: string }
  /** Our extension: subject digest -> referrer manifests, so the referrers API needs no scan. */
  | { kind: 'referrersRoot'; name: string; subject: Digest }
  | { kind: 'referrerDir'; name: string; subject: Digest; digest: Digest }
  | { kind: 'referrerLink'; name: string; subject: Digest; digest: Digest }
  /** Our extension: present in a repository the mirror filled from an upstream (names that upstream). */
  | { kind: 'mirrorMarker'; name: string }
  /** Our extension: when a mirrored manifest revision was last pulled (ISO time), for eviction. */
  | { kind: 'mirrorAccess'; name: string; digest: Digest }
  /** Our extension: long-lived access tokens (robots), one JSON file per token name, the secret only hashed. */
  | { kind: 'accessTokensRoot' }
  | { kind: 'accessToken'; name: string }
  /** Our extension: the built-in token service's signing keys, one JSON file per key id. */
  | { kind: 'signingKeysRoot' }
  | { kind: 'signingKey'; id: string }
  /** Our extension: the garbage collector's lock object (used when no etcd is configured). */
  | { kind: 'gcLock' }
  /** Our extension: while a sweep deletes, the digests it is about to delete (writers check it after linking). */
  | { kind: 'gcSweepIntent' }
  /** Our extension: what the last garbage collection did (JSON), for the UI's status page. */
  | { kind: 'gcLastRun' }
  /** Our extension: the key the web UI signs its session cookies with (shared by replicas). */
  | { kind: 'uiSessionKey' }
  /** Our extension: web UI sessions signed out before they expired (a hash of the id; the content, its expiry). */
  | { kind: 'uiSignedOutRoot' }
  | { kind: 'uiSignedOut'; key: string }
  /** Our extension: where fsck --repair moves corrupt blobs (never deleted silently). */
  | { kind: 'quarantineRoot' }
  | { kind: 'quarantinedBlob'; stamp: string; digest: Digest }
  /** Our extension: when a manifest revision of a repository was last pulled (ISO time), for retention. */
  | { kind: 'pullRecordsRoot'; name: string }
  | { kind: 'pullRecord'; name: string; digest: Digest };

function blobDir(d: Digest): string {
  return `${ROOT}/blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`;
}

function repo(name: string): string {
  return `${ROOT}/repositories/${name}`;
}

export function pathFor(spec: PathSpec): string {
  switch (spec.kind) {
    case 'blobsRoot':
      return `${ROOT}/blobs`;
    case 'blobDir':
      return blobDir(spec.digest);
    case 'blobData':
      return `${blobDir(spec.digest)}/data`;
    case 'repositoriesRoot':
      return `${ROOT}/repositories`;
    case 'repository':
      return repo(spec.name);
    case 'layersRoot':
      return `${repo(spec.name)}/_layers`;
    case 'layerDir':
      return `${repo(spec.name)}/_layers/${spec.digest.algorithm}/${spec.digest.hex}`;
    case 'layerLink':
      return `${repo(spec.name)}/_layers/${spec.digest.algorithm}/${spec.digest.hex}/link`;
    case 'manifestRevisionsRoot':
      return `${repo(spec.name)}/_manifests/revisions`;
    case 'manifestRevision':
      return `${repo(spec.name)}/_manifests/revisions/${spec.digest.algorithm}/${spec.digest.hex}`;
    case 'manifestRevisionLink':
      return `${repo(spec.name)}/_manifests/revisions/${spec.digest.algorithm}/${spec.digest.hex}/link`;
    case 'tagsRoot':
      return `${repo(spec.name)}/_manifests/tags`;
    case 'tag':
      return `${repo(spec.name)}/_manifests/tags/${spec.tag}`;
    case 'tagCurrentLink':
      return `${repo(spec.name)}/_manifests/tags/${spec.tag}/current/link`;
    case 'tagIndex':
      return `${repo(spec.name)}/_manifests/tags/${spec.tag}/index`;
    case 'tagIndexEntryLink':
      return `${repo(spec.name)}/_manifests/tags/${spec.tag}/index/${spec.digest.algorithm}/${spec.digest.hex}/link`;
    case 'uploadsRoot':
      return `${repo(spec.name)}/_uploads`;
    case 'uploadDir':
      return `${repo(spec.name)}/_uploads/${spec.id}`;
    case 'uploadData':
      return `${repo(spec.name)}/_uploads/${spec.id}/data`;
    case 'uploadStartedAt':
      return `${repo(spec.name)}/_uploads/${spec.id}/startedat`;
    case 'referrersRoot':
      return `${repo(spec.name)}/_referrers/${spec.subject.algorithm}/${spec.subject.hex}`;
    case 'referrerDir':
      return `${repo(spec.name)}/_referrers/${spec.subject.algorithm}/${spec.subject.hex}/${spec.digest.algorithm}/${spec.digest.hex}`;
    case 'referrerLink':
      return `${pathFor({ ...spec, kind: 'referrerDir' })}/link`;
    case 'mirrorMarker':
      return `${repo(spec.name)}/_mirror/upstream`;
    case 'mirrorAccess':
      return `${repo(spec.name)}/_mirror/accessed/${spec.digest.algorithm}/${spec.digest.hex}`;
    case 'accessTokensRoot':
      return `${OWN_ROOT}/auth/access-tokens`;
    case 'accessToken':
      return `${OWN_ROOT}/auth/access-tokens/${safeSegment(spec.name)}.json`;
    case 'signingKeysRoot':
      return `${OWN_ROOT}/auth/signing-keys`;
    case 'signingKey':
      return `${OWN_ROOT}/auth/signing-keys/${safeSegment(spec.id)}.json`;
    case 'gcLock':
      return `${OWN_ROOT}/gc/lock.json`;
    case 'gcSweepIntent':
      return `${OWN_ROOT}/gc/sweep-intent.json`;
    case 'gcLastRun':
      return `${OWN_ROOT}/gc/last-run.json`;
    case 'uiSessionKey':
      return `${OWN_ROOT}/ui/session-key`;
    case 'uiSignedOutRoot':
      return `${OWN_ROOT}/ui/signed-out`;
    case 'uiSignedOut':
      if (!/^[0-9a-f]{40}$/.test(spec.key)) throw new Error(`not a signed-out session key: ${JSON.stringify(spec.key.slice(0, 48))}`);
      return `${OWN_ROOT}/ui/signed-out/${spec.key}`;
    case 'quarantineRoot':
      return `${OWN_ROOT}/quarantine`;
    case 'quarantinedBlob':
      return `${OWN_ROOT}/quarantine/${safeSegment(spec.stamp)}/${spec.digest.algorithm}/${spec.digest.hex}`;
    case 'pullRecordsRoot':
      return `${OWN_ROOT}/pulls/${spec.name}`;
    case 'pullRecord':
      return `${OWN_ROOT}/pulls/${spec.name}/${spec.digest.algorithm}/${spec.digest.hex}`;
  }
}

/** A name used as one path segment: callers validate it; this refuses anything that could leave the directory. */
function safeSegment(segment: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(segment)) throw new Error(`not a safe path segment: ${JSON.stringify(segment.slice(0, 40))}`);
  return segment;
}
