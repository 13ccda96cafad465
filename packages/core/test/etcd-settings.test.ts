import { expect } from 'chai';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { addEtcdFlags, describeEtcdSettings, etcdClientOptions, etcdSettingsFromFlags } from '../src/etcd/index.js';

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): Record<string, unknown> {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('ETCD_')) delete process.env[key];
  Object.assign(process.env, env);
  try {
    const command = addEtcdFlags(new Command().exitOverride());
    command.parse(argv, { from: 'user' });
    return command.opts();
  } finally {
    process.env = saved;
  }
}

describe('etcd connection flags', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'etcd-settings-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to the local etcd and splits a comma list of endpoints', () => {
    expect(etcdSettingsFromFlags(parse([]), {}).endpoints).to.deep.equal(['http://127.0.0.1:2379']);
    expect(etcdSettingsFromFlags(parse(['--etcd', 'http://a:2379, b:2379']), {}).endpoints).to.deep.equal(['http://a:2379', 'b:2379']);
  });

  it('reads ETCD_ENDPOINTS when no flag is given', () => {
    expect(etcdSettingsFromFlags(parse([], { ETCD_ENDPOINTS: 'http://e1:2379' }), {}).endpoints).to.deep.equal(['http://e1:2379']);
  });

  it('names the flag of a malformed endpoint or timeout', () => {
    expect(() => etcdSettingsFromFlags(parse(['--etcd', 'http://a/b']), {})).to.throw(/--etcd endpoint "http:\/\/a\/b"/);
    expect(() => etcdSettingsFromFlags(parse(['--etcd-dial-timeout', 'soon']), {})).to.throw(/--etcd-dial-timeout/);
    expect(() => etcdSettingsFromFlags(parse(['--etcd-cert', '/x']), {})).to.throw(/go together/);
  });

  it('takes the password from a file or ETCD_PASSWORD and never describes it', () => {
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, 's3cret\n');
    const fromFile = etcdSettingsFromFlags(parse(['--etcd-username', 'root', '--etcd-password-file', passwordFile]), {});
    expect(etcdClientOptions(fromFile).auth).to.deep.include({ username: 'root', password: 's3cret' });
    const fromEnv = etcdSettingsFromFlags(parse(['--etcd-username', 'root']), { ETCD_PASSWORD: 'hunter2' });
    expect(etcdClientOptions(fromEnv).auth).to.deep.include({ password: 'hunter2' });
    expect(JSON.stringify(describeEtcdSettings(fromEnv))).not.to.include('hunter2');
  });

  it('refuses a user without a password, and names a TLS file that cannot be read', () => {
    expect(() => etcdClientOptions(etcdSettingsFromFlags(parse(['--etcd-username', 'root']), {}))).to.throw(/needs a password/);
    expect(() => etcdClientOptions(etcdSettingsFromFlags(parse(['--etcd-ca', join(dir, 'missing.pem')]), {}))).to.throw(/--etcd-ca .*missing\.pem/);
  });
});
