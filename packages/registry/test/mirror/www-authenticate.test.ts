import { expect } from 'chai';
import { parseChallenge } from '../../src/mirror/www-authenticate.js';

describe('WWW-Authenticate challenges from an upstream', () => {
  it('reads Docker Hub\'s bearer challenge: realm, service and scope', () => {
    const challenge = parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
    expect(challenge).to.deep.equal({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
    });
  });

  it('keeps commas and spaces inside quoted values (a scope with several actions, a realm with a space)', () => {
    expect(parseChallenge('Bearer realm="http://a/token",scope="repository:team/app:pull,push"')?.params['scope']).to.equal('repository:team/app:pull,push');
    expect(parseChallenge('Basic realm="Registry Realm"')).to.deep.equal({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  });

  it('lower-cases the scheme and parameter names but never the values', () => {
    expect(parseChallenge('BEARER Realm="http://Auth.Example/Token",SERVICE="Reg"')).to.deep.equal({
      scheme: 'bearer',
      params: { realm: 'http://Auth.Example/Token', service: 'Reg' },
    });
  });

  it('accepts unquoted values, spaces around "=" and ",", and escaped quotes', () => {
    expect(parseChallenge('Basic realm=testbed')?.params).to.deep.equal({ realm: 'testbed' });
    expect(parseChallenge('Bearer realm = "http://a/t" ,  service="s"')?.params).to.deep.equal({ realm: 'http://a/t', service: 's' });
    expect(parseChallenge('Basic realm="say \\"hi\\""')?.params['realm']).to.equal('say "hi"');
  });

  it('reads the error distribution adds when a token is refused', () => {
    const challenge = parseChallenge('Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a:pull",error="invalid_token"');
    expect(challenge?.params['error']).to.equal('invalid_token');
    expect(challenge?.params['scope']).to.equal('repository:a:pull');
  });

  it('takes the first of several challenges (two headers joined by fetch)', () => {
    expect(parseChallenge('Bearer realm="http://a/token",service="s", Basic realm="r"')).to.deep.equal({
      scheme: 'bearer',
      params: { realm: 'http://a/token', service: 's' },
    });
    expect(parseChallenge('Basic realm="r", Bearer realm="http://a/token"')).to.deep.equal({ scheme: 'basic', params: { realm: 'r' } });
  });

  it('gives a scheme without parameters, and nothing for a missing or empty header', () => {
    expect(parseChallenge('Negotiate')).to.deep.equal({ scheme: 'negotiate', params: {} });
    expect(parseChallenge(null)).to.equal(undefined);
    expect(parseChallenge(undefined)).to.equal(undefined);
    expect(parseChallenge('')).to.equal(undefined);
    expect(parseChallenge('   ')).to.equal(undefined);
  });

  it('stops at junk and keeps what came before it', () => {
    expect(parseChallenge('Bearer realm="http://a/token",??')).to.deep.equal({ scheme: 'bearer', params: { realm: 'http://a/token' } });
    expect(parseChallenge('Bearer realm="unterminated')).to.deep.equal({ scheme: 'bearer', params: {} });
  });
});
