// A TLS client certificate as a user: the subject CN of a certificate that verified against
// http.tls.clientcas (the socket says `authorized`). Anything else (plain HTTP, no certificate, one that did
// not verify under clientauth "request-client-cert") is no user.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export function clientCertificateUser(req: IncomingMessage): string | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return typeof name === 'string' && name !== '' ? name : undefined;
}
