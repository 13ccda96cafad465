// A webhook receiver for tests: a real node:http server that records every POST, answers with a status
// the test chooses (202, or 500 to fail), and can go down and come back on the same port.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedEvent {
  id: string;
  timestamp: string;
  action: string;
  target: Record<string, unknown> & { repository: string };
  request: Record<string, unknown>;
  actor: Record<string, unknown>;
  source: Record<string, unknown>;
}

export interface ReceivedRequest {
  at: number;
  method: string;
  headers: IncomingHttpHeaders;
  /** What the receiver answered. */
  status: number;
  events: ReceivedEvent[];
}

export class EventReceiver {
  /** The status the next POSTs get. */
  status = 202;
  readonly requests: ReceivedRequest[] = [];
  private server: Server;
  private readonly sockets = new Set<Socket>();

  private boundPort = 0;

  private constructor() {
    this.server = this.createServer();
  }

  static async start(port = 0): Promise<EventReceiver> {
    const receiver = new EventReceiver();
    await receiver.listen(port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}/events`;
  }

  /** Events from requests that were answered 2xx, in arrival order. */
  get accepted(): ReceivedEvent[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300).flatMap((r) => r.events);
  }

  /** Stops listening and cuts open connections: deliveries meet "connection refused". */
  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    this.server = this.createServer();
    await this.listen(this.boundPort);
  }

  /** Waits until `accepted` satisfies `done`, or fails with what arrived. */
  async waitForAccepted(done: (events: ReceivedEvent[]) => boolean, timeoutMs = 10_000): Promise<ReceivedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.accepted)) {
      if (Date.now() > deadline) {
        throw new Error(`receiver: condition not met within ${timeoutMs} ms; accepted ${this.accepted.length} events: ${JSON.stringify(this.accepted.map((e) => [e.action, e.target.repository, e.target.digest ?? e.target.tag]))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.accepted;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : port;
  }

  private createServer(): Server {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let events: ReceivedEvent[] = [];
        try {
          events = (JSON.parse(text) as { events: ReceivedEvent[] }).events;
        } catch {
          events = [];
        }
        const status = this.status;
        this.requests.push({ at: Date.now(), method: req.method ?? '', headers: req.headers, status, events });
        res.writeHead(status, { 'Content-Length': 0 });
        res.end();
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }
}
