// `private-registry token` as an operator runs it: the built CLI as a process against a configuration file
// with filesystem storage. The secret appears once, alone on stdout; the store keeps only its SHA-256; `list`
// never shows a secret or a hash; a revoked token no longer verifies; every mistake is one line on stderr,
// exit status 2, nothing on stdout and nothing written.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_PATH, cleanupTestbed, runCommand, tempDir, withoutRegistryEnv, type CommandResult } from '@private-registry/testbed';
import { AccessTokens } from '../../src/auth/access-tokens.js';
import { robotRights } from '../../src/auth/robot-rights.js';
import { parseScope } from '../../src/auth/token-scope-grant.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';

const DAY_MS = 86_400_000;

/** Runs `private-registry token ARGS...` (execa drops the last newline of stdout and stderr). */
function token(args: readonly string[], env?: Record<string, string | undefined>): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI_PATH, 'token', ...args], { env: withoutRegistryEnv(env), timeoutMs: 30_000, input: '' });
}

describe('private-registry token @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  let data: string;
  let config: string;
  let tokensDir: string;
  beforeEach(async function () {
    const dir = (await tempDir('token-cmd')).path;
    data = join(dir, 'data');
    config = join(dir, 'config.yml');
    tokensDir = join(data, 'private-registry', 'auth', 'access-tokens');
    await writeFile(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${data}\n`);
  });

  /** The store as a running registry would open it. */
  const store = (): AccessTokens => new AccessTokens(new FilesystemDriver({ rootDirectory: data }));

  async function storedFiles(): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    let names: string[] = [];
    try {
      names = await readdir(tokensDir);
    } catch {
      return files;
    }
    for (const name of names) files[name] = await readFile(join(tokensDir, name), 'utf8');
    return files;
  }

  it('prints the secret once, alone on stdout, with the docker login hint on stderr; the store keeps only its hash', async function () {
    const started = Date.now();
    const created = await token(['create', '--name', 'ci-runner', '--scope', 'ci/**:pull,push', '--scope', 'cache/*:pull', '--description', 'CI runners', '-c', config]);
    expect(created.exitCode, created.stderr).to.equal(0);
    const secret = created.stdout;
    expect(secret).to.match(/^prt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).to.include('docker login -u ci-runner');
    expect(created.stderr).to.not.include(secret);
    expect(created.stderr).to.not.include(secret.slice(4));

    const files = await storedFiles();
    expect(Object.keys(files)).to.deep.equal(['ci-runner.json']);
    const text = files['ci-runner.json'] as string;
    expect(text).to.not.include(secret.slice(4));
    expect(text).to.not.include(secret.slice(4, 24));
    const stored = JSON.parse(text) as { sha256: string; scopes: string[]; expiresAt: string; description: string };
    expect(stored.sha256).to.equal(createHash('sha256').update(secret).digest('hex'));
    expect(stored.scopes).to.deep.equal(['ci/**:pull,push', 'cache/*:pull']);
    expect(stored.description).to.equal('CI runners');
    // No --expires: 90 days.
    const lifetime = Date.parse(stored.expiresAt) - started;
    expect(lifetime).to.be.within(90 * DAY_MS - 1_000, 90 * DAY_MS + 30_000);

    // The printed secret is the one a registry on this store accepts, with the scopes given.
    const verified = await store().verify('ci-runner', secret);
    expect(verified?.name).to.equal('ci-runner');
    expect([...robotRights(verified?.grants ?? [], 'ci/app').actions].sort()).to.deep.equal(['pull', 'push']);
    expect([...robotRights(verified?.grants ?? [], 'cache/x').actions]).to.deep.equal(['pull']);
    expect(await store().verify('ci-runner', `prt_${'A'.repeat(43)}`)).to.equal(undefined);

    // A second create of another token prints another secret.
    const other = await token(['create', '--name', 'deployer', '--scope', 'prod/**:pull', '-c', config]);
    expect(other.exitCode, other.stderr).to.equal(0);
    expect(other.stdout).to.match(/^prt_/).and.not.equal(secret);
  });

  it('takes --expires as 30m, 12h, 1y and never', async function () {
    const started = Date.now();
    for (const [name, expires] of [['half-hour', '30m'], ['half-day', '12h'], ['a-year', '1y'], ['forever', 'never']] as const) {
      const created = await token(['create', '--name', name, '--scope', '**:pull', '--expires', expires, '--config', config]);
      expect(created.exitCode, created.stderr).to.equal(0);
    }
    const byName = new Map((await store().list()).map((t) => [t.name, t]));
    const lifetimeOf = (name: string): number => Date.parse(byName.get(name)?.expiresAt ?? 'x') - started;
    expect(lifetimeOf('half-hour')).to.be.within(30 * 60_000 - 1_000, 30 * 60_000 + 30_000);
    expect(lifetimeOf('half-day')).to.be.within(12 * 3_600_000 - 1_000, 12 * 3_600_000 + 30_000);
    expect(lifetimeOf('a-year')).to.be.within(365 * DAY_MS - 1_000, 365 * DAY_MS + 30_000);
    expect(byName.get('forever')?.expiresAt).to.equal(undefined);
  });

  it('lists tokens with scopes, dates and expiry, never a secret or a hash, as a table and as JSON', async function () {
    const ci = await token(['create', '--name', 'ci-runner', '--scope', 'ci/**:pull,push', '--description', 'CI runners', '-c', config]);
    const forever = await token(['create', '--name', 'mirror-sync', '--scope', 'cache/**:pull,push,overwrite', '--expires', 'never', '-c', config]);
    expect([ci.exitCode, forever.exitCode]).to.deep.equal([0, 0]);
    // A token whose time has passed, written by the store itself (no clock to wind forward in a process).
    await store().create({ name: 'old-job', scopes: [parseScope('ci/old:pull')], expiresAt: new Date(Date.now() - 60_000) });
    const hashes = Object.values(await storedFiles()).map((text) => (JSON.parse(text) as { sha256: string }).sha256);
    expect(hashes).to.have.length(3);

    // The configuration from the environment, as serve reads it.
    const table = await token(['list'], { REGISTRY_CONFIGURATION_PATH: config });
    expect(table.exitCode, table.stderr).to.equal(0);
    const rows = table.stdout.split('\n').map((line) => line.split('\t'));
    expect(rows[0]).to.deep.equal(['NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'DESCRIPTION']);
    const row = (name: string): string[] => rows.find((r) => r[0] === name) ?? [];
    expect(row('ci-runner').slice(0, 2)).to.deep.equal(['ci-runner', 'ci/**:pull,push']);
    expect(row('ci-runner')[4]).to.equal('CI runners');
    expect(Date.parse(row('ci-runner')[2] ?? '')).to.be.closeTo(Date.now(), 60_000);
    expect(row('ci-runner')[3]).to.match(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(row('mirror-sync').slice(1, 4)).to.deep.equal(['cache/**:pull,push,overwrite', row('mirror-sync')[2], 'never']);
    expect(row('old-job')[3]).to.match(/Z \(expired\)$/);
    expect(rows).to.have.length(4);

    const json = await token(['list', '--json', '-c', config]);
    expect(json.exitCode, json.stderr).to.equal(0);
    const listed = JSON.parse(json.stdout) as { name: string; scopes: string[]; createdAt: string; expiresAt?: string; expired: boolean }[];
    expect(listed.map((t) => t.name).sort()).to.deep.equal(['ci-runner', 'mirror-sync', 'old-job']);
    expect(listed.find((t) => t.name === 'mirror-sync')).to.not.have.property('expiresAt');
    expect(Object.fromEntries(listed.map((t) => [t.name, t.expired]))).to.deep.equal({ 'ci-runner': false, 'mirror-sync': false, 'old-job': true });
    expect(listed.find((t) => t.name === 'ci-runner')).to.deep.include({ scopes: ['ci/**:pull,push'], description: 'CI runners' });

    for (const output of [table.stdout + table.stderr, json.stdout + json.stderr]) {
      for (const secret of [ci.stdout, forever.stdout]) expect(output).to.not.include(secret.slice(4));
      for (const hash of hashes) expect(output).to.not.include(hash.slice(0, 16));
      expect(output).to.not.include('sha256');
    }
  });

  it('revokes a token: it no longer verifies, is gone from the list and the store; a second revoke fails', async function () {
    const created = await token(['create', '--name', 'ci-runner', '--scope', 'ci/**:pull', '-c', config]);
    const kept = await token(['create', '--name', 'kept', '--scope', 'ci/**:pull', '-c', config]);
    expect([created.exitCode, kept.exitCode]).to.deep.equal([0, 0]);
    expect(await store().verify('ci-runner', created.stdout)).to.not.equal(undefined);

    const revoked = await token(['revoke', 'ci-runner', '-c', config]);
    expect(revoked.exitCode, revoked.stderr).to.equal(0);
    expect(revoked.stdout).to.equal('');
    expect(revoked.stderr).to.match(/revoked token "ci-runner"; running registries refuse it within 5 seconds/);
    expect(await store().verify('ci-runner', created.stdout)).to.equal(undefined);
    expect(await store().verify('kept', kept.stdout)).to.not.equal(undefined);
    expect(Object.keys(await storedFiles())).to.deep.equal(['kept.json']);
    expect((await token(['list', '-c', config])).stdout).to.not.match(/^ci-runner\t/m);

    const again = await token(['revoke', 'ci-runner', '-c', config]);
    expect(again.exitCode).to.equal(2);
    expect(again.stderr).to.equal('private-registry token revoke: no token named "ci-runner"');
  });

  it('refuses to create a token whose name exists, printing no secret and keeping the first one', async function () {
    const first = await token(['create', '--name', 'ci-runner', '--scope', 'ci/**:pull', '-c', config]);
    expect(first.exitCode, first.stderr).to.equal(0);
    const before = await storedFiles();
    const second = await token(['create', '--name', 'ci-runner', '--scope', '**:admin', '-c', config]);
    expect(second.exitCode).to.equal(2);
    expect(second.stdout).to.equal('');
    expect(second.stderr).to.match(/^private-registry token create: a token named "ci-runner" exists; revoke it first/);
    expect(await storedFiles()).to.deep.equal(before);
    expect(await store().verify('ci-runner', first.stdout)).to.not.equal(undefined);
  });

  describe('exit status 2 with one line naming the problem, no secret and nothing stored', function () {
    const cases: [string, string[], RegExp][] = [
      ['a scope without actions', ['create', '--name', 'a', '--scope', 'ci/**'], /scope "ci\/\*\*": expected REPOSITORY-GLOB:ACTIONS/],
      ['an unknown action', ['create', '--name', 'a', '--scope', 'ci/**:pull,fly'], /"fly" is not one of pull, push, overwrite, delete, admin/],
      ['a glob that is no repository glob', ['create', '--name', 'a', '--scope', 'CI/**:pull'], /"CI\/\*\*" is not a repository glob/],
      ['a path in the glob', ['create', '--name', 'a', '--scope', '../x:pull'], /is not a repository glob/],
      ['a name that climbs out of the store', ['create', '--name', '../x', '--scope', 'ci/**:pull'], /token name "\.\.\/x": use lower-case letters/],
      ['a name with upper case', ['create', '--name', 'CI', '--scope', 'ci/**:pull'], /token name "CI": use lower-case letters/],
      ['a name longer than 64', ['create', '--name', 'x'.repeat(65), '--scope', 'ci/**:pull'], /at most 64/],
      ['a lifetime in seconds', ['create', '--name', 'a', '--scope', 'ci/**:pull', '--expires', '10s'], /--expires "10s": give a duration such as 30m, 12h, 90d, 1y, or "never"/],
      ['a lifetime of zero', ['create', '--name', 'a', '--scope', 'ci/**:pull', '--expires', '0d'], /--expires "0d"/],
      ['no scope', ['create', '--name', 'a'], /required option '--scope <glob:actions>' not specified/],
      ['no name', ['create', '--scope', 'ci/**:pull'], /required option '--name <name>' not specified/],
      ['a secret given as an option', ['create', '--name', 'a', '--scope', 'ci/**:pull', '--secret', 'prt_x'], /unknown option '--secret'/],
      ['revoking a name that climbs out of the store', ['revoke', '../x'], /^private-registry token revoke: no token named "\.\.\/x"$/],
    ];
    for (const [what, args, message] of cases) {
      it(`refuses ${what}`, async function () {
        const result = await token([...args, '-c', config]);
        expect(result.exitCode, result.stderr).to.equal(2);
        expect(result.stderr).to.match(message);
        expect(result.stderr.trim().split('\n'), result.stderr).to.have.length(1);
        expect(result.stdout).to.equal('');
        expect(await storedFiles()).to.deep.equal({});
      });
    }

    it('refuses a configuration file that does not exist, naming it', async function () {
      const missing = join(data, 'nowhere.yml');
      for (const args of [['list'], ['create', '--name', 'a', '--scope', 'ci/**:pull'], ['revoke', 'a']]) {
        const result = await token([...args, '-c', missing]);
        expect(result.exitCode, `${args[0]}: ${result.stderr}`).to.equal(2);
        expect(result.stderr).to.include(missing);
        expect(result.stdout).to.equal('');
      }
    });
  });
});
