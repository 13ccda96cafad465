// The manifest media types the registry stores and serves as they are (never converted).

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export type ManifestMediaType = (typeof MediaType)[keyof Omit<typeof MediaType, 'OciEmpty'>];

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
];

/** Index-like media types list child manifests; the others list a config and layers. */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

/** Strips parameters ("; charset=utf-8") and lower-cases a Content-Type header. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const bare = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return bare === '' ? undefined : bare;
}
