// The `proxy` section: distribution's single upstream, our list of upstreams, and every bad value named.
import { expect } from 'chai';
import { expectInvalid, parse, withVersion } from './config-test-helpers.js';

const proxy = (yaml: string, env: NodeJS.ProcessEnv = {}) => parse(withVersion(`proxy:\n${yaml}`), env).config.proxy;

describe('config: proxy (mirror mode)', function () {
  it('is off without an upstream', function () {
    expect(parse(withVersion('')).config.proxy).to.deep.equal({ upstreams: [], tagRevalidateMs: 60_000, upstreamTimeoutMs: 30_000, prefetch: 4, cache: { intervalMs: 600_000 } });
  });

  it("reads distribution's remoteurl as an upstream for every name and every ?ns= host", function () {
    expect(proxy('  remoteurl: http://10.0.0.9:5000\n').upstreams).to.deep.equal([
      { name: '10.0.0.9:5000', url: 'http://10.0.0.9:5000', hosts: [], prefix: '' },
    ]);
  });

  it('reads a list of upstreams with prefixes, hosts and credentials', function () {
    const config = proxy(
      [
        '  tagrevalidate: 5m',
        '  prefetch: 0',
        '  cache: {maxsize: 50GB, maxidle: 720h}',
        '  upstreams:',
        '    - url: https://registry-1.docker.io',
        '    - name: ghcr',
        '      url: https://ghcr.io/',
        '      prefix: ghcr.io/',
        '      username: bot',
        '      password: pat',
        '    - url: https://quay.io',
        '      prefix: quay.io',
        '      hosts: [quay.io, Quay.example]',
        '',
      ].join('\n'),
    );
    expect(config.upstreams).to.deep.equal([
      { name: 'docker.io', url: 'https://registry-1.docker.io', hosts: ['docker.io', 'registry-1.docker.io', 'index.docker.io', 'registry.hub.docker.com'], prefix: '' },
      { name: 'ghcr', url: 'https://ghcr.io', hosts: ['ghcr.io'], prefix: 'ghcr.io', username: 'bot', password: 'pat' },
      { name: 'quay.io', url: 'https://quay.io', hosts: ['quay.io', 'quay.example'], prefix: 'quay.io' },
    ]);
    expect(config.tagRevalidateMs).to.equal(300_000);
    expect(config.prefetch, 'prefetching off').to.equal(0);
    expect(config.cache).to.deep.equal({ maxBytes: 50e9, maxIdleMs: 720 * 3_600_000, intervalMs: 600_000 });
  });

  for (const [yaml, message] of [
    ['  remoteurl: registry-1.docker.io\n', /proxy\.remoteurl: "registry-1\.docker\.io" is not a URL/],
    ['  remoteurl: ftp://x\n', /must be an http or https URL/],
    ['  remoteurl: https://x/v2/\n', /must not have a path/],
    ['  remoteurl: https://x\n  username: u\n', /proxy\.password: username and password go together/],
    ['  upstreams:\n    - url: https://a\n    - url: https://b\n', /proxy\.upstreams: "a" and "b" both serve names without a prefix/],
    ['  upstreams:\n    - url: https://a\n      prefix: Bad_Prefix\n', /proxy\.upstreams\[0\]\.prefix: "Bad_Prefix" is not a repository path prefix/],
    ['  upstreams:\n    - name: x\n', /proxy\.upstreams\[0\]\.url: is required/],
    ['  upstreams: https://a\n', /proxy\.upstreams: expected a list of mappings/],
    ['  cache: {maxsize: lots}\n', /proxy\.cache\.maxsize: "lots" is not a size/],
    ['  tagrevalidate: 5\n', /proxy\.tagrevalidate: 5 is not a duration/],
    ['  prefetch: 65\n', /proxy\.prefetch: must be between 0 \(off\) and 64/],
    ['  prefetch: many\n', /proxy\.prefetch: .*integer/],
  ] as const) {
    it(`stops startup on ${JSON.stringify(yaml.trim())}`, function () {
      expect(() => proxy(yaml)).to.throw(message);
    });
  }

  it('reads proxy.etcd: where replicas claim downloads, with the prefix ending in "/"', function () {
    const remote = '  remoteurl: http://10.0.0.9:5000\n';
    expect(proxy(`${remote}  etcd:\n    endpoints: http://10.0.0.1:2379,http://10.0.0.2:2379\n`).etcd).to.deep.equal({
      endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
      prefix: '/private-registry/mirror/',
    });
    expect(proxy(`${remote}  etcd:\n    endpoints: [https://e:2379]\n    prefix: /team-a/mirror\n    username: registry\n    password: s3cret\n    cafile: /etc/etcd/ca.pem\n`).etcd).to.deep.equal({
      endpoints: ['https://e:2379'],
      prefix: '/team-a/mirror/',
      username: 'registry',
      password: 's3cret',
      caFile: '/etc/etcd/ca.pem',
    });
    expect(proxy(remote).etcd).to.equal(undefined);
    expect(proxy(`${remote}  etcd:\n    endpoints: http://e:2379\n`, { REGISTRY_PROXY_ETCD_PREFIX: '/from-env' }).etcd?.prefix).to.equal('/from-env/');
    expectInvalid(() => proxy(`${remote}  etcd:\n    prefix: /x\n`), 'proxy.etcd.endpoints', 'is required when proxy.etcd is present');
    expectInvalid(() => proxy(`${remote}  etcd:\n    endpoints: [10.0.0.1:2379]\n`), 'proxy.etcd.endpoints', 'not an etcd endpoint');
    expectInvalid(() => proxy(`${remote}  etcd:\n    endpoints: [http://e:2379]\n    prefix: mirror\n`), 'proxy.etcd.prefix', 'must start with "/"');
    expectInvalid(() => proxy(`${remote}  etcd:\n    endpoints: [http://e:2379]\n    keyfile: /k.pem\n`), 'proxy.etcd.certfile', 'go together');
  });

  it('never shows the upstream password in a message', function () {
    let message = '';
    try {
      proxy('  remoteurl: https://x\n  password: [hunter2]\n  username: u\n');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.include('proxy.password: expected a string');
    expect(message).not.to.include('hunter2');
  });
});
