// registry-sidekick: announces a private registry in etcd under a lease while its /v2/ answers.
export { Announcer, type AnnouncerOptions, type AnnouncerTimings, type Prober } from './announcer.js';
export { buildRegistryRecord, readMachineFacts, type AnnouncementOptions, type MachineFacts } from './announcement.js';
export { LeasedKey, type KeepOutcome, type KeyState, type LeasedKeyOptions } from './leased-key.js';
export { RegistryProbe, VERSION_HEADER, type ProbeResult, type RegistryProbeOptions } from './registry-probe.js';
export { runSidekick, timingsFor, type RunSidekickDependencies } from './run-sidekick.js';
export { createSidekickProgram, type RunAction } from './sidekick-command.js';
export { SidekickError, type SidekickErrorCode } from './sidekick-error.js';
export {
  parseSidekickOptions,
  parseAdvertise,
  parseDuration,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_TTL_SECONDS,
  DEFAULT_UNHEALTHY_AFTER,
  type AdvertisedAddress,
  type SidekickOptions,
} from './sidekick-options.js';
export { SIDEKICK_VERSION } from './sidekick-version.js';
