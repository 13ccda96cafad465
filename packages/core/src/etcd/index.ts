// etcd access shared by the sidekick and the host agent; a separate entry point so the registry never loads etcd3.
export {
  addEtcdFlags,
  etcdSettingsFromFlags,
  etcdClientOptions,
  createEtcdClient,
  describeEtcdSettings,
  DEFAULT_ETCD_ENDPOINTS,
  type EtcdSettings,
} from './etcd-settings.js';
