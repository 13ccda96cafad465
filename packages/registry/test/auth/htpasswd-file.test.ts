// The htpasswd user store as the auth layer uses it: startup errors naming file and line, bcrypt of every
// prefix, unknown users refused at the cost of one bcrypt, the verified-pair cache, and reloads when
// the file is edited in place or replaced by rename, within a second and without a restart.
import { expect } from 'chai';
import { appendFile, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { HtpasswdFile, type HtpasswdFileOptions } from '../../src/auth/htpasswd-file.js';
import { apacheLine, bcryptLine, capturedLog, eventually } from './htpasswd-test-helpers.js';

describe('htpasswd: the user store file', function () {
  this.timeout(20_000);
  const open: HtpasswdFile[] = [];
  afterEach(() => open.splice(0).forEach((f) => f.close()));
  after(cleanupTestbed);

  async function fileWith(text: string): Promise<string> {
    const path = join((await tempDir('htpasswd')).path, 'htpasswd');
    await writeFile(path, text, { mode: 0o600 });
    return path;
  }

  async function openFile(path: string, log = capturedLog().log, options: HtpasswdFileOptions = {}): Promise<HtpasswdFile> {
    const file = await HtpasswdFile.open(path, log, options);
    open.push(file);
    return file;
  }

  async function startupError(path: string): Promise<{ code?: string; message: string }> {
    try {
      await openFile(path);
    } catch (err) {
      return err as { code?: string; message: string };
    }
    throw new Error('the file was accepted');
  }

  describe('at startup', function () {
    it('refuses an MD5 line with CONFIG_INVALID naming the file and line, not the hash', async function () {
      const md5 = '$apr1$QpI0hXYK$5o2sVf0ot1pmOBy6fELmd.';
      const path = await fileWith(`${await bcryptLine('ann', 'a')}\n# old user\nbob:${md5}\n`);
      const err = await startupError(path);
      expect(err.code).to.equal('CONFIG_INVALID');
      expect(err.message).to.equal(`invalid configuration: auth.htpasswd.path: ${path}:3: user "bob": an MD5 ($apr1$) hash: only bcrypt is supported (htpasswd -B, or private-registry user passwd)`);
      expect(err.message).to.not.include('5o2sVf0ot1pm');
    });

    it('refuses a duplicate user, naming both lines', async function () {
      const path = await fileWith(`${await bcryptLine('ann', 'a')}\n${await bcryptLine('ann', 'b')}\n`);
      expect((await startupError(path)).message).to.equal(`invalid configuration: auth.htpasswd.path: ${path}:2: user "ann" appears twice (lines 1 and 2)`);
    });

    it('refuses a missing file, saying how to create one', async function () {
      const path = join((await tempDir('htpasswd')).path, 'absent');
      const err = await startupError(path);
      expect(err.code).to.equal('CONFIG_INVALID');
      expect(err.message).to.include(`auth.htpasswd.path: ${path}: the file does not exist; create it with \`private-registry user add NAME\``);
    });
  });

  describe('verify', function () {
    it('accepts the right password for $2y$ (real htpasswd -B), $2b$ and $2a$ lines, refuses a wrong one', async function () {
      const lines = [await bcryptLine('bee', 'pw-bee', '$2b$'), await bcryptLine('aye', 'pw-aye', '$2a$')];
      const apache = await apacheLine('why', 'pw-why');
      if (apache === undefined) process.stderr.write('      (htpasswd not installed: $2y$ from @node-rs/bcrypt only)\n');
      lines.push(apache ?? `why:$2y$${(await bcryptLine('why', 'pw-why')).slice('why:$2b$'.length)}`);
      expect(lines[2]).to.match(/^why:\$2y\$/);
      const file = await openFile(await fileWith(`${lines.join('\n')}\n`));
      for (const user of ['bee', 'aye', 'why']) {
        expect(await file.verify(user, `pw-${user}`), `${user} right`).to.equal(true);
        expect(await file.verify(user, `pw-${user}x`), `${user} wrong`).to.equal(false);
      }
      expect(file.users()).to.deep.equal(['bee', 'aye', 'why']);
      expect(file.has('bee')).to.equal(true);
      expect(file.has('nobody')).to.equal(false);
    });

    it('refuses an unknown user after spending one bcrypt, as for a known one', async function () {
      const file = await openFile(await fileWith(`${await bcryptLine('ann', 'pw')}\n`));
      expect(await file.verify('nobody', 'pw')).to.equal(false);
      expect(await file.verify('', '')).to.equal(false);
      expect(file.bcryptVerifications).to.equal(2);
    });

    it('runs one bcrypt for twenty checks of the same pair, sequential or concurrent', async function () {
      const file = await openFile(await fileWith(`${await bcryptLine('ann', 'pw')}\n`));
      const concurrent = await Promise.all(Array.from({ length: 10 }, () => file.verify('ann', 'pw')));
      for (let i = 0; i < 10; i += 1) expect(await file.verify('ann', 'pw')).to.equal(true);
      expect(concurrent.every(Boolean)).to.equal(true);
      expect(file.bcryptVerifications).to.equal(1);
    });

    it('does not cache refusals: every wrong password costs a bcrypt', async function () {
      const file = await openFile(await fileWith(`${await bcryptLine('ann', 'pw')}\n`));
      for (let i = 0; i < 3; i += 1) expect(await file.verify('ann', 'wrong')).to.equal(false);
      expect(await file.verify('ann', 'pw')).to.equal(true);
      expect(file.bcryptVerifications).to.equal(4);
    });
  });

  describe('reload', function () {
    it('accepts a user added in place within a second, with a new generation and a reload event', async function () {
      const path = await fileWith(`${await bcryptLine('ann', 'pw')}\n`);
      const file = await openFile(path);
      const events: { generation: number; users: string[] }[] = [];
      file.onReload((event) => events.push(event));
      const generation = file.generation;
      await appendFile(path, `${await bcryptLine('bob', 'pw-bob')}\n`);
      await eventually('bob is accepted', () => file.verify('bob', 'pw-bob'), 1000);
      expect(file.generation).to.not.equal(generation);
      expect(events).to.deep.equal([{ generation: file.generation, users: ['ann', 'bob'] }]);
    });

    it("refuses a user removed by an editor's write-and-rename within a second, and their cached password with them", async function () {
      const ann = await bcryptLine('ann', 'pw');
      const path = await fileWith(`${ann}\n${await bcryptLine('bob', 'pw-bob')}\n`);
      const file = await openFile(path);
      expect(await file.verify('bob', 'pw-bob')).to.equal(true);
      await writeFile(`${path}.swp`, `${ann}\n`);
      await rename(`${path}.swp`, path);
      await eventually('bob is refused', async () => !(await file.verify('bob', 'pw-bob')), 1000);
      expect(file.users()).to.deep.equal(['ann']);
    });

    it('stops accepting an old password once the hash changed, even while it is cached', async function () {
      const path = await fileWith(`${await bcryptLine('ann', 'old')}\n`);
      const file = await openFile(path);
      expect(await file.verify('ann', 'old')).to.equal(true);
      await writeFile(path, `${await bcryptLine('ann', 'new')}\n`);
      await eventually('the new password is accepted', () => file.verify('ann', 'new'), 1000);
      expect(await file.verify('ann', 'old')).to.equal(false);
    });

    it('keeps the users last read when the file breaks, warning with the line, and takes the repaired file', async function () {
      const captured = capturedLog();
      const ann = await bcryptLine('ann', 'pw');
      const path = await fileWith(`${ann}\n`);
      const file = await openFile(path, captured.log);
      const generation = file.generation;
      await writeFile(path, `${ann}\n# comment\nbob:$apr1$QpI0hXYK$5o2sVf0ot1pmOBy6fELmd.\n`);
      await eventually('a warning is logged', () => captured.text().includes('not reloaded'), 1000);
      const warning = captured.records().find((r) => String(r['msg']).includes('not reloaded'));
      expect(warning?.['level']).to.equal('warn');
      expect(warning?.['msg']).to.equal(`htpasswd file not reloaded: ${path}:3: user "bob": an MD5 ($apr1$) hash: only bcrypt is supported (htpasswd -B, or private-registry user passwd); keeping the users last read`);
      expect(captured.text()).to.not.include('5o2sVf0ot1pm');
      expect(await file.verify('ann', 'pw')).to.equal(true);
      expect(file.generation).to.equal(generation);
      await writeFile(path, `${ann}\n${await bcryptLine('bob', 'pw-bob')}\n`);
      await eventually('the repaired file is read', () => file.has('bob'), 1000);
    });

    it('keeps the users last read while the file is missing', async function () {
      const path = await fileWith(`${await bcryptLine('ann', 'pw')}\n`);
      const captured = capturedLog();
      const file = await openFile(path, captured.log);
      await unlink(path);
      await eventually('a warning is logged', () => captured.text().includes('cannot be read'), 1500);
      expect(await file.verify('ann', 'pw')).to.equal(true);
    });

    it('notices a same-size in-place edit by polling alone, where fs.watch reports nothing', async function () {
      const path = await fileWith(`${await bcryptLine('ann', 'pw')}\n`);
      const file = await openFile(path, capturedLog().log, { fsWatch: false, pollMs: 200 });
      const replacement = `${await bcryptLine('bob', 'pw')}\n`;
      expect(replacement.length).to.equal((await readFile(path, 'utf8')).length);
      await writeFile(path, replacement);
      await eventually('bob is accepted', () => file.verify('bob', 'pw'), 1000);
      expect(file.has('ann')).to.equal(false);
    });

    it('refuses everyone once the file is emptied (an empty read is checked again, not taken as a half-done write)', async function () {
      const path = await fileWith(`${await bcryptLine('ann', 'pw')}\n`);
      const file = await openFile(path);
      await writeFile(path, '');
      await eventually('ann is refused', async () => !(await file.verify('ann', 'pw')), 1000);
      expect(file.users()).to.deep.equal([]);
    });

    it('does not change the generation when only comments changed', async function () {
      const path = await fileWith(`${await bcryptLine('ann', 'pw')}\n`);
      const file = await openFile(path);
      await appendFile(path, '# a comment\n');
      await file.reload();
      expect(file.generation).to.equal(1);
    });
  });
});
