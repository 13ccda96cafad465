// A browser's view of the web UI for the bench: one kept-alive loopback connection (no connect in any timed
// request), the session cookie carried from answer to answer, a login through the form, and each GET timed
// from the request to the last byte of the body.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const SESSION_COOKIE = 'registry_ui_session';

export interface TimedPage {
  status: number;
  /** Request written → last body byte received, in ms. */
  ms: number;
  /** Body bytes (the HTML as sent; the UI does not compress). */
  bytes: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

export class UiBrowser {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private cookie: string | undefined;

  constructor(readonly baseUrl: string) {}

  get(path: string): Promise<TimedPage> {
    return this.send('GET', path);
  }

  /** Opens the connection (a request outside the UI, which warms none of its caches). */
  async connect(): Promise<void> {
    const page = await this.get('/v2/');
    if (page.status !== 200 && page.status !== 401) throw new Error(`GET /v2/: HTTP ${page.status}`);
  }

  /** Logs in with the form at /ui/login (its hidden _csrf from the GET before); throws unless the UI redirects. */
  async logIn(user: string, password: string): Promise<void> {
    const form = await this.get('/ui/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    if (form.status !== 200 || csrf === undefined) throw new Error(`GET /ui/login: HTTP ${form.status}, ${csrf === undefined ? 'no _csrf field' : ''}`);
    const body = new URLSearchParams({ _csrf: csrf, username: user, password, next: '' }).toString();
    const answer = await this.send('POST', '/ui/login', body);
    if (answer.status !== 303) throw new Error(`POST /ui/login: HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, body?: string): Promise<TimedPage> {
    const headers: http.OutgoingHttpHeaders = { Accept: 'text/html' };
    if (this.cookie !== undefined) headers['Cookie'] = `${SESSION_COOKIE}=${this.cookie}`;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const request = http.request(new URL(path, this.baseUrl), { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => {
          const ms = performance.now() - started;
          this.keepCookie(response.headers['set-cookie']);
          const content = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, ms, bytes: content.length, text: content.toString('utf8'), headers: response.headers });
        });
        response.once('error', reject);
      });
      request.once('error', reject);
      request.end(body);
    });
  }

  private keepCookie(setCookie: readonly string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const match = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(line);
      if (match?.[1] !== undefined) this.cookie = match[1];
    }
  }
}
