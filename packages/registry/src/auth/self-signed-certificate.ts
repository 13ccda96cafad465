// A self-signed certificate for a token signing key (@peculiar/x509 over WebCrypto): what distribution's
// `auth.token.rootcertbundle` holds and the JWT header's `x5c` carries. Key usage: digital signature and
// certificate signing (it is its own issuer); no basic constraints and no extended key usage, so Go's x509
// verification (distribution's, on x5c chains) accepts it as its own root.
import { webcrypto, type KeyObject } from 'node:crypto';

const TEN_YEARS_MS = 10 * 365 * 24 * 3_600_000;

export async function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, notBefore: Date): Promise<string> {
  // @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill; loaded
  // here only, when the token service starts.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const ec = privateKey.asymmetricKeyType === 'ec';
  const algorithm = ec ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), algorithm, true, ['verify']),
  };
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16).padStart(16, '0'),
    name: 'CN=private-registry token signer',
    notBefore: new Date(notBefore.getTime() - 60_000),
    notAfter: new Date(notBefore.getTime() + TEN_YEARS_MS),
    signingAlgorithm: algorithm,
    keys,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true)],
  });
  return certificate.toString('pem');
}
