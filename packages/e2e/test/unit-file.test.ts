// The unit-file and Exec-line readers the fleet unit checks rely on, against the systemd syntax they model.

import { expect } from 'chai';
import { checkCliArgs, parseCommanderHelp } from './helpers/cli-help.js';
import { parseDockerRun } from './helpers/docker-run.js';
import { expandCommand, parseExecLine, splitWords } from './helpers/exec-command.js';
import { parseUnitFile, UnitFileError } from './helpers/unit-file.js';

const UNIT = `# leading comment
; another comment style
[Unit]
Description = spaced around the equals sign
After=a.service
After=b.service c.service

[Service]
Environment=A=1 "B=two words"
Environment=EMPTY=
ExecStartPre=-/usr/bin/docker rm -f x
ExecStart=/usr/bin/docker run --rm \\
  --name x \\
# a comment inside a continuation is skipped
  -v /a:/b \\
  img
ExecStop=/bin/false
ExecStop=
ExecStop=/usr/bin/docker stop x

[X-Fleet]
Global=true
`;

describe('unit file reader', () => {
  const unit = parseUnitFile(UNIT, 'x.service');

  it('reads sections in order, repeated list keys merged, and whitespace around "=" dropped', () => {
    expect(unit.sections).to.deep.equal(['Unit', 'Service', 'X-Fleet']);
    expect(unit.get('Unit', 'Description')).to.equal('spaced around the equals sign');
    expect(unit.words('Unit', 'After')).to.deep.equal(['a.service', 'b.service', 'c.service']);
    expect(unit.get('X-Fleet', 'Global')).to.equal('true');
  });

  it('joins backslash continuations with a space, skipping comment lines inside them', () => {
    expect(unit.get('Service', 'ExecStart')).to.equal('/usr/bin/docker run --rm --name x -v /a:/b img');
    expect(unit.entries.find((e) => e.key === 'ExecStart')?.line).to.equal(12);
  });

  it('resets a list on an empty assignment, as systemd does', () => {
    expect(unit.all('Service', 'ExecStop')).to.deep.equal(['/usr/bin/docker stop x']);
  });

  it('reads quoted Environment= assignments and empty values', () => {
    expect([...unit.environment()]).to.deep.equal([
      ['A', '1'],
      ['B', 'two words'],
      ['EMPTY', ''],
    ]);
  });

  it('rejects a key before any section, a malformed line and a continuation past the end', () => {
    expect(() => parseUnitFile('Key=1\n', 'a')).to.throw(UnitFileError, 'a:1: Key= comes before any [Section]');
    expect(() => parseUnitFile('[Unit]\nnot an assignment\n', 'b')).to.throw(UnitFileError, 'b:2:');
    expect(() => parseUnitFile('[Unit]\nA=1 \\', 'c')).to.throw(UnitFileError, 'past the end');
  });
});

describe('Exec line reader', () => {
  it('takes the -, @ and + prefixes off the program', () => {
    expect(parseExecLine('-/usr/bin/docker rm -f x')).to.include({ prefixes: '-', ignoreFailure: true, program: '/usr/bin/docker' });
    const withArgv0 = parseExecLine('@/usr/bin/sleep my-sleep 5');
    expect(withArgv0).to.include({ prefixes: '@', program: '/usr/bin/sleep' });
    expect(withArgv0.args).to.deep.equal(['5']);
    expect(parseExecLine('+-/bin/true')).to.include({ prefixes: '+-', ignoreFailure: true, program: '/bin/true' });
  });

  it('splits words with double and single quotes and backslash escapes', () => {
    expect(splitWords(`/bin/sh -c "echo a; echo 'b'" 'c d' e\\ f`)).to.deep.equal(['/bin/sh', '-c', "echo a; echo 'b'", 'c d', 'e f']);
    expect(() => parseExecLine('/bin/true ; /bin/false')).to.throw('one command per Exec line');
    expect(() => splitWords('/bin/echo "open')).to.throw('unterminated');
  });

  it('expands ${VAR} inside words, $VAR as whole words split on spaces (none when empty), and specifiers', () => {
    const command = parseExecLine('/usr/bin/docker run $OPTS --name n-%m ${IMAGE} --x ${HOST}:5000 %%');
    const env = { OPTS: '-e A=1  -v /x:/y', IMAGE: 'img:1', HOST: '10.0.0.1' };
    expect(expandCommand(command, { env, specifiers: { m: 'abc' } })).to.deep.equal([
      '/usr/bin/docker', 'run', '-e', 'A=1', '-v', '/x:/y', '--name', 'n-abc', 'img:1', '--x', '10.0.0.1:5000', '%',
    ]);
    expect(expandCommand(command, { env: { ...env, OPTS: '' }, specifiers: { m: 'abc' } }).slice(0, 3)).to.deep.equal(['/usr/bin/docker', 'run', '--name']);
  });
});

describe('docker run and --help readers', () => {
  it('finds the options, the image and the command of a docker run', () => {
    const run = parseDockerRun(['--rm', '--name', 'x', '-v', 'a:b', '--network=host', '$OPTS', 'img', 'cmd', '--flag', 'v']);
    expect(run.image).to.equal('img');
    expect(run.command).to.deep.equal(['cmd', '--flag', 'v']);
    expect(run.optionVariables).to.deep.equal(['OPTS']);
    expect(run.options).to.deep.include({ flag: '--network', value: 'host' });
    expect(() => parseDockerRun(['--no-such-flag', 'img'])).to.throw('not in DOCKER_RUN_FLAGS');
  });

  it("reads a commander help page's options, wrapped descriptions and defaults, and checks arguments against it", () => {
    const help = parseCommanderHelp(`Usage: tool run [options]

Options:
  --root <dir>          root every host path under DIR (default: "/", env:
                        HOST_ROOT)
  --state-file <path>   where the state goes (under --root) (default:
                        "/var/lib/tool/state.json")
  --once                reconcile once
  -h, --help            display help for command
`);
    expect(help.options.get('--state-file')).to.include({ value: 'required', defaultValue: '/var/lib/tool/state.json' });
    expect(help.options.get('--root')?.defaultValue).to.equal('/');
    expect(help.options.get('--once')?.value).to.equal('none');
    expect(checkCliArgs(['--root', '/host', '--once'], help)).to.deep.equal([]);
    expect(checkCliArgs(['--once=1', '--root', '--rooot', 'x'], help)).to.deep.equal([
      '--once takes no value',
      '--root needs a value',
      '--rooot is not an option of `tool run [options]`',
      '"x" is an argument, but `tool run [options]` takes none',
    ]);
  });
});
