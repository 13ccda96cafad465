// How commands are read out of the docs' sh blocks (clean-clone.test.ts runs them): continuation lines,
// comments, environment assignments, npx, and chains.

import { expect } from 'chai';
import { documentedCommands, shellLines } from './helpers/documented-commands.js';

const PROGRAMS = ['private-registry', 'registry-sidekick'];

describe('commands shown in Markdown sh blocks', () => {
  const markdown = [
    'Run `private-registry serve` (inline code is not a shell block).',
    '```sh',
    '# a comment line',
    'npm ci && npm run build   # install',
    'REGISTRY_HTTP_ADDR=127.0.0.1:5000 A=b \\',
    '  npx private-registry serve --config "/etc/my config.yml"',
    '',
    'registry-sidekick run --etcd http://10.0.0.1:2379#frag; echo done | private-registry --version',
    '```',
    '```yaml',
    'private-registry: serve',
    '```',
    '```',
    'private-registry serve   # an unlabelled block is not shell',
    '```',
  ].join('\n');

  it('joins continuation lines, drops comments and keeps the line each command starts on', () => {
    expect(shellLines(markdown)).to.deep.equal([
      { text: 'npm ci && npm run build', line: 4 },
      { text: 'REGISTRY_HTTP_ADDR=127.0.0.1:5000 A=b npx private-registry serve --config "/etc/my config.yml"', line: 5 },
      { text: 'registry-sidekick run --etcd http://10.0.0.1:2379#frag; echo done | private-registry --version', line: 8 },
    ]);
  });

  it('finds our programs run directly or through npx, after environment assignments and inside chains', () => {
    const found = documentedCommands(shellLines(markdown), PROGRAMS).map((c) => [c.launcher, c.program, c.args, c.source.line]);
    expect(found).to.deep.equal([
      ['npx', 'private-registry', ['serve', '--config', '/etc/my config.yml'], 5],
      ['path', 'registry-sidekick', ['run', '--etcd', 'http://10.0.0.1:2379#frag'], 8],
      ['path', 'private-registry', ['--version'], 8],
    ]);
  });
});
