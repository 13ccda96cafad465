// An in-process registry on a temp directory for API tests: filesystem storage, loopback, free port.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { createRegistryApp } from '../../src/app.js';
import { listen } from '../../src/http-listener.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';

export interface TestRegistry {
  url: string;
  rootDirectory: string;
  close(): Promise<void>;
}

export interface TestRegistryOptions {
  deleteEnabled?: boolean;
  readOnly?: boolean;
  rootDirectory?: string;
}

export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const ownDir = options.rootDirectory === undefined;
  const rootDirectory = options.rootDirectory ?? (await mkdtemp(join(tmpdir(), 'registry-test-')));
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const { app } = createRegistryApp({
    driver: new FilesystemDriver({ rootDirectory }),
    policy: { deleteEnabled: options.deleteEnabled ?? false, readOnly: options.readOnly ?? false, catalogMaxEntries: 1000 },
    urls: { relative: false, tls: false },
    log,
    accessLog: false,
  });
  const listener = await listen(app, { host: '127.0.0.1', port: 0, drainTimeoutMs: 2000 }, log);
  return {
    url: listener.url,
    rootDirectory,
    close: async () => {
      await listener.close();
      if (ownDir) await rm(rootDirectory, { recursive: true, force: true });
    },
  };
}
