// The listen address forms distribution accepts: ":5000", "host:5000", "[v6]:5000", and unix sockets.
import { expect } from 'chai';
import { parseHostPort } from '../../src/config/listen-address.js';
import { expectInvalid, parse, withVersion } from './config-test-helpers.js';

describe('config: http.addr forms', function () {
  const listenOf = (addr: string): unknown => parse(withVersion(`http:\n  addr: "${addr}"\n`)).config.http.listen;

  it('":5000" listens on every interface (host undefined)', function () {
    expect(listenOf(':5000')).to.deep.equal({ net: 'tcp', host: undefined, port: 5000 });
  });

  it('"127.0.0.1:5000" listens on one IPv4 address', function () {
    expect(listenOf('127.0.0.1:5000')).to.deep.equal({ net: 'tcp', host: '127.0.0.1', port: 5000 });
  });

  it('"[::1]:5000" listens on one IPv6 address, unbracketed', function () {
    expect(listenOf('[::1]:5000')).to.deep.equal({ net: 'tcp', host: '::1', port: 5000 });
  });

  it('"localhost:5000" and "0.0.0.0:5000" keep their host names', function () {
    expect(listenOf('localhost:5000')).to.deep.equal({ net: 'tcp', host: 'localhost', port: 5000 });
    expect(listenOf('0.0.0.0:5000')).to.deep.equal({ net: 'tcp', host: '0.0.0.0', port: 5000 });
  });

  it('port 0 asks the system for a free port (tests use it)', function () {
    expect(listenOf('127.0.0.1:0')).to.deep.equal({ net: 'tcp', host: '127.0.0.1', port: 0 });
  });

  it('unquoted ":5000" in YAML is the same string', function () {
    expect(parse(withVersion('http:\n  addr: :5000\n')).config.http.listen).to.deep.equal({ net: 'tcp', host: undefined, port: 5000 });
  });

  it('a unix socket path with net: unix', function () {
    const { config } = parse(withVersion('http:\n  net: unix\n  addr: /run/registry.sock\n'));
    expect(config.http.net).to.equal('unix');
    expect(config.http.listen).to.deep.equal({ net: 'unix', path: '/run/registry.sock' });
  });

  for (const bad of ['abc', '5000', '::1:5000', '[::1]', '[nothost]:5000', 'host:http', 'host:65536', 'a b:80', ':-1', '1.2.3.4:']) {
    it(`rejects "${bad}"`, function () {
      expect(parseHostPort(bad)).to.equal(undefined);
      expectInvalid(() => parse(withVersion(`http:\n  addr: "${bad}"\n`)), 'http.addr', `"${bad}" is not a host:port`);
    });
  }

  it('validates http.debug.addr the same way', function () {
    expectInvalid(() => parse(withVersion('http:\n  debug:\n    addr: nope\n')), 'http.debug.addr', '"nope" is not a host:port');
  });
});
