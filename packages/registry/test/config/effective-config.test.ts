// What `config check` prints: distribution's keys with every default, each value's source as a trailing
// comment, secrets as <redacted> (by key name, and a password inside a URL).
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { effectiveConfigYaml } from '../../src/config/index.js';
import { parse } from './config-test-helpers.js';

describe('config: the effective configuration as config check prints it', function () {
  const FILE = `version: 0.1
storage:
  s3:
    bucket: b
    region: r
    accesskey: AKIA-SECRET-ACCESS
    secretkey: very-secret-key
http:
  addr: 127.0.0.1:5000
  secret: http-secret-value
proxy:
  remoteurl: https://user:url-password@upstream.example
`;
  const text = effectiveConfigYaml(parse(FILE, { REGISTRY_LOG_LEVEL: 'debug' }));

  it('never shows a secret value', function () {
    for (const secret of ['AKIA-SECRET-ACCESS', 'very-secret-key', 'http-secret-value', 'url-password']) expect(text).to.not.include(secret);
    expect(text).to.include('secretkey: <redacted>  # file');
    expect(text).to.include('secret: <redacted>  # file');
    expect(text).to.include('remoteurl: https://user:<redacted>@upstream.example  # file');
  });

  it('says where each value came from: the file, a variable, or a default', function () {
    expect(text).to.include('  addr: 127.0.0.1:5000  # file');
    expect(text).to.include('  level: debug  # env REGISTRY_LOG_LEVEL');
    expect(text).to.include('  formatter: json  # default');
    expect(text).to.include('      age: 168h  # default');
  });

  it('is YAML that reads back to the same values (comments aside)', function () {
    const back = parseYaml(text) as { http: { addr: string }; storage: { s3: { bucket: string } }; version: unknown };
    expect(back.http.addr).to.equal('127.0.0.1:5000');
    expect(back.storage.s3.bucket).to.equal('b');
    expect(String(back.version)).to.equal('0.1');
  });

  it('shows the absolute root directory the registry uses, and what was written', function () {
    const relative = effectiveConfigYaml(parse('version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ./data\n'));
    expect(relative).to.include('rootdirectory: /srv/work/data  # file, "./data" from the working directory');
    expect(effectiveConfigYaml(parse(undefined))).to.include('rootdirectory: /var/lib/registry  # default');
  });

  it('quotes strings YAML would otherwise read as something else', function () {
    const quoted = effectiveConfigYaml(parse('version: 0.1\nstorage: inmemory\nlog:\n  fields:\n    answer: "yes"\n    zip: "0123"\n'));
    expect(quoted).to.include('answer: "yes"  # file');
    expect(quoted).to.include('zip: "0123"  # file');
  });
});
