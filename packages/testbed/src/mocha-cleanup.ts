// The mocha side of cleanup: suites call `after(cleanupTestbed)`; a run can also load this module as a
// root-hook plugin (`--require`), whose afterAll stops whatever a suite forgot. The 'exit' hook in
// cleanup-registry covers a crash or `mocha --exit` either way.

import { cleanupTestbed } from './cleanup-registry.js';

export { cleanupTestbed };

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await cleanupTestbed();
  },
};
