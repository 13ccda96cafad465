// `private-registry user` as an operator runs it: the built CLI as a process, passwords on stdin (or a
// terminal prompt), never in argv; lines that the real `htpasswd -vb` accepts; other lines kept; the mode of
// the file; a running store picking the edit up; exit status 2 with one line for every mistake.
import { expect } from 'chai';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_PATH, cleanupTestbed, findCommand, runCommand, tempDir, withoutRegistryEnv, type CommandResult } from '@private-registry/testbed';
import { HtpasswdFile } from '../../src/auth/htpasswd-file.js';
import { capturedLog, eventually } from '../auth/htpasswd-test-helpers.js';

const HAS_HTPASSWD = findCommand('htpasswd') !== undefined;

/** Runs `private-registry user ARGS...` (execa drops the last newline of stdout and stderr). */
function user(args: readonly string[], options: { input?: string; cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI_PATH, 'user', ...args], {
    env: withoutRegistryEnv(options.env),
    timeoutMs: 30_000,
    // No input: stdin is empty (not a terminal), so a password read sees an empty first line.
    input: options.input ?? '',
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
}

/** `htpasswd -vb` says whether FILE holds USER with PASSWORD (skipped without apache2-utils). */
async function apacheAccepts(path: string, name: string, password: string): Promise<boolean | undefined> {
  if (!HAS_HTPASSWD) return undefined;
  return (await runCommand('htpasswd', ['-vb', path, name, password])).exitCode === 0;
}

describe('private-registry user @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  let dir: string;
  let file: string;
  beforeEach(async function () {
    dir = (await tempDir('user-cmd')).path;
    file = join(dir, 'htpasswd');
  });

  it('adds a user from stdin to a new file with mode 0600, in a $2y$ line htpasswd -vb accepts', async function () {
    const result = await user(['add', 'alice', '--htpasswd', file, '--cost', '5'], { input: 'pw-alice-1\nignored second line\n' });
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stderr).to.equal(`added user "alice" to ${file}`);
    expect(result.command).to.not.include('pw-alice');
    expect(result.stdout + result.stderr).to.not.include('pw-alice');
    const text = await readFile(file, 'utf8');
    expect(text).to.match(/^alice:\$2y\$05\$[./A-Za-z0-9]{53}\n$/);
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect(await apacheAccepts(file, 'alice', 'pw-alice-1')).to.not.equal(false);
    expect(await apacheAccepts(file, 'alice', 'ignored second line')).to.not.equal(true);
  });

  it('takes the file and the cost from auth.htpasswd of --config', async function () {
    const config = join(dir, 'config.yml');
    await writeFile(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nauth:\n  htpasswd:\n    realm: test\n    path: ${file}\n    cost: 6\n`);
    const added = await user(['add', 'bob', '-c', config], { input: 'pw-bob\n' });
    expect(added.exitCode, added.stderr).to.equal(0);
    expect(await readFile(file, 'utf8')).to.match(/^bob:\$2y\$06\$/);
    const listed = await user(['list'], { env: { REGISTRY_CONFIGURATION_PATH: config } });
    expect(listed.stdout).to.equal('bob');
  });

  it('changes a password and removes a user, keeping comments, other lines, CRLF and the mode of the file', async function () {
    const other = 'carol:$2y$05$T1v4.YzJxN4yiba8blclsugcqdzK7fwP.SBERGbSVx75hX2jlKreO';
    await writeFile(file, `# team registry\r\n${other}\r\n\r\n`);
    await chmod(file, 0o640);
    expect((await user(['add', 'dave', '--htpasswd', file, '--cost', '4'], { input: 'old-pw\n' })).exitCode).to.equal(0);
    expect((await user(['add', 'erin', '--htpasswd', file, '--cost', '4'], { input: 'erin-pw\n' })).exitCode).to.equal(0);
    const before = await readFile(file, 'utf8');
    const changed = await user(['passwd', 'dave', '--htpasswd', file, '--cost', '4', '--password-stdin'], { input: 'new-pw\n' });
    expect(changed.exitCode, changed.stderr).to.equal(0);
    const after = await readFile(file, 'utf8');
    const daveLine = (text: string): string => text.split('\r\n').find((l) => l.startsWith('dave:')) ?? '';
    expect(after.replace(daveLine(after), '')).to.equal(before.replace(daveLine(before), ''));
    expect(await apacheAccepts(file, 'dave', 'new-pw')).to.not.equal(false);
    expect(await apacheAccepts(file, 'dave', 'old-pw')).to.not.equal(true);
    expect((await stat(file)).mode & 0o777).to.equal(0o640);

    const removed = await user(['remove', 'dave', '--htpasswd', file]);
    expect(removed.exitCode, removed.stderr).to.equal(0);
    expect(await readFile(file, 'utf8')).to.equal(before.replace(`${daveLine(before)}\r\n`, ''));
    expect((await user(['list', '--htpasswd', file])).stdout).to.equal('carol\nerin');
  });

  it('reaches a running store: a user added by the command is accepted within a second', async function () {
    expect((await user(['add', 'first', '--htpasswd', file, '--cost', '4'], { input: 'pw-1\n' })).exitCode).to.equal(0);
    const store = await HtpasswdFile.open(file, capturedLog().log);
    try {
      expect((await user(['add', 'second', '--htpasswd', file, '--cost', '4'], { input: 'pw-2\n' })).exitCode).to.equal(0);
      await eventually('second is accepted', () => store.verify('second', 'pw-2'), 1000);
      expect((await user(['remove', 'first', '--htpasswd', file])).exitCode).to.equal(0);
      await eventually('first is refused', async () => !(await store.verify('first', 'pw-1')), 1000);
    } finally {
      store.close();
    }
  });

  describe('exit status 2 with one line naming the problem', function () {
    const cases: [string, string[], string, RegExp][] = [
      ['adding an existing user', ['add', 'alice'], 'pw\n', /^private-registry user add: user "alice" already exists in .+ \(line 1\); use `user passwd`/],
      ['removing a missing user', ['remove', 'zed'], '', /^private-registry user remove: no user "zed" in /],
      ['changing the password of a missing user', ['passwd', 'zed'], 'pw\n', /^private-registry user passwd: no user "zed" in /],
      ['a name with ":"', ['add', 'a:b'], 'pw\n', /^private-registry user add: invalid user name "a:b": the user name contains ":"/],
      ['a name with a space', ['add', 'a b'], 'pw\n', /invalid user name "a b": the user name contains whitespace/],
      ['an empty password', ['add', 'newbie'], '\n', /^private-registry user add: no password on stdin/],
      ['a password longer than bcrypt reads', ['add', 'newbie'], `${'x'.repeat(73)}\n`, /longer than 72 bytes/],
      ['a password given as an option', ['add', 'newbie', '--password', 'pw'], '', /unknown option '--password'/],
      ['a cost out of range', ['add', 'newbie', '--cost', '3'], 'pw\n', /a bcrypt cost is a whole number from 4 to 31/],
    ];
    for (const [what, args, input, message] of cases) {
      it(`refuses ${what}, leaving the file as it was`, async function () {
        expect((await user(['add', 'alice', '--htpasswd', file, '--cost', '4'], { input: 'pw\n' })).exitCode).to.equal(0);
        const before = await readFile(file, 'utf8');
        const result = await user([...args, '--htpasswd', file], { input });
        expect(result.exitCode, result.stderr).to.equal(2);
        expect(result.stderr).to.match(message);
        expect(result.stderr.trim().split('\n')).to.have.length(1);
        expect(await readFile(file, 'utf8')).to.equal(before);
      });
    }

    it('refuses to list, change or remove in a file that does not exist, creating nothing', async function () {
      for (const args of [['list'], ['remove', 'alice'], ['passwd', 'alice']]) {
        const result = await user([...args, '--htpasswd', file], { input: 'pw\n' });
        expect(result.exitCode, args.join(' ')).to.equal(2);
        expect(result.stderr).to.include(`${file}: the file does not exist`);
      }
      expect(await stat(file).catch(() => undefined)).to.equal(undefined);
    });

    it('refuses when neither --htpasswd nor the configuration names a file', async function () {
      const result = await user(['list'], { cwd: dir });
      expect(result.exitCode).to.equal(2);
      expect(result.stderr).to.equal('private-registry user list: no htpasswd file: pass --htpasswd FILE, or configure auth.htpasswd.path (in --config FILE or $REGISTRY_CONFIGURATION_PATH)');
    });
  });

  describe('on a terminal', function () {
    before(function () {
      if (findCommand('script') === undefined) this.skip();
    });

    /** Runs the command under `script` (a pseudo-terminal), typing each answer after a pause. */
    async function onTerminal(args: string[], answers: string[]): Promise<CommandResult> {
      const typing = answers.map((answer) => `sleep 0.7; printf '%s\\n' '${answer}'`).join('; ');
      const command = [process.execPath, CLI_PATH, 'user', ...args].map((a) => `'${a}'`).join(' ');
      return runCommand('sh', ['-c', `(sleep 0.3; ${typing}; sleep 1) | script -qec "${command}" /dev/null`], { env: withoutRegistryEnv() });
    }

    it('asks twice without echoing the password', async function () {
      const result = await onTerminal(['add', 'tty', '--htpasswd', file, '--cost', '4'], ['tty-secret-9', 'tty-secret-9']);
      expect(result.stdout).to.include('New password:');
      expect(result.stdout).to.include('Retype new password:');
      expect(result.stdout).to.not.include('tty-secret-9');
      expect(await apacheAccepts(file, 'tty', 'tty-secret-9')).to.not.equal(false);
    });

    it('refuses two different answers and writes nothing', async function () {
      const result = await onTerminal(['add', 'tty', '--htpasswd', file, '--cost', '4'], ['one-answer', 'another-one']);
      expect(result.stdout).to.include('the passwords do not match');
      expect(await stat(file).catch(() => undefined)).to.equal(undefined);
    });
  });
});
