// The `registry-sidekick` command line: the `run` subcommand's flags, each with its environment variable,
// handed to the caller as checked SidekickOptions. Kept apart from cli.ts so tests parse without running.

import { Command, Option } from 'commander';
import { DEFAULT_DISCOVERY_PREFIX } from '@private-registry/core';
import { addEtcdFlags } from '@private-registry/core/etcd';
import { DEFAULT_HEALTHY_AFTER, DEFAULT_TTL_SECONDS, DEFAULT_UNHEALTHY_AFTER, parseSidekickOptions, type SidekickOptions } from './sidekick-options.js';
import { SIDEKICK_VERSION } from './sidekick-version.js';

export type RunAction = (options: SidekickOptions) => void | Promise<void>;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function createSidekickProgram(run: RunAction): Command {
  const program = new Command()
    .name('registry-sidekick')
    .description('Announces a private registry in etcd under a lease, only while its /v2/ answers.')
    .version(SIDEKICK_VERSION)
    // Throw instead of exiting, inherited by `run`: the CLI maps a usage error to exit 2, tests read the message.
    .exitOverride();

  const command = program
    .command('run')
    .description('probe the registry and keep its record in etcd while it answers; revoke on failure or SIGTERM')
    .addOption(new Option('--registry-url <url>', 'where to probe the registry (scheme://host:port)').env('REGISTRY_URL'))
    .addOption(new Option('--registry-ca <file>', 'CA bundle for an https registry').env('SIDEKICK_REGISTRY_CA'))
    .addOption(new Option('--registry-insecure', 'do not verify an https registry certificate (env: SIDEKICK_REGISTRY_INSECURE=true)'))
    .addOption(new Option('--advertise <host:port>', 'address clients use, IPv6 as [addr]:port').env('SIDEKICK_ADVERTISE'))
    .addOption(new Option('--scheme <scheme>', 'scheme clients use (default: that of --registry-url)').choices(['http', 'https']).env('SIDEKICK_SCHEME'))
    .addOption(new Option('--id <id>', 'key suffix (default: the --advertise host:port)').env('SIDEKICK_ID'))
    .addOption(new Option('--prefix <prefix>', `etcd key prefix (default: ${DEFAULT_DISCOVERY_PREFIX})`).env('DISCOVERY_PREFIX'))
    .addOption(new Option('--ttl <seconds>', `lease TTL in whole seconds (default: ${DEFAULT_TTL_SECONDS})`).env('SIDEKICK_TTL'))
    .addOption(new Option('--interval <duration>', 'between probes and keepalives: 3, 0.5, 500ms (default: ttl/3)').env('SIDEKICK_INTERVAL'))
    .addOption(new Option('--probe-timeout <duration>', 'how long a probe may take (default: 2s, at most the interval)').env('SIDEKICK_PROBE_TIMEOUT'))
    .addOption(
      new Option('--unhealthy-after <count>', `consecutive failed probes that withdraw the record (default: ${DEFAULT_UNHEALTHY_AFTER})`).env('SIDEKICK_UNHEALTHY_AFTER'),
    )
    .addOption(
      new Option('--healthy-after <count>', `consecutive good probes that announce a withdrawn registry again (default: ${DEFAULT_HEALTHY_AFTER})`).env('SIDEKICK_HEALTHY_AFTER'),
    )
    .addOption(new Option('--zone <zone>', 'zone written into the record').env('SIDEKICK_ZONE'))
    .addOption(new Option('--label <key=value>', 'label written into the record; repeatable, or comma-separated').argParser(collect).env('SIDEKICK_LABELS'))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace (default: info)').env('SIDEKICK_LOG_LEVEL'));
  addEtcdFlags(command);
  command.action(async (_flags: unknown, cmd: Command) => {
    await run(parseSidekickOptions(cmd.opts()));
  });
  return program;
}
