// The fault proxy's latency mode, against a plain HTTP server: each request is forwarded that much later, and
// the answer is the server's.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { startHttpFaultProxy } from '../src/http-fault-proxy.js';

describe('http fault proxy: latency', function () {
  it('forwards each request `ms` later and passes the answer through unchanged', async () => {
    const server = createServer((req, res) => res.end(`answer to ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const proxy = await startHttpFaultProxy(`http://127.0.0.1:${port}`);
    try {
      const timed = async (path: string): Promise<{ ms: number; text: string }> => {
        const started = performance.now();
        const text = await (await fetch(`${proxy.url}${path}`)).text();
        return { ms: performance.now() - started, text };
      };
      const fast = await timed('/a');
      proxy.setMode({ kind: 'latency', ms: 500 });
      const slow = await Promise.all([timed('/b'), timed('/c')]);
      expect(fast.text).to.equal('answer to /a');
      expect(fast.ms).to.be.below(450);
      for (const [i, answer] of slow.entries()) {
        expect(answer.text).to.equal(`answer to /${'bc'[i]}`);
        // Concurrent requests each wait once, not one after the other (that would take the second 1 s).
        expect(answer.ms).to.be.within(495, 950);
      }
      expect(proxy.requests.map((r) => r.path)).to.deep.equal(['/a', '/b', '/c']);
    } finally {
      await proxy.close();
      server.close();
    }
  });
});
