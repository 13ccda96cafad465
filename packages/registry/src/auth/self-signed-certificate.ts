// A self-signed certificate for a token signing key: what distribution's `auth.token.rootcertbundle` holds
// and the JWT header's `x5c` carries. Key usage: digital signature and certificate signing (it is its own
// issuer); no basic constraints and no extended key usage, so Go's x509 verification (distribution's, on
// x5c chains) accepts it as its own root. Valid ten years.
//
// Built with @peculiar/asn1-x509 (the ASN.1 schemas under @peculiar/x509) and signed with node:crypto.
// @peculiar/x509 itself resolves its parts through tsyringe, which needs the global `Reflect` metadata
// polyfill (reflect-metadata) loaded into the process; the schemas need neither. Loaded only when the
// token service starts.
import { randomBytes, sign, type KeyObject } from 'node:crypto';

const TEN_YEARS_MS = 10 * 365 * 24 * 3_600_000;
const COMMON_NAME = '2.5.4.3';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
/** The DER of ASN.1 NULL: RSA algorithm identifiers carry it as their parameters. */
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

export async function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, notBefore: Date): Promise<string> {
  const x509 = await import('@peculiar/asn1-x509');
  const { AsnConvert, OctetString } = await import('@peculiar/asn1-schema');
  const ec = privateKey.asymmetricKeyType === 'ec';
  const algorithm = ec ? new x509.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }) : new x509.AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: DER_NULL });
  const name = new x509.Name([new x509.RelativeDistinguishedName([new x509.AttributeTypeAndValue({ type: COMMON_NAME, value: new x509.AttributeValue({ utf8String: 'private-registry token signer' }) })])]);
  const keyUsage = new x509.KeyUsage(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign);
  const tbsCertificate = new x509.TBSCertificate({
    version: x509.Version.v3,
    serialNumber: serialNumber(),
    signature: algorithm,
    issuer: name,
    validity: new x509.Validity({ notBefore: new Date(notBefore.getTime() - 60_000), notAfter: new Date(notBefore.getTime() + TEN_YEARS_MS) }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), x509.SubjectPublicKeyInfo),
    extensions: new x509.Extensions([new x509.Extension({ extnID: x509.id_ce_keyUsage, critical: true, extnValue: new OctetString(AsnConvert.serialize(keyUsage)) })]),
  });
  const tbs = Buffer.from(AsnConvert.serialize(tbsCertificate));
  // ECDSA as the DER Ecdsa-Sig-Value X.509 wants; RSA as PKCS #1 v1.5.
  const signature = ec ? sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' }) : sign('sha256', tbs, privateKey);
  const certificate = new x509.Certificate({ tbsCertificate, signatureAlgorithm: algorithm, signatureValue: new Uint8Array(signature).buffer });
  const der = Buffer.from(AsnConvert.serialize(certificate));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** 16 random bytes, positive and without a leading zero byte (RFC 5280: a positive integer of at most 20 bytes). */
function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return new Uint8Array(bytes).buffer;
}
