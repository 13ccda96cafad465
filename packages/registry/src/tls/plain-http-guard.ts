// What Go's TLS servers do for a plain-HTTP request on a TLS port, which otherwise gets an empty reply: read
// the first byte of every connection; a TLS handshake (0x16) goes on to the TLS server, anything else gets
// "400 Bad Request: Client sent an HTTP request to an HTTPS server." and is closed.
import net from 'node:net';

const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing within this time is dropped (the TLS server's own timeouts start later). */
const FIRST_BYTE_TIMEOUT_MS = 30_000;
const PLAIN_HTTP_ANSWER = 'HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** A TCP server that accepts connections for `tlsServer` (which must not listen itself). */
export function plainHttpGuard(tlsServer: net.Server): net.Server {
  return net.createServer({ pauseOnConnect: true }, (socket) => {
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once('error', () => socket.destroy());
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      socket.setTimeout(0);
      if (first[0] === TLS_HANDSHAKE) {
        tlsServer.emit('connection', socket);
        return;
      }
      socket.end(PLAIN_HTTP_ANSWER);
      socket.once('finish', () => setTimeout(() => socket.destroy(), 1_000).unref());
    });
  });
}
