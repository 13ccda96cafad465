// Reads `storage` into StorageConfig: exactly one driver (distribution's rule; maintenance, cache,
// delete, redirect and tag are sections, not drivers), its parameters, and the storage-wide settings.
import { resolve } from 'node:path';
import {
  DEFAULT_MAX_THREADS,
  DEFAULT_STORAGE_DRIVER,
  DEFAULT_UPLOAD_PURGING,
  MIN_MAX_THREADS,
} from './config-defaults.js';
import { FOREIGN_DRIVERS, STORAGE_SECTIONS, SUPPORTED_DRIVERS, type StorageDriverName } from './config-keys.js';
import type { ConfigSection } from './config-section.js';
import { toPlain } from './config-tree.js';
import type { StorageConfig, UploadPurgingConfig } from './registry-config.js';
import { resolveDefaultRootDirectory } from './default-root.js';
import { readGc } from './gc-section.js';

const KNOWN_DRIVERS: readonly string[] = [...SUPPORTED_DRIVERS, ...FOREIGN_DRIVERS];
const SECTIONS: readonly string[] = STORAGE_SECTIONS;

/**
 * @param required true when a configuration file was read: like distribution, a file must configure the
 * storage (itself or through REGISTRY_STORAGE_* variables); only the no-file defaults pick one.
 */
export function readStorage(root: ConfigSection, required: boolean): StorageConfig {
  const storage = root.section('storage');
  const driver = selectDriver(storage);
  const driverIsDefault = driver === undefined;
  const name: StorageDriverName = driver ?? DEFAULT_STORAGE_DRIVER;
  const config: StorageConfig = {
    driver: name,
    driverIsDefault,
    filesystem: name === 'filesystem' ? readFilesystem(storage.section('filesystem')) : undefined,
    s3: name === 's3' ? readS3(storage) : undefined,
    delete: { enabled: storage.section('delete').bool('enabled') ?? false },
    redirect: { disable: storage.section('redirect').bool('disable') ?? false },
    maintenance: {
      uploadPurging: readUploadPurging(storage.section('maintenance').section('uploadpurging')),
      readOnly: { enabled: storage.section('maintenance').section('readonly').bool('enabled') ?? false },
    },
    gc: readGc(root),
  };
  // Checked after the values, so a bad value is reported first, whatever else is missing.
  if (driver === undefined && required) {
    root.fail(
      'storage',
      `no storage configuration provided: name a driver, e.g. storage.filesystem.rootdirectory or storage.s3 (${SUPPORTED_DRIVERS.join(', ')}), in the file or with REGISTRY_STORAGE_* variables`,
    );
  }
  return config;
}

/** The configured driver, or undefined when none is (the default applies). */
function selectDriver(storage: ConfigSection): StorageDriverName | undefined {
  const keys = storage.node === undefined ? [] : [...storage.node.entries.keys()];
  const candidates = keys.filter((k) => !SECTIONS.includes(k.toLowerCase()));
  const drivers = candidates.filter((k) => KNOWN_DRIVERS.includes(k.toLowerCase()));
  if (drivers.length > 1) storage.fail('', `exactly one storage driver may be configured, found ${drivers.join(', ')}`);
  const [key] = drivers;
  if (key === undefined) {
    // A misspelt driver must not silently fall back to the default: the key audit warns about the spelling, this stops.
    if (candidates.length > 0) {
      storage.fail('', `no storage driver configured (unknown ${candidates.map((c) => JSON.stringify(c)).join(', ')}; supported: ${SUPPORTED_DRIVERS.join(', ')})`);
    }
    return undefined;
  }
  const lower = key.toLowerCase();
  const supported = SUPPORTED_DRIVERS.find((d) => d === lower);
  if (supported === undefined) storage.fail(key, `storage driver "${lower}" is not supported (supported: ${SUPPORTED_DRIVERS.join(', ')})`);
  return supported;
}

/** The root directory is absolute after loading: relative to the working directory (as distribution), or the default rule. */
function readFilesystem(fs: ConfigSection): { rootDirectory: string; maxThreads: number } {
  const written = fs.string('rootdirectory');
  if (written === '') fs.fail('rootdirectory', 'must not be empty');
  const rootDirectory = written === undefined ? resolveDefaultRootDirectory(fs.context.probe) : resolve(fs.context.cwd, written);
  let maxThreads = fs.integer('maxthreads') ?? DEFAULT_MAX_THREADS;
  if (maxThreads < MIN_MAX_THREADS) {
    fs.warn(`${fs.keyPath('maxthreads')} is below the minimum of ${MIN_MAX_THREADS}; using ${MIN_MAX_THREADS}`);
    maxThreads = MIN_MAX_THREADS;
  }
  return { rootDirectory, maxThreads };
}

/** S3 parameters stay raw for the S3 driver to read (distribution's parameter names, e.g. "regionendpoint"). */
function readS3(storage: ConfigSection): Record<string, unknown> {
  const node = storage.child('s3');
  if (node === undefined) return {};
  if (node.kind !== 'map') storage.fail('s3', 'expected a mapping of S3 parameters');
  return toPlain(node) as Record<string, unknown>;
}

function readUploadPurging(section: ConfigSection): UploadPurgingConfig {
  const config: UploadPurgingConfig = {
    enabled: section.bool('enabled') ?? DEFAULT_UPLOAD_PURGING.enabled,
    ageMs: section.duration('age') ?? DEFAULT_UPLOAD_PURGING.ageMs,
    intervalMs: section.duration('interval') ?? DEFAULT_UPLOAD_PURGING.intervalMs,
    dryRun: section.bool('dryrun') ?? DEFAULT_UPLOAD_PURGING.dryRun,
  };
  if (config.enabled && config.intervalMs <= 0) section.fail('interval', 'must be greater than zero when upload purging is enabled');
  return config;
}
