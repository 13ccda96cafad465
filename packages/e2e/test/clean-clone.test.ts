// A fresh clone of this repository, installed the way the README says, then every command the docs show run
// as written (or its --help where it would start a service), and scripts/start.sh started twice: the restart
// must answer /v2/ within 3 s without npm. The clone is of HEAD: uncommitted changes are not in it.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { assertSucceeded, freePort, runCommand, startProcess, tempDir, waitForHttp, type CommandResult, type ManagedProcess, type TempDir } from '@private-registry/testbed';
import { parseCommanderHelp, checkCliArgs } from './helpers/cli-help.js';
import { documentedCommands, shellLines, type DocumentedCommand } from './helpers/documented-commands.js';
import { REPO_ROOT } from './helpers/fleet-layout.js';
import { userShellEnv } from './helpers/user-shell-env.js';

/** The Markdown files whose sh blocks are checked; README.md also supplies the install line. */
const DOCS = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

const quote = (word: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

describe('a fresh clone, installed as the README says: every documented command and scripts/start.sh @e2e', function () {
  this.timeout(120_000);
  let work: TempDir;
  let clone = '';
  /** Program name → its package's version, from each package.json "bin". */
  const programs = new Map<string, string>();
  const binDir = (): string => join(clone, 'node_modules/.bin');

  /** Runs `command` with sh in the clone, as a user's shell would; bare program names find node_modules/.bin (README). */
  const sh = (command: string, extra: Record<string, string | undefined> = {}): Promise<CommandResult> =>
    runCommand('sh', ['-c', command], { cwd: clone, env: userShellEnv({ PATH: `${binDir()}:${userShellEnv().PATH ?? ''}`, COLUMNS: '100', ...extra }), timeoutMs: 60_000 });

  before(async function () {
    // npm ci (from npm's cache) and tsc on two shared cores: a minute or two.
    this.timeout(600_000);
    const top = assertSucceeded(await runCommand('git', ['rev-parse', '--show-toplevel'], { cwd: REPO_ROOT })).stdout.trim();
    work = await tempDir('clean-clone');
    clone = join(work.path, 'private-registry');
    assertSucceeded(await runCommand('git', ['clone', '--quiet', top, clone], { timeoutMs: 120_000 }));

    const install = DOCS.slice(0, 1).flatMap((f) => shellLines(readFileSync(join(clone, f), 'utf8'))).filter((l) => /^npm ci\b/.test(l.text));
    expect(install.map((l) => l.text), "the README's install line").to.have.lengthOf(1);
    const started = Date.now();
    const result = await runCommand('sh', ['-c', install[0]?.text ?? ''], { cwd: clone, env: userShellEnv(), timeoutMs: 540_000 });
    expect(result.exitCode, `${install[0]?.text}\n${result.stderr}\n${result.stdout.split('\n').slice(-30).join('\n')}`).to.equal(0);
    console.log(`      (${install[0]?.text} took ${Math.round((Date.now() - started) / 1000)} s)`);

    for (const dir of readdirSync(join(clone, 'packages'))) {
      const file = join(clone, 'packages', dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string; bin?: Record<string, string> };
      for (const name of Object.keys(pkg.bin ?? {})) programs.set(name, pkg.version);
    }
  });

  after(async () => {
    await work?.remove();
  });

  it('links each package\'s command at install: `npx <command> --version` and `--help` answer, exit 0', async () => {
    expect([...programs.keys()].sort()).to.deep.equal(['private-registry', 'registry-host-agent', 'registry-sidekick']);
    for (const [program, version] of programs) {
      const printed = await sh(`npx ${program} --version`);
      expect(printed.exitCode, `npx ${program} --version: ${printed.stderr}`).to.equal(0);
      expect(printed.stdout.trim()).to.equal(version);
      const help = await sh(`npx ${program} --help`);
      expect(help.exitCode, `npx ${program} --help: ${help.stderr}`).to.equal(0);
      expect(help.stdout).to.match(new RegExp(`^Usage: ${program} `));
    }
  });

  it('runs every command the docs show with one of them as written, or its --help with the flags shown checked', async () => {
    const commands: { file: string; command: DocumentedCommand }[] = DOCS.flatMap((file) =>
      documentedCommands(shellLines(readFileSync(join(clone, file), 'utf8')), [...programs.keys()]).map((command) => ({ file, command })),
    );
    // The README must show each command (a parser that finds nothing must not pass).
    const inReadme = new Set(commands.filter((c) => c.file === 'README.md').map((c) => c.command.program));
    expect([...inReadme].sort()).to.deep.equal([...programs.keys()].sort());

    const ran = new Map<string, CommandResult>();
    const run = async (line: string): Promise<CommandResult> => {
      const known = ran.get(line);
      if (known !== undefined) return known;
      const result = await sh(line);
      ran.set(line, result);
      return result;
    };
    const problems: string[] = [];
    for (const { file, command } of commands) {
      const where = `${file}:${command.source.line} \`${command.source.text}\``;
      const launcher = command.launcher === 'npx' ? `npx ${command.program}` : command.program;
      if (command.args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V')) {
        // Safe to run exactly as written.
        const result = await run([launcher, ...command.args.map(quote)].join(' '));
        if (result.exitCode !== 0) problems.push(`${where}: exit ${result.exitCode}: ${result.stderr.trim()}`);
        continue;
      }
      // It would start a service or change something: the --help of its (sub)command instead, following
      // nested commands (`user add`, `keys rotate`) as far as the help pages list them, and the flags shown
      // checked against the last page.
      const path: string[] = [];
      let help: ReturnType<typeof parseCommanderHelp> | undefined;
      let failed = false;
      for (;;) {
        const helpLine = [launcher, ...path, '--help'].join(' ');
        const result = await run(helpLine);
        if (result.exitCode !== 0) {
          problems.push(`${where}: \`${helpLine}\` exit ${result.exitCode}: ${result.stderr.trim()}`);
          failed = true;
          break;
        }
        help = parseCommanderHelp(result.stdout);
        const next = command.args[path.length];
        if (next === undefined || next.startsWith('-') || !help.commands.includes(next)) break;
        path.push(next);
      }
      if (failed || help === undefined) continue;
      const next = command.args[path.length];
      if (help.commands.length > 0 && next !== undefined && !next.startsWith('-')) {
        problems.push(`${where}: ${[command.program, ...path].join(' ')} has no "${next}" command (Usage: ${help.usage})`);
        continue;
      }
      problems.push(...checkCliArgs(command.args.slice(path.length), help).map((p) => `${where}: ${p}`));
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
    expect(ran.size, 'commands run').to.be.greaterThan(3);
  });

  it('says the command is not built yet (exit 2, one line) when dist/ is missing, instead of a stack trace', async () => {
    const dist = join(clone, 'packages/sidekick/dist');
    await rename(dist, `${dist}.away`);
    try {
      const result = await sh('npx registry-sidekick run --help');
      expect(result.exitCode).to.equal(2);
      expect(result.stderr).to.equal('registry-sidekick is not built yet: run `npm run build`');
    } finally {
      await rename(`${dist}.away`, dist);
    }
  });

  it('starts with `bash scripts/start.sh`; a restart with nothing changed answers /v2/ within 3 s and runs no npm; a changed source is rebuilt', async function () {
    this.timeout(300_000);
    const port = await freePort();
    const data = join(work.path, 'data');
    const logs = join(work.path, 'logs');
    await mkdir(logs, { recursive: true });
    // For the restarts: an npm that records being called, first on PATH, and an npm registry nobody answers.
    const fakeBin = join(work.path, 'fake-bin');
    const npmCalls = join(work.path, 'npm-calls');
    await mkdir(fakeBin, { recursive: true });
    await writeFile(join(fakeBin, 'npm'), `#!/bin/sh\necho "$*" >> '${npmCalls}'\nexit 97\n`);
    await chmod(join(fakeBin, 'npm'), 0o755);
    const noNetwork = { PATH: `${fakeBin}:${userShellEnv().PATH ?? ''}`, npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' };

    const start = async (name: string, extra: Record<string, string> = {}): Promise<{ proc: ManagedProcess; ms: number; said: string }> => {
      const started = Date.now();
      const proc = await startProcess({
        command: 'bash',
        args: ['scripts/start.sh'],
        cwd: clone,
        logFile: join(logs, `${name}.log`),
        env: userShellEnv({ REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: data, ...extra }),
        name: `start.sh (${name})`,
      });
      await waitForHttp(`http://127.0.0.1:${port}/v2/`, { timeoutMs: 180_000, intervalMs: 50, process: proc });
      const ms = Date.now() - started;
      const said = /^start\.sh: .*$/m.exec(await proc.readLog())?.[0] ?? '(no start.sh line)';
      return { proc, ms, said };
    };
    const stop = async (proc: ManagedProcess): Promise<void> => {
      const exit = await proc.stop();
      expect(exit.code, `${proc.name} exits 0 on SIGTERM`).to.equal(0);
    };

    // After the README's install: neither npm ci again nor a rebuild of anything changed.
    const first = await start('first');
    expect(first.said).to.match(/install skipped/);
    await stop(first.proc);

    const restart = await start('restart', noNetwork);
    expect(restart.said).to.equal(
      'start.sh: install skipped (package-lock.json and package.json files unchanged); build skipped (no source changed since the last build)',
    );
    expect(restart.ms, 'the restart answers /v2/ within 3 s').to.be.below(3_000);
    expect(existsSync(npmCalls), 'npm was not run').to.equal(false);
    await stop(restart.proc);

    // A source edited since the last build: built again (tsc needs no network), then served.
    await appendFile(join(clone, 'packages/registry/src/cli.ts'), '// edited\n');
    const edited = await start('edited', { npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' });
    expect(edited.said).to.equal('start.sh: install skipped (package-lock.json and package.json files unchanged); built (packages/registry/src/cli.ts changed)');
    await stop(edited.proc);
    console.log(`      (start.sh after the README install: ${first.ms} ms to /v2/; restart: ${restart.ms} ms; after an edit: ${edited.ms} ms)`);
  });
});
