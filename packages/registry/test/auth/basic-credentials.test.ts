import { expect } from 'chai';
import { MAX_AUTHORIZATION_LENGTH, readCredentials } from '../../src/auth/basic-credentials.js';

const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;

describe('Authorization header', () => {
  it('reads Basic user:password, the password may hold colons', () => {
    expect(readCredentials(basic('ci:pa:ss'))).to.deep.equal({ kind: 'basic', user: 'ci', password: 'pa:ss' });
    expect(readCredentials(`basic ${Buffer.from('a:b').toString('base64')}`)).to.deep.equal({ kind: 'basic', user: 'a', password: 'b' });
  });

  it('reads a bearer token', () => {
    expect(readCredentials('Bearer abc.def.ghi')).to.deep.equal({ kind: 'bearer', token: 'abc.def.ghi' });
  });

  it('has none without a header', () => {
    expect(readCredentials(undefined)).to.deep.equal({ kind: 'none' });
  });

  it('calls malformed what it cannot use, without keeping the value', () => {
    const bad = ['Digest x', 'Basic', 'Basic !!!', basic('nocolon'), basic(':password'), basic('user:'), basic('us\u0001er:x'), 'Bearer a b', 'Bearer', `Basic ${'A'.repeat(MAX_AUTHORIZATION_LENGTH)}`];
    for (const header of bad) {
      const credentials = readCredentials(header);
      expect(credentials.kind, header.slice(0, 30)).to.equal('malformed');
      expect(JSON.stringify(credentials)).to.not.include(header.slice(6, 20) || 'never');
    }
  });
});
