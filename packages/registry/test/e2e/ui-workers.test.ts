// The web UI under http.workers: several processes start on an empty store at once, each may make a session
// key, and a login made by one worker must hold on every other (they settle on the key that stayed in the store).
import { request } from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import { cleanupTestbed, startRegistryProcess, tempDir, writeHtpasswdFile, type RegistryProcess } from '@private-registry/testbed';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a connection of its own (so consecutive requests reach different workers). */
function send(url: string, options: { method?: string; cookie?: string; form?: Record<string, string> } = {}): Promise<Answer> {
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: {
          Connection: 'close',
          ...(options.cookie ? { Cookie: options.cookie } : {}),
          ...(body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function cookieOf(answer: Answer): string {
  const header = answer.headers['set-cookie'];
  const line = (Array.isArray(header) ? header : [header ?? ''])[0] ?? '';
  return line.split(';', 1)[0] as string;
}

describe('web UI under http.workers @e2e', function () {
  this.timeout(60_000);
  let registry: RegistryProcess;

  before(async () => {
    const htpasswd = join((await tempDir('ui-workers')).path, 'htpasswd');
    await writeHtpasswdFile(htpasswd, [{ user: 'ops', password: 'ops-password-1' }]);
    registry = await startRegistryProcess({
      config: {
        http: { workers: 2 },
        auth: { htpasswd: { realm: 'ui-workers', path: htpasswd }, access: [{ repository: ['**'], users: ['ops'], actions: ['admin'] }] },
        notifications: { endpoints: [{ name: 'audit', url: 'http://127.0.0.1:9/events', timeout: '1s', threshold: 3, backoff: '1s' }] },
      },
    });
  });
  after(cleanupTestbed);

  it('keeps a login made on one worker valid on every worker', async () => {
    // The workers read the key that stayed in the store two seconds after they started.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const form = await send(`${registry.url}/ui/login`);
    expect(form.status).to.equal(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    let cookie = cookieOf(form);
    // The login form may come from another worker than the POST: its CSRF token must hold there too.
    const login = await send(`${registry.url}/ui/login`, { method: 'POST', cookie, form: { _csrf: csrf, username: 'ops', password: 'ops-password-1', next: '' } });
    expect(login.status, login.body.slice(0, 300)).to.equal(303);
    cookie = cookieOf(login);
    const pages = await Promise.all(Array.from({ length: 16 }, () => send(`${registry.url}/ui/`, { cookie })));
    for (const page of pages) {
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Signed in as <strong>ops</strong>');
      expect(page.headers['set-cookie'], 'no worker replaced the session').to.equal(undefined);
    }
    // The status page of a worker: the queues are the primary's, and it says where their figures are.
    const status = await send(`${registry.url}/ui/status`, { cookie });
    expect(status.status).to.equal(200);
    expect(status.body).to.include('Endpoints: audit. The primary process keeps the queues and delivers (this page comes from one of 2 workers)');
  });
});
