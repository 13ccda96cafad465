// The in-memory driver against the shared conformance suite.
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { runDriverSuite } from './driver-suite.js';

runDriverSuite('MemoryDriver', async () => ({ driver: new MemoryDriver(), cleanup: async () => undefined }));
