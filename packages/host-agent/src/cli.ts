#!/usr/bin/env node
// The `registry-host-agent` command: `run` points this host at an announced registry until stopped;
// `status` prints what the agent sees, would choose and has written; `wait` blocks until the agent has decided.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { addCommonFlags, addRunFlags, agentOptionsFromFlags } from './agent-options.js';
import { runAgent } from './agent-runtime.js';
import { statusReport } from './status-report.js';
import { addWaitFlags, waitForDecision, waitOptionsFromFlags } from './wait-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('registry-host-agent')
  .description('Points this host at a registry announced in etcd: DOCKER_REPO in /etc/environment, dockerd, containerd and podman mirrors.')
  .version(pkg.version)
  // Usage errors exit 2 like every other start-up error (commander would exit 1); subcommands inherit this.
  .exitOverride();

addRunFlags(addCommonFlags(program.command('run').description('watch etcd and keep this host pointed at a registry until SIGTERM'))).action(
  async (flags: Record<string, unknown>) => {
    // Exit explicitly: a half-open etcd connection must not keep a stopped agent alive.
    process.exit(await runAgent(agentOptionsFromFlags(flags), pkg.version));
  },
);

addCommonFlags(program.command('status').description('print what the agent sees, would choose, and has written (JSON)'))
  .action(async (flags: Record<string, unknown>) => {
    const report = await statusReport(agentOptionsFromFlags(flags), pkg.version);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  });

addWaitFlags(program.command('wait').description("wait until this host's agent has made its first decision (for ExecStartPre= of units that pull ${DOCKER_REPO}...)"))
  .action(async (flags: Record<string, unknown>) => {
    const options = waitOptionsFromFlags(flags);
    const mark = await waitForDecision(options);
    if (mark === undefined) {
      process.stderr.write(`registry-host-agent wait: no decision within ${String(flags['timeout'])}: no ready file at ${options.readyFile} under ${options.root} (is the agent running?)\n`);
      process.exit(1);
    }
    process.stdout.write(`decided: ${mark.registryId ?? 'no registry announced'} (at ${mark.decidedAt})\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  // commander has printed its own message (or the help) already.
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`registry-host-agent: ${message}\n`);
  process.exit(2);
});
