// The event records and envelope distribution's notifications send (notifications/event.go), field for
// field and in its field order, so a receiver written for registry:2 reads ours unchanged.
import type { NotificationAction } from '../config/registry-config.js';

/**
 * distribution 2.x's envelope media type (Content-Type of every POST). distribution 3 renamed it to
 * ...events.v2+json for the same fields; receivers in use today were written against 2.x.
 */
export const EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

/** What distribution's blob store reports as a blob's media type: blob events carry it (and `ignoredmediatypes` matches it). */
export const BLOB_MEDIA_TYPE = 'application/octet-stream';

/** An OCI descriptor as a manifest lists it (config, layers, manifests), for `target.references`. */
export type ReferenceDescriptor = Record<string, unknown>;

export interface EventTarget {
  mediaType?: string;
  digest?: string;
  size?: number;
  /** The same as `size` (distribution keeps it for receivers older than 2.1). */
  length?: number;
  repository: string;
  /** The repository a mounted blob came from. */
  fromRepository?: string;
  url?: string;
  tag?: string;
  /** With `notifications.events.includereferences`: what a manifest refers to. */
  references?: ReferenceDescriptor[];
}

export interface RequestRecord {
  id: string;
  /** The client's address (X-Forwarded-For / X-Real-IP first, as distribution's RemoteAddr). */
  addr: string;
  /** The Host header the client used. */
  host: string;
  method: string;
  useragent: string;
}

export interface SourceRecord {
  /** This registry node: hostname:port. */
  addr: string;
  /** Changes with every start. */
  instanceID: string;
}

export interface RegistryEvent {
  id: string;
  /** RFC 3339 with fractions. */
  timestamp: string;
  action: NotificationAction;
  target: EventTarget;
  request: RequestRecord;
  /** `name` is the authenticated user (robot, token subject); `{}` for an anonymous caller. */
  actor: { name?: string };
  source: SourceRecord;
}

/** The POST body for one serialized event: distribution sends one event per envelope. */
export function envelopeBody(eventJson: string): string {
  return `{"events":[${eventJson}]}`;
}

/** A target with distribution's key order and without empty fields (Go's omitempty). */
export function target(fields: EventTarget): EventTarget {
  return {
    ...(fields.mediaType ? { mediaType: fields.mediaType } : {}),
    ...(fields.digest ? { digest: fields.digest } : {}),
    ...(fields.size !== undefined ? { size: fields.size, length: fields.size } : {}),
    repository: fields.repository,
    ...(fields.fromRepository ? { fromRepository: fields.fromRepository } : {}),
    ...(fields.url ? { url: fields.url } : {}),
    ...(fields.tag ? { tag: fields.tag } : {}),
    ...(fields.references ? { references: fields.references } : {}),
  };
}

/** Whether an endpoint's ignore rules drop this event (media type OR action, as distribution's ignoredSink). */
export function isIgnored(event: Pick<RegistryEvent, 'action' | 'target'>, ignoredMediaTypes: ReadonlySet<string>, ignoredActions: ReadonlySet<string>): boolean {
  return ignoredActions.has(event.action) || (event.target.mediaType !== undefined && ignoredMediaTypes.has(event.target.mediaType));
}

/** What a manifest refers to (distribution's Manifest.References): config and layers, or an index's manifests. */
export function manifestReferences(content: Buffer): ReferenceDescriptor[] {
  try {
    const parsed = JSON.parse(content.toString('utf8')) as { config?: unknown; layers?: unknown; manifests?: unknown };
    const list = (value: unknown): ReferenceDescriptor[] => (Array.isArray(value) ? value.filter((d): d is ReferenceDescriptor => typeof d === 'object' && d !== null) : []);
    if (Array.isArray(parsed.manifests)) return list(parsed.manifests);
    return [...(typeof parsed.config === 'object' && parsed.config !== null ? [parsed.config as ReferenceDescriptor] : []), ...list(parsed.layers)];
  } catch {
    return [];
  }
}

/** The manifest media type for an event: the one the document declares, else the Content-Type it was sent with. */
export function declaredMediaType(content: Buffer, contentType: string | undefined): string {
  try {
    const declared = (JSON.parse(content.toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof declared === 'string' && declared !== '') return declared;
  } catch {
    // The store accepted it, so it is JSON; fall through to the header anyway.
  }
  return contentType?.split(';', 1)[0]?.trim() || 'application/vnd.oci.image.manifest.v1+json';
}
