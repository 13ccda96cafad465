// The host agent's public pieces, for embedding and for tests that compute what a host should choose.
export { chooseRegistry, isOnHost, type ChoicePolicy, type ChoiceReason, type RegistryChoice } from './registry-choice.js';
export { detectHostIdentity, type HostIdentity, type HostIdentityOverrides } from './host-identity.js';
export { HostAgent, DEFAULT_TIMINGS, type AgentTimings } from './host-agent.js';
export { Reconciler } from './reconciler.js';
export { mirrorTargetFor, type MirrorTarget } from './host-files/mirror-target.js';
