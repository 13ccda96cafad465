// How the sidekick and the host agent reach etcd: endpoints, TLS files and credentials, as CLI flags with
// environment fallbacks, turned into an etcd3 client. The password is read from a file or the environment,
// never taken as a flag (flags show up in `ps`), and never logged.

import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, noop } from 'cockatiel';
import { Etcd3, isRecoverableError, type IOptions } from 'etcd3';
import { CodedError } from '../coded-error.js';

export interface EtcdSettings {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  username?: string;
  passwordFile?: string;
  /** From ETCD_PASSWORD; kept out of toJSON so it never reaches a log line. */
  password?: string;
  dialTimeoutMs: number;
}

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

export const DEFAULT_ETCD_ENDPOINTS = 'http://127.0.0.1:2379';

/** Adds the shared etcd flags to a commander command. */
export function addEtcdFlags(command: Command): Command {
  return command
    .addOption(new Option('--etcd <endpoints>', 'etcd endpoints, comma-separated').env('ETCD_ENDPOINTS').default(DEFAULT_ETCD_ENDPOINTS))
    .addOption(new Option('--etcd-ca <file>', 'CA bundle that signed the etcd server certificates').env('ETCD_CA_FILE'))
    .addOption(new Option('--etcd-cert <file>', 'client certificate for etcd').env('ETCD_CERT_FILE'))
    .addOption(new Option('--etcd-key <file>', 'client key for etcd').env('ETCD_KEY_FILE'))
    .addOption(new Option('--etcd-username <name>', 'etcd user (password from --etcd-password-file or ETCD_PASSWORD)').env('ETCD_USERNAME'))
    .addOption(new Option('--etcd-password-file <file>', 'file holding the etcd password').env('ETCD_PASSWORD_FILE'))
    .addOption(new Option('--etcd-dial-timeout <ms>', 'etcd connect timeout in milliseconds').env('ETCD_DIAL_TIMEOUT').default('3000'));
}

/** Reads the flags added by addEtcdFlags (commander's camel-cased option values). */
export function etcdSettingsFromFlags(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): EtcdSettings {
  const endpoints = String(flags['etcd'] ?? DEFAULT_ETCD_ENDPOINTS)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) throw new CodedError('ETCD_SETTINGS_INVALID', '--etcd names no endpoint');
  for (const endpoint of endpoints) {
    if (!/^(https?:\/\/)?[^\s/]+:\d+$/.test(endpoint)) {
      throw new CodedError('ETCD_SETTINGS_INVALID', `--etcd endpoint "${endpoint}" is not [http[s]://]host:port`);
    }
  }
  const dialTimeoutMs = Number(flags['etcdDialTimeout'] ?? 3000);
  if (!Number.isInteger(dialTimeoutMs) || dialTimeoutMs <= 0) {
    throw new CodedError('ETCD_SETTINGS_INVALID', `--etcd-dial-timeout "${String(flags['etcdDialTimeout'])}" is not a positive number of milliseconds`);
  }
  const settings: EtcdSettings = { endpoints, dialTimeoutMs };
  copyString(flags, 'etcdCa', (v) => (settings.caFile = v));
  copyString(flags, 'etcdCert', (v) => (settings.certFile = v));
  copyString(flags, 'etcdKey', (v) => (settings.keyFile = v));
  copyString(flags, 'etcdUsername', (v) => (settings.username = v));
  copyString(flags, 'etcdPasswordFile', (v) => (settings.passwordFile = v));
  if (env['ETCD_PASSWORD'] !== undefined && env['ETCD_PASSWORD'] !== '') settings.password = env['ETCD_PASSWORD'];
  if ((settings.certFile === undefined) !== (settings.keyFile === undefined)) {
    throw new CodedError('ETCD_SETTINGS_INVALID', '--etcd-cert and --etcd-key go together: give both or neither');
  }
  return settings;
}

/** What may be logged about the settings: everything but the password. */
export function describeEtcdSettings(settings: EtcdSettings): Record<string, unknown> {
  const { password, ...rest } = settings;
  return { ...rest, ...(password === undefined ? {} : { password: '[set]' }) };
}

/** Builds the etcd3 client options, reading the TLS and password files now so a bad path fails at start. */
export function etcdClientOptions(settings: EtcdSettings): IOptions {
  const options: IOptions = {
    hosts: settings.endpoints,
    dialTimeout: settings.dialTimeoutMs,
    // Callers run their own retry loops with backoff. etcd3's defaults (3 retries, then a circuit breaker that
    // refuses every call for 5 s) would delay noticing that etcd is back; a breaker is kept only to steer calls
    // away from a dead member when there are several, and it half-opens after 1 s. Watches reconnect within
    // 3 s of etcd coming back (etcd3's default backoff grows to 30 s).
    faultHandling: {
      // etcd3's typings name cockatiel 3.1's IBackoff; at run time it only calls next() and reads duration, which
      // cockatiel 3.2's factory provides (checked by the host agent's reconnect test).
      watchBackoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 3_000 }) as unknown as WatchBackoff,
      global: noop,
      host: () =>
        settings.endpoints.length > 1 ? circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(2) }) : noop,
    },
  };
  if (settings.caFile !== undefined || settings.certFile !== undefined) {
    const credentials: NonNullable<IOptions['credentials']> = {
      // grpc-js takes null as "the system's CA roots"; etcd3's type says Buffer but passes the value through.
      rootCertificate: settings.caFile === undefined ? (null as unknown as Buffer) : readSettingFile(settings.caFile, '--etcd-ca'),
    };
    if (settings.certFile !== undefined && settings.keyFile !== undefined) {
      credentials.certChain = readSettingFile(settings.certFile, '--etcd-cert');
      credentials.privateKey = readSettingFile(settings.keyFile, '--etcd-key');
    }
    options.credentials = credentials;
  }
  if (settings.username !== undefined) {
    let password = settings.password;
    if (settings.passwordFile !== undefined) password = readSettingFile(settings.passwordFile, '--etcd-password-file').toString('utf8').trim();
    if (password === undefined) throw new CodedError('ETCD_SETTINGS_INVALID', '--etcd-username needs a password: --etcd-password-file or ETCD_PASSWORD');
    options.auth = { username: settings.username, password };
  }
  return options;
}

export function createEtcdClient(settings: EtcdSettings): Etcd3 {
  return new Etcd3(etcdClientOptions(settings));
}

function readSettingFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CodedError('ETCD_SETTINGS_INVALID', `${flag} ${path}: ${(err as Error).message}`);
  }
}

function copyString(flags: Record<string, unknown>, key: string, set: (value: string) => void): void {
  const value = flags[key];
  if (typeof value === 'string' && value !== '') set(value);
}
