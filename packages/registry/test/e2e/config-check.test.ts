// `private-registry config check` and `serve --strict` as an operator uses them: the effective configuration
// with sources and no secret anywhere in the output, exit 0 / 1 (invalid, unknown keys) / 2 (unreadable),
// and a file without storage refused by serve naming `storage`.
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { runCli } from './interop-helpers.js';

const SECRETS = ['s3-secret-Zq81', 'http-secret-Kx27', 'smtp-password-Wn55', 'AKIA-ACCESS-Pp09'];

async function fileWith(text: string, name = 'config.yml'): Promise<{ dir: string; path: string }> {
  const dir = (await tempDir('cfg-check')).path;
  const path = join(dir, name);
  await writeFile(path, text);
  return { dir, path };
}

const PROD_FLAVORS = `
common:
  loglevel: info
  secret_key: ${SECRETS[1]}
  smtp_host: mail.example.com
  smtp_password: ${SECRETS[2]}
  to_addr: ops@example.com
  standalone: true
prod:
  storage: s3
  s3_bucket: images
  s3_region: us-east-1
  s3_access_key: ${SECRETS[3]}
  s3_secret_key: _env:AWS_SECRET
  boto_host: s3.internal
  boto_port: 9000
`;

describe('private-registry config check @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('prints the effective configuration with each source and every secret <redacted>, exit 0, warnings on stderr', async function () {
    const { dir, path } = await fileWith(PROD_FLAVORS);
    const result = await runCli(['config', 'check', '--config', path], {
      cwd: dir,
      env: { SETTINGS_FLAVOR: 'prod', AWS_SECRET: SECRETS[0], REGISTRY_HTTP_ADDR: '127.0.0.1:5999' },
    });
    expect(result.exitCode, result.stderr).to.equal(0);
    for (const secret of SECRETS) {
      expect(result.stdout, `stdout shows ${secret}`).to.not.include(secret);
      expect(result.stderr, `stderr shows ${secret}`).to.not.include(secret);
    }
    expect(result.stdout).to.include('# flavor: prod (SETTINGS_FLAVOR)');
    expect(result.stdout).to.include('    secretkey: <redacted>  # env AWS_SECRET (flavor prod), old key s3_secret_key\n');
    expect(result.stdout).to.include('    accesskey: <redacted>  # flavor prod, old key s3_access_key\n');
    expect(result.stdout).to.include('    bucket: images  # flavor prod, old key s3_bucket\n');
    expect(result.stdout).to.include('    regionendpoint: s3.internal:9000  # flavor prod, old key boto_host\n');
    expect(result.stdout).to.include('  secret: <redacted>  # flavor common, old key secret_key\n');
    expect(result.stdout).to.include('  password: <redacted>  # flavor common, old key smtp_password\n');
    expect(result.stdout).to.include('  addr: 127.0.0.1:5999  # env REGISTRY_HTTP_ADDR\n');
    expect(result.stdout).to.include('  draintimeout: 10s  # default\n');
    expect(result.stderr).to.equal('warning: configuration key "standalone" (flavor common) of the old docker-registry has no meaning here and is ignored');
  });

  it('shows the auth section as read, exit 0, with the password in a token realm URL <redacted>', async function () {
    const { dir, path } = await fileWith(`version: 0.1
storage: inmemory
auth:
  htpasswd:
    realm: basic-realm
    path: /etc/registry/htpasswd
  token:
    realm: https://alice:${SECRETS[0]}@auth.example.com/token
    service: registry.example.com
    issuer: auth.example.com
    rootcertbundle: /etc/registry/token.pem
  groups:
    ci: [robot]
  access:
    - repository: ci/**
      groups: [ci]
      actions: [pull, push]
`);
    const result = await runCli(['config', 'check', path], { cwd: dir, env: { REGISTRY_AUTH_HTPASSWD_PATH: '/run/secrets/htpasswd' } });
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.not.include(SECRETS[0]);
    expect(result.stdout).to.include(
      [
        'auth:',
        '  htpasswd:',
        '    realm: basic-realm  # file',
        '    path: /run/secrets/htpasswd  # env REGISTRY_AUTH_HTPASSWD_PATH',
        '  token:',
        '    realm: https://alice:<redacted>@auth.example.com/token  # file',
        '    service: registry.example.com  # file',
        '    issuer: auth.example.com  # file',
        '    rootcertbundle: /etc/registry/token.pem  # file',
        '  groups:',
        '    ci:',
        '      - robot  # file',
        '  access:',
        '    - repository: ci/**  # file',
        '      groups:',
        '        - ci  # file',
        '      actions:',
        '        - pull  # file',
        '        - push  # file',
      ].join('\n'),
    );
  });

  it('exits 1 on an auth section serve would refuse, naming the key', async function () {
    const { dir, path } = await fileWith('version: 0.1\nstorage: inmemory\nauth:\n  htpasswd:\n    realm: r\n');
    const result = await runCli(['config', 'check', path], { cwd: dir });
    expect(result.exitCode).to.equal(1);
    expect(result.stderr).to.match(/^error: invalid configuration: auth\.htpasswd\.path: is required/);
  });

  it('exits 1 naming an unknown key (a typo that serve would only warn about)', async function () {
    const { dir, path } = await fileWith('version: 0.1\nstorage:\n  inmemory:\nhttp:\n  adr: 127.0.0.1:5000\n');
    const result = await runCli(['config', 'check', path], { cwd: dir });
    expect(result.exitCode).to.equal(1);
    expect(result.stderr).to.equal('error: unknown configuration key "http.adr"');
    expect(result.stdout).to.include('  addr: 0.0.0.0:5000  # default');
  });

  it('exits 1 naming an unknown S3 driver parameter', async function () {
    const { dir, path } = await fileWith('version: 0.1\nstorage:\n  s3:\n    bucket: b\n    region: r\n    regionendpoit: http://x\n');
    const result = await runCli(['config', 'check', path], { cwd: dir });
    expect(result.exitCode).to.equal(1);
    expect(result.stderr).to.include('error: unknown configuration key "storage.s3.regionendpoit"');
  });

  it('exits 1 on an invalid value, naming the key and printing no configuration', async function () {
    const { dir, path } = await fileWith('version: 0.1\nstorage: inmemory\nhttp:\n  draintimeout: 7d\n');
    const result = await runCli(['config', 'check', path], { cwd: dir });
    expect(result.exitCode).to.equal(1);
    expect(result.stderr).to.match(/^error: invalid configuration: http\.draintimeout: /);
    expect(result.stdout).to.equal('');
  });

  it('exits 1 for a file without storage, naming storage; serve refuses it too', async function () {
    const { dir, path } = await fileWith('version: 0.1\nhttp:\n  addr: 127.0.0.1:0\n');
    const check = await runCli(['config', 'check', path], { cwd: dir });
    expect(check.exitCode).to.equal(1);
    expect(check.stderr).to.include('invalid configuration: storage: no storage configuration provided');
    const serve = await runCli(['serve', path], { cwd: dir });
    expect(serve.exitCode).to.equal(2);
    expect(serve.stderr).to.include('invalid configuration: storage: no storage configuration provided');
  });

  it('accepts a file whose storage comes only from REGISTRY_STORAGE_* variables', async function () {
    const { dir, path } = await fileWith('version: 0.1\nhttp:\n  addr: 127.0.0.1:0\n');
    const result = await runCli(['config', 'check', path], { cwd: dir, env: { REGISTRY_STORAGE: 'inmemory' } });
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout).to.include('  inmemory: {}  # env REGISTRY_STORAGE');
  });

  it('exits 2 for a file that cannot be read, and for one that is not YAML', async function () {
    const dir = (await tempDir('cfg-check-missing')).path;
    const missing = await runCli(['config', 'check', join(dir, 'nope.yml')], { cwd: dir });
    expect(missing.exitCode).to.equal(2);
    expect(missing.stderr).to.include(`cannot read configuration file ${join(dir, 'nope.yml')}: no such file`);
    const { path } = await fileWith('version: 0.1\nhttp:\n  addr: "unclosed\n');
    const broken = await runCli(['config', 'check', path], { cwd: dir });
    expect(broken.exitCode).to.equal(2);
    expect(broken.stderr).to.match(/^error: cannot parse configuration: .*config\.yml:\d+:\d+/);
  });

  it('documents the exit codes in its --help', async function () {
    const result = await runCli(['config', 'check', '--help']);
    expect(result.exitCode).to.equal(0);
    expect(result.stdout).to.include('Exit status: 0').and.include('1 invalid values or').and.include('2 the file cannot be read');
  });
});

describe('private-registry serve --strict @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('refuses to start on a misspelt key, naming it', async function () {
    const { dir, path } = await fileWith('version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:0\n  adr: 127.0.0.1:5000\n');
    const result = await runCli(['serve', '--strict', '--config', path], { cwd: dir });
    expect(result.exitCode).to.equal(2);
    expect(result.stderr).to.include('invalid configuration: http.adr: unknown configuration key (--strict)');
  });
});
