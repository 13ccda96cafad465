// The registry-as-a-process starter lives in the testbed, where other packages' tests reach it too.
export {
  CLI_PATH,
  startRegistryProcess,
  withoutRegistryEnv,
  type RegistryProcess,
  type RegistryProcessOptions,
} from '@private-registry/testbed';
