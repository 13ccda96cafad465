import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@private-registry/testbed';
import { BearerTokens } from '../../src/mirror/bearer-tokens.js';
import { UpstreamError } from '../../src/mirror/upstream-error.js';
import type { Challenge } from '../../src/mirror/www-authenticate.js';

interface SeenRequest {
  url: URL;
  authorization: string | undefined;
}

interface Answer {
  status?: number;
  /** An object is sent as JSON, a string as it is. */
  body?: unknown;
  delayMs?: number;
}

/** A token service whose answer each test scripts; it records what it was asked. */
class ScriptedTokenService {
  readonly seen: SeenRequest[] = [];
  answer: (request: SeenRequest) => Answer = () => ({ body: { token: `token-${this.seen.length}`, expires_in: 300 } });

  private constructor(
    private readonly server: Server,
    readonly realm: string,
  ) {}

  static async start(): Promise<ScriptedTokenService> {
    let service: ScriptedTokenService | undefined;
    const server = createServer((req, res) => void service?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    service = new ScriptedTokenService(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`);
    return service;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = { url: new URL(req.url ?? '/', this.realm), authorization: req.headers.authorization };
    this.seen.push(request);
    const answer = this.answer(request);
    if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json' });
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {}));
  }

  challenge(params: Record<string, string> = {}): Challenge {
    return { scheme: 'bearer', params: { realm: this.realm, service: 'upstream.example', ...params } };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const PULL = 'repository:library/busybox:pull';
const CREDENTIALS = { username: 'mirror-bot', password: 's3cret-pa55' };

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let current = start;
  return { now: () => current, advance: (ms) => void (current += ms) };
}

async function rejection(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(UpstreamError);
    return err as UpstreamError;
  }
  expect.fail('expected the token fetch to fail');
}

describe('bearer tokens from an upstream\'s token service', () => {
  let service: ScriptedTokenService;

  beforeEach(async () => {
    service = await ScriptedTokenService.start();
  });
  afterEach(async () => {
    await service.stop();
  });

  it('asks the realm for the service and scope, with the credentials as basic auth', async () => {
    const tokens = new BearerTokens('upstream.example', CREDENTIALS, 5_000);

    const token = await tokens.token(service.challenge(), PULL);

    expect(token).to.equal('token-1');
    expect(service.seen).to.have.length(1);
    const [seen] = service.seen;
    expect(seen?.url.pathname).to.equal('/token');
    expect(seen?.url.searchParams.get('service')).to.equal('upstream.example');
    expect(seen?.url.searchParams.get('scope')).to.equal(PULL);
    expect(seen?.authorization).to.equal(`Basic ${Buffer.from('mirror-bot:s3cret-pa55').toString('base64')}`);
  });

  it('asks anonymously when no credentials are configured', async () => {
    await new BearerTokens('upstream.example', undefined, 5_000).token(service.challenge(), PULL);
    expect(service.seen[0]?.authorization).to.equal(undefined);
  });

  it('keeps query parameters the realm already has', async () => {
    const challenge = service.challenge({ realm: `${service.realm}?account=mirror` });
    await new BearerTokens('upstream.example', undefined, 5_000).token(challenge, PULL);
    expect(service.seen[0]?.url.searchParams.get('account')).to.equal('mirror');
    expect(service.seen[0]?.url.searchParams.get('scope')).to.equal(PULL);
  });

  it('reuses a token for the same scope and fetches one per other scope or service', async () => {
    const tokens = new BearerTokens('upstream.example', CREDENTIALS, 5_000);

    const first = await tokens.token(service.challenge(), PULL);
    const again = await tokens.token(service.challenge(), PULL);
    const otherScope = await tokens.token(service.challenge(), 'repository:library/alpine:pull');
    const otherService = await tokens.token(service.challenge({ service: 'other.example' }), PULL);

    expect(again).to.equal(first);
    expect(new Set([first, otherScope, otherService]).size).to.equal(3);
    expect(service.seen.map((s) => [s.url.searchParams.get('service'), s.url.searchParams.get('scope')])).to.deep.equal([
      ['upstream.example', PULL],
      ['upstream.example', 'repository:library/alpine:pull'],
      ['other.example', PULL],
    ]);
  });

  it('makes one request for 20 concurrent callers of the same scope', async () => {
    service.answer = () => ({ body: { token: 'shared', expires_in: 300 }, delayMs: 100 });
    const tokens = new BearerTokens('upstream.example', CREDENTIALS, 5_000);

    const all = await Promise.all(Array.from({ length: 20 }, () => tokens.token(service.challenge(), PULL)));

    expect(new Set(all)).to.deep.equal(new Set(['shared']));
    expect(service.seen).to.have.length(1);
  });

  it('renews a token 10 s before it expires', async () => {
    const clock = manualClock();
    const tokens = new BearerTokens('upstream.example', CREDENTIALS, 5_000, clock.now);

    expect(await tokens.token(service.challenge(), PULL)).to.equal('token-1');
    clock.advance(289_999);
    expect(await tokens.token(service.challenge(), PULL)).to.equal('token-1');
    clock.advance(1);
    expect(await tokens.token(service.challenge(), PULL)).to.equal('token-2');
    expect(service.seen).to.have.length(2);
  });

  it('assumes 60 s when expires_in is missing or makes no sense', async () => {
    for (const expiresIn of [undefined, 0, -5, '300']) {
      const clock = manualClock();
      const tokens = new BearerTokens('upstream.example', undefined, 5_000, clock.now);
      service.answer = () => ({ body: { token: `token-${service.seen.length}`, expires_in: expiresIn } });
      const before = service.seen.length;

      await tokens.token(service.challenge(), PULL);
      clock.advance(49_999);
      await tokens.token(service.challenge(), PULL);
      expect(service.seen.length - before, `expires_in ${String(expiresIn)}, at 49.999 s`).to.equal(1);
      clock.advance(1);
      await tokens.token(service.challenge(), PULL);
      expect(service.seen.length - before, `expires_in ${String(expiresIn)}, at 50 s`).to.equal(2);
    }
  });

  it('reuses a short-lived token for the first half of its life', async () => {
    service.answer = () => ({ body: { token: `token-${service.seen.length}`, expires_in: 4 } });
    const clock = manualClock();
    const tokens = new BearerTokens('upstream.example', undefined, 5_000, clock.now);

    await tokens.token(service.challenge(), PULL);
    clock.advance(1_999);
    await tokens.token(service.challenge(), PULL);
    expect(service.seen).to.have.length(1);
    clock.advance(1);
    await tokens.token(service.challenge(), PULL);
    expect(service.seen).to.have.length(2);
  });

  it('accepts OAuth\'s access_token, and prefers token when both are sent', async () => {
    service.answer = () => ({ body: { access_token: 'oauth-style', expires_in: 300 } });
    expect(await new BearerTokens('u', undefined, 5_000).token(service.challenge(), PULL)).to.equal('oauth-style');

    service.answer = () => ({ body: { token: 'docker-style', access_token: 'oauth-style', expires_in: 300 } });
    expect(await new BearerTokens('u', undefined, 5_000).token(service.challenge(), PULL)).to.equal('docker-style');
  });

  it('fetches a new token after invalidate', async () => {
    const tokens = new BearerTokens('upstream.example', undefined, 5_000);
    expect(await tokens.token(service.challenge(), PULL)).to.equal('token-1');
    tokens.invalidate(service.challenge(), PULL);
    expect(await tokens.token(service.challenge(), PULL)).to.equal('token-2');
  });

  describe('failures, classified and never cached', () => {
    it('401 and 403 from the token service are UPSTREAM_AUTH with the status, and no password in the message', async () => {
      for (const status of [401, 403]) {
        service.answer = () => ({ status, body: { errors: [{ code: 'UNAUTHORIZED' }] } });
        const err = await rejection(new BearerTokens('upstream.example', CREDENTIALS, 5_000).token(service.challenge(), PULL));
        expect(err.code).to.equal('UPSTREAM_AUTH');
        expect(err.status).to.equal(status);
        expect(err.message).to.include('upstream.example').and.not.include(CREDENTIALS.password);
      }
    });

    it('5xx from the token service is UPSTREAM_FAILED, so cached content may be served', async () => {
      service.answer = () => ({ status: 502, body: 'bad gateway' });
      const err = await rejection(new BearerTokens('upstream.example', undefined, 5_000).token(service.challenge(), PULL));
      expect(err.code).to.equal('UPSTREAM_FAILED');
      expect(err.status).to.equal(502);
      expect(err.isOutage).to.equal(true);
    });

    it('a 200 without a token is UPSTREAM_AUTH (empty object, empty token, null, not JSON)', async () => {
      for (const body of [{}, { token: '' }, { token: 42 }, 'null', 'not json']) {
        service.answer = () => ({ body });
        const err = await rejection(new BearerTokens('upstream.example', undefined, 5_000).token(service.challenge(), PULL));
        expect(err.code, JSON.stringify(body)).to.equal('UPSTREAM_AUTH');
        expect(err.message).to.include('returned no token');
      }
    });

    it('a challenge without a realm, or with one that is not a URL, is UPSTREAM_AUTH without a request', async () => {
      const tokens = new BearerTokens('upstream.example', undefined, 5_000);
      expect((await rejection(tokens.token({ scheme: 'bearer', params: { service: 's' } }, PULL))).code).to.equal('UPSTREAM_AUTH');
      expect((await rejection(tokens.token(service.challenge({ realm: 'not a url' }), PULL))).code).to.equal('UPSTREAM_AUTH');
      expect(service.seen).to.have.length(0);
    });

    it('a token service that is down or too slow is UPSTREAM_UNREACHABLE', async () => {
      const closed = { scheme: 'bearer', params: { realm: `http://127.0.0.1:${await freePort()}/token` } };
      expect((await rejection(new BearerTokens('u', undefined, 5_000).token(closed, PULL))).code).to.equal('UPSTREAM_UNREACHABLE');

      service.answer = () => ({ body: { token: 'late' }, delayMs: 1_000 });
      const err = await rejection(new BearerTokens('u', undefined, 200).token(service.challenge(), PULL));
      expect(err.code).to.equal('UPSTREAM_UNREACHABLE');
    });

    it('concurrent callers share one failure, and the next call asks again', async () => {
      service.answer = () => ({ status: 500, delayMs: 50 });
      const tokens = new BearerTokens('upstream.example', undefined, 5_000);

      const results = await Promise.allSettled(Array.from({ length: 5 }, () => tokens.token(service.challenge(), PULL)));
      expect(results.map((r) => r.status)).to.deep.equal(Array(5).fill('rejected'));
      expect(service.seen).to.have.length(1);

      service.answer = () => ({ body: { token: 'recovered', expires_in: 300 } });
      expect(await tokens.token(service.challenge(), PULL)).to.equal('recovered');
      expect(service.seen).to.have.length(2);
    });
  });
});
