// The `proxy` section: distribution's single upstream, our list of upstreams, and every bad value named.
import { expect } from 'chai';
import { parse, withVersion } from './config-test-helpers.js';

const proxy = (yaml: string) => parse(withVersion(`proxy:\n${yaml}`)).config.proxy;

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
