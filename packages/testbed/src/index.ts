// Test-only helpers that start the real components on loopback (reference registry, dockerd, podman,
// skopeo, umoci-built images) and clean them up, so registry tests talk to real peers.

export { freePort } from './free-port.js';
export { hostFilesSnapshot } from './host-files-snapshot.js';
export { waitForHttp, type WaitForHttpOptions } from './wait-for-http.js';
export { waitUntil } from './wait-until.js';
export { tempDir, type TempDir } from './temp-dir.js';
export { cleanupTestbed, registerCleanup, pendingCleanupCount, type Cleanup } from './cleanup-registry.js';
export { mochaHooks } from './mocha-cleanup.js';
export { startProcess, type ManagedProcess, type ProcessExit, type StartProcessOptions, type StopOptions } from './managed-process.js';
export { runCommand, runChecked, assertSucceeded, type CommandResult, type RunCommandOptions } from './command.js';
export { logSize, readLogText, readLogLines, waitForLogLine, type LogWaitOptions } from './log-file.js';
export { parseAccessLog, type AccessLogEntry } from './access-log.js';
export { httpJson, basicAuth, MANIFEST_MEDIA_TYPES, type HttpJsonOptions, type HttpJsonResponse } from './http-json.js';
export { htpasswdLine, writeHtpasswdFile, type Credentials } from './htpasswd.js';
export { startReferenceRegistry, type ReferenceRegistry, type ReferenceRegistryOptions } from './reference-registry.js';
export { startDockerd, dockerCli, containerdPid, REQUIRED_DAEMON_JSON, type Dockerd, type DockerdOptions } from './dockerd.js';
export { podman, podmanEnv, type PodmanEnv, type PodmanOptions } from './podman.js';
export { skopeo } from './skopeo.js';
export { buildBusyboxImage, type BuiltImage, type BusyboxImageOptions } from './busybox-image.js';
export { buildMultiArchIndex, type MultiArchIndex, type MultiArchIndexOptions, type MultiArchManifest } from './multi-arch-index.js';
export { readLayoutIndex, readBlob, hostArchitecture, type OciDescriptor, type OciIndex, type OciPlatform } from './oci-layout.js';
export { findCommand, missingCommands, requireCommands } from './required-commands.js';
export { isAlive, pidsUsingDirectory } from './process-table.js';
export { mountsUnder, unmountUnder } from './mounts.js';
export { deepMerge, type JsonObject } from './deep-merge.js';
export { TestbedError, type TestbedErrorCode } from './testbed-error.js';
export { startEtcd, type Etcd } from './etcd.js';
export { startS3rver, type S3rver, type S3rverOptions } from './s3rver.js';
export { ourCliPath, type OurCli } from './our-cli.js';
export {
  CLI_PATH,
  startRegistryProcess,
  withoutRegistryEnv,
  type RegistryProcess,
  type RegistryProcessOptions,
} from './registry-process.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { startTokenServer, type TokenServer, type TokenServerOptions, type TokenRequest } from './token-server.js';
export { startHttpFaultProxy, type FaultMode, type HttpFaultProxy } from './http-fault-proxy.js';
