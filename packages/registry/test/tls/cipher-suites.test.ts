// distribution's Go cipher suite names against OpenSSL's: every name we map must be one OpenSSL (as built into
// this Node) knows, or a configured suite would silently select nothing.
import { expect } from 'chai';
import { getCiphers } from 'node:tls';
import { CodedError } from '@private-registry/core';
import { opensslCiphers } from '../../src/tls/cipher-suites.js';

describe('http.tls.ciphersuites: Go names to OpenSSL names', () => {
  it('leaves the choice to Node when no suite is configured', () => {
    expect(opensslCiphers([])).to.equal(undefined);
  });

  it('maps distribution names to the OpenSSL names, in the configured order', () => {
    expect(opensslCiphers(['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_RSA_WITH_AES_256_GCM_SHA384'])).to.equal(
      'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:AES256-GCM-SHA384',
    );
  });

  it('takes names in any case and with stray spaces', () => {
    expect(opensslCiphers([' tls_ecdhe_rsa_with_aes_256_gcm_sha384 '])).to.equal('ECDHE-RSA-AES256-GCM-SHA384');
  });

  it('maps only to suites this OpenSSL knows', () => {
    const known = new Set(getCiphers().map((name) => name.toUpperCase()));
    const goNames = [
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
      'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
      'TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_AES_256_CBC_SHA',
      'TLS_RSA_WITH_AES_128_CBC_SHA256', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
    ];
    for (const goName of goNames) {
      const openssl = opensslCiphers([goName]);
      expect(openssl, goName).to.be.a('string');
      expect(known.has(openssl!.toUpperCase()), `${goName} → ${openssl}`).to.equal(true);
    }
  });

  it('refuses a name it does not know, naming it as a configuration error', () => {
    let error: unknown;
    try {
      opensslCiphers(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256']);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(CodedError);
    expect((error as CodedError).code).to.equal('CONFIG_INVALID');
    expect((error as CodedError).message).to.match(/^invalid configuration: http\.tls\.ciphersuites: "ECDHE-RSA-AES128-GCM-SHA256"/);
  });
});
