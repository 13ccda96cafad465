// The pure parts of discovery the e2e suite computes expectations with: the record parser and the choice rule.
export { parseRegistryRecord, type RegistryRecord } from '@private-registry/core';
export { chooseRegistry } from 'registry-host-agent';
