// One in-process registry per test file: started before the first test, closed after the last.
import { type TestRegistry, startTestRegistry } from '../helpers/test-registry.js';
import { RegistryApiClient } from './api-client.js';

export interface RegistryFixture {
  readonly registry: TestRegistry;
  readonly client: RegistryApiClient;
}

/** Call inside a `describe`; the returned object is filled in by the suite's `before` hook. */
export function useTestRegistry(options: { deleteEnabled?: boolean } = {}): RegistryFixture {
  const fixture: { registry?: TestRegistry; client?: RegistryApiClient } = {};
  before(async function () {
    fixture.registry = await startTestRegistry(options);
    fixture.client = new RegistryApiClient(fixture.registry.url);
  });
  after(async function () {
    await fixture.registry?.close();
  });
  return {
    get registry(): TestRegistry {
      if (!fixture.registry) throw new Error('the test registry is not started yet');
      return fixture.registry;
    },
    get client(): RegistryApiClient {
      if (!fixture.client) throw new Error('the test registry is not started yet');
      return fixture.client;
    },
  };
}
