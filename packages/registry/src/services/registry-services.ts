// The composition root of the service layer: one object holding every service over one driver.
import type { StorageDriver } from '../storage/storage-driver.js';
import { BlobStore } from './blob-store.js';
import { UploadStore } from './upload-store.js';
import { TagStore } from './tag-store.js';
import { ManifestStore } from './manifest-store.js';
import { ReferrersIndex } from './referrers-index.js';
import { Referrers } from './referrers.js';
import { Catalog } from './catalog.js';
import type { PullThrough } from '../mirror/pull-through.js';
import type { PullRecorder } from '../gc/pull-recorder.js';
import { SweepGuard } from '../gc/sweep-intent.js';
import type { NotificationBus } from '../notifications/notification-bus.js';

export interface RegistryPolicy {
  /** storage.delete.enabled: off → every DELETE answers 405 UNSUPPORTED. */
  deleteEnabled: boolean;
  /** storage.maintenance.readonly.enabled: pushes and deletes answer 405. */
  readOnly: boolean;
  /** catalog.maxentries: the most repositories one _catalog page lists. */
  catalogMaxEntries: number;
}

export class RegistryServices {
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly tags: TagStore;
  readonly manifests: ManifestStore;
  readonly referrers: Referrers;
  readonly catalog: Catalog;
  /** Mirror mode (set by the app when `proxy` names an upstream): the read path for mirrored names. */
  mirror: PullThrough | undefined;
  /** Pull times for retention (set by the runtime; absent in tools that serve no pulls). */
  pulls: PullRecorder | undefined;
  /** What writers check after linking, so a concurrent garbage collection never strands a push. */
  readonly sweepGuard: SweepGuard;
  /** Webhook notifications (set by the app when an endpoint is configured): the handlers report events to it. */
  notifications: NotificationBus | undefined;

  constructor(
    readonly driver: StorageDriver,
    readonly policy: RegistryPolicy,
  ) {
    const referrersIndex = new ReferrersIndex(driver);
    this.sweepGuard = new SweepGuard(driver);
    this.blobs = new BlobStore(driver);
    this.uploads = new UploadStore(driver, this.blobs, this.sweepGuard);
    this.tags = new TagStore(driver);
    this.manifests = new ManifestStore(driver, this.blobs, this.tags, referrersIndex, this.sweepGuard);
    this.referrers = new Referrers(referrersIndex, this.manifests);
    this.catalog = new Catalog(driver);
  }
}
