// What the handlers call when something happens (push, pull, delete, mount): builds distribution's event
// record once, serializes it once, and hands it to every endpoint whose ignore rules let it through. The
// app holds a bus only when an endpoint is configured, so without one an event site costs a property read.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CodedError, type Logger } from '@private-registry/core';
import type { NotificationAction, NotificationEndpointConfig, NotificationsConfig } from '../config/registry-config.js';
import { redactUrlPassword } from '../config/effective-config.js';
import type { Digest } from '../oci/digest.js';
import { principalName } from '../auth/principal.js';
import { locationFor, type RequestContext } from '../http/request-context.js';
import { DiskQueue } from './disk-queue.js';
import { EndpointSink, type EndpointStats } from './endpoint-sink.js';
import { BLOB_MEDIA_TYPE, isIgnored, manifestReferences, target, type EventTarget, type RegistryEvent, type RequestRecord, type SourceRecord } from './notification-event.js';
import { queueDirectoryFor } from './queue-directory.js';
import { QueueLock } from './queue-lock.js';

/** A manifest as the handlers have it after a read or a write. */
export interface ManifestFacts {
  digest: Digest;
  mediaType: string;
  content: Buffer;
}

/** Where one endpoint's events go: its disk queue and delivery, or (in a worker) the primary that holds them. */
export interface EventSink {
  readonly config: { name: string };
  enqueue(eventJson: string): void;
  stats(): EndpointStats;
  flushed(): Promise<void>;
  close(): Promise<void>;
}

interface Route {
  sink: EventSink;
  ignoredMediaTypes: ReadonlySet<string>;
  ignoredActions: ReadonlySet<string>;
}

export interface NotificationBusOptions {
  log: Logger;
  /** This node as receivers see it (distribution: hostname:port). */
  sourceAddr: string;
}

export class NotificationBus {
  /** One id per request, shared by the events it causes (a request has no other id yet). */
  private readonly requestIds = new WeakMap<IncomingMessage, string>();

  private constructor(
    private readonly routes: readonly Route[],
    private readonly locks: readonly QueueLock[],
    private readonly source: SourceRecord,
    private readonly includeReferences: boolean,
  ) {}

  /**
   * Opens each enabled endpoint's queue (sending what an earlier process left) and starts delivery;
   * undefined when no endpoint is enabled.
   * @throws CodedError NOTIFICATION_QUEUE_IN_USE when another live process owns a queue directory,
   *   NOTIFICATION_QUEUE_UNUSABLE when one cannot be created or read (naming the directory)
   */
  static async start(config: NotificationsConfig, options: NotificationBusOptions): Promise<NotificationBus | undefined> {
    if (config.endpoints.length === 0 || config.queueDirectory === undefined) return undefined;
    const routes: Route[] = [];
    const sinks: EndpointSink[] = [];
    const locks: QueueLock[] = [];
    try {
      for (const endpoint of config.endpoints) {
        const directory = queueDirectoryFor(config.queueDirectory, endpoint.name);
        locks.push(await QueueLock.acquire(directory).catch(unusable(endpoint.name, directory)));
        const queue = await DiskQueue.open(directory, {
          onDamaged: (file, line) => options.log.error({ endpoint: endpoint.name, file, line }, 'skipping a damaged line in the notification queue'),
          onMissing: (file, events) => options.log.error({ endpoint: endpoint.name, file, events }, 'a notification queue file was removed before delivery: its events are lost'),
        }).catch(unusable(endpoint.name, directory));
        const sink = new EndpointSink(endpoint, queue, options.log);
        sinks.push(sink);
        routes.push(routeTo(endpoint, sink));
        options.log.info(
          { endpoint: endpoint.name, url: redactUrlPassword(endpoint.url), timeoutMs: endpoint.timeoutMs, threshold: endpoint.threshold, backoffMs: endpoint.backoffMs, headers: Object.keys(endpoint.headers), queue: directory, pending: queue.size },
          'notification endpoint configured',
        );
      }
    } catch (err) {
      await Promise.all(locks.map((lock) => lock.release()));
      throw err;
    }
    for (const sink of sinks) sink.start();
    return new NotificationBus(routes, locks, { addr: options.sourceAddr, instanceID: randomUUID() }, config.includeReferences);
  }

  /**
   * A worker's bus under http.workers: events are built here (they need the request) and sent to the primary,
   * whose own bus holds the queues and delivers them (one queue per endpoint, whichever worker served).
   */
  static forwarding(config: NotificationsConfig, options: NotificationBusOptions, send: (endpoint: string, eventJson: string) => void): NotificationBus | undefined {
    if (config.endpoints.length === 0 || config.queueDirectory === undefined) return undefined;
    const routes = config.endpoints.map((endpoint) => routeTo(endpoint, forwardingSink(endpoint.name, send)));
    return new NotificationBus(routes, [], { addr: options.sourceAddr, instanceID: randomUUID() }, config.includeReferences);
  }

  /** Queues an event a worker built for `endpoint` (the primary's side of `forwarding`); unknown names are dropped. */
  enqueueFor(endpoint: string, eventJson: string): void {
    this.routes.find((route) => route.sink.config.name === endpoint)?.sink.enqueue(eventJson);
  }

  manifestPushed(ctx: RequestContext, manifest: ManifestFacts, tag: string | undefined): void {
    this.publish(ctx, 'push', this.manifestTarget(ctx, manifest, tag));
  }

  manifestPulled(ctx: RequestContext, manifest: ManifestFacts, tag: string | undefined): void {
    this.publish(ctx, 'pull', this.manifestTarget(ctx, manifest, tag));
  }

  manifestDeleted(ctx: RequestContext, digest: Digest): void {
    this.publish(ctx, 'delete', target({ digest: digest.value, repository: ctx.name }));
  }

  tagDeleted(ctx: RequestContext, tag: string): void {
    this.publish(ctx, 'delete', target({ repository: ctx.name, tag }));
  }

  blobPushed(ctx: RequestContext, blob: { digest: Digest; size: number }): void {
    this.publish(ctx, 'push', this.blobTarget(ctx, blob));
  }

  blobPulled(ctx: RequestContext, blob: { digest: Digest; size: number | undefined }): void {
    this.publish(ctx, 'pull', this.blobTarget(ctx, blob));
  }

  /** `from` is the repository named in the request; undefined when the mount had none. */
  blobMounted(ctx: RequestContext, blob: { digest: Digest; size: number }, from: string | undefined): void {
    this.publish(ctx, 'mount', { ...this.blobTarget(ctx, blob), ...(from ? { fromRepository: from } : {}) });
  }

  blobDeleted(ctx: RequestContext, digest: Digest): void {
    this.publish(ctx, 'delete', target({ digest: digest.value, repository: ctx.name }));
  }

  /** Per endpoint name: its counters (for the metrics module). */
  stats(): Record<string, EndpointStats> {
    return Object.fromEntries(this.routes.map((route) => [route.sink.config.name, route.sink.stats()]));
  }

  /** Resolves when every event published so far is on disk. */
  async flushed(): Promise<void> {
    await Promise.all(this.routes.map((route) => route.sink.flushed()));
  }

  /** Writes what is buffered, stops delivery and releases the queues (a restart resumes them). */
  async close(): Promise<void> {
    await Promise.all(this.routes.map((route) => route.sink.close()));
    await Promise.all(this.locks.map((lock) => lock.release()));
  }

  private publish(ctx: RequestContext, action: NotificationAction, eventTarget: EventTarget): void {
    const event: RegistryEvent = {
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      action,
      target: eventTarget,
      request: this.requestRecord(ctx.req),
      actor: ctx.principal.kind === 'anonymous' ? {} : { name: principalName(ctx.principal) },
      source: this.source,
    };
    let json: string | undefined;
    for (const route of this.routes) {
      if (isIgnored(event, route.ignoredMediaTypes, route.ignoredActions)) continue;
      json ??= JSON.stringify(event);
      route.sink.enqueue(json);
    }
  }

  private manifestTarget(ctx: RequestContext, manifest: ManifestFacts, tag: string | undefined): EventTarget {
    return target({
      mediaType: manifest.mediaType,
      digest: manifest.digest.value,
      size: manifest.content.length,
      repository: ctx.name,
      url: locationFor(ctx, `/v2/${ctx.name}/manifests/${manifest.digest.value}`),
      ...(tag === undefined ? {} : { tag }),
      ...(this.includeReferences ? { references: manifestReferences(manifest.content) } : {}),
    });
  }

  private blobTarget(ctx: RequestContext, blob: { digest: Digest; size: number | undefined }): EventTarget {
    return target({
      mediaType: BLOB_MEDIA_TYPE,
      digest: blob.digest.value,
      ...(blob.size === undefined ? {} : { size: blob.size }),
      repository: ctx.name,
      url: locationFor(ctx, `/v2/${ctx.name}/blobs/${blob.digest.value}`),
    });
  }

  private requestRecord(req: IncomingMessage): RequestRecord {
    let id = this.requestIds.get(req);
    if (id === undefined) {
      id = randomUUID();
      this.requestIds.set(req, id);
    }
    return { id, addr: remoteAddr(req), host: req.headers.host ?? '', method: req.method ?? '', useragent: req.headers['user-agent'] ?? '' };
  }
}

/** Events for `endpoint` go to `sink`, but for the media types and actions it ignores. */
function routeTo(endpoint: NotificationEndpointConfig, sink: EventSink): Route {
  return { sink, ignoredMediaTypes: new Set(endpoint.ignoredMediaTypes), ignoredActions: new Set(endpoint.ignoredActions) };
}

function forwardingSink(name: string, send: (endpoint: string, eventJson: string) => void): EventSink {
  const counters: EndpointStats = { events: 0, successes: 0, failures: 0, errors: 0, pending: 0, lost: 0 };
  return {
    config: { name },
    enqueue: (eventJson) => {
      counters.events += 1;
      send(name, eventJson);
    },
    stats: () => ({ ...counters }),
    flushed: async () => undefined,
    close: async () => undefined,
  };
}

/** Turns a file system error into one line naming the endpoint, the directory and the key to change. */
function unusable(endpoint: string, directory: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof CodedError) throw err;
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CodedError('NOTIFICATION_QUEUE_UNUSABLE', `notifications.queuedirectory: cannot use ${directory} for endpoint ${JSON.stringify(endpoint)} (${reason}): give a writable local directory`, { cause: err });
  };
}

/** distribution's requestutil.RemoteAddr: X-Forwarded-For's first entry, X-Real-Ip, else the peer address. */
function remoteAddr(req: IncomingMessage): string {
  const forwarded = firstHeader(req.headers['x-forwarded-for'])?.split(',')[0]?.trim();
  if (forwarded) return forwarded;
  const real = firstHeader(req.headers['x-real-ip'])?.trim();
  if (real) return real;
  const { remoteAddress, remotePort } = req.socket;
  if (remoteAddress === undefined) return '';
  return remoteAddress.includes(':') ? `[${remoteAddress}]:${remotePort ?? ''}` : `${remoteAddress}:${remotePort ?? ''}`;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
