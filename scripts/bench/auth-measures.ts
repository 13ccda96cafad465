// Authentication's cost on the hot path: requests/s of a manifest GET by tag with no auth, with htpasswd
// (a Basic header on every request: one bcrypt per connection's first use, then our verified-pair cache),
// and with a bearer token from our built-in token service (a JWT signature check per request), ours and
// the reference (distribution 2.8, which has no token service of its own: its htpasswd is the comparison
// for both). The data is pushed once while the registries are open; each configuration restarts them on it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { measurePair, progress, type Figure, type Side } from './figures.js';
import { runLoad, type LoadSettings, type LoadTarget } from './load-generator.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type RegistryConfigOptions, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { OCI_MANIFEST, pushSmallImage, REPOSITORY } from './request-measures.js';

export interface AuthSettings extends LoadSettings {
  warmupSeconds: number;
  runs: number;
  scratchDir: string;
  implementations: Record<RegistryKind, RegistryImplementation>;
  dir: string;
}

const USER = 'bench';
const PATH = `/v2/${REPOSITORY}/manifests/latest`;

type Mode = 'open' | 'basic' | 'bearer';

async function startSides(settings: AuthSettings, configFor: (kind: RegistryKind) => RegistryConfigOptions): Promise<Side[]> {
  const sides: Side[] = [];
  for (const kind of ['ours', 'reference'] as const) {
    const registry = await RegistryProcess.start(kind, settings.implementations[kind], join(settings.dir, 'auth', kind), [], configFor(kind));
    sides.push({ kind, registry, client: new RegistryClient(registry.baseUrl) });
  }
  return sides;
}

async function bearerToken(baseUrl: string, password: string): Promise<string> {
  const url = `${baseUrl}/auth/token?service=bench&scope=repository:${REPOSITORY}:pull`;
  const response = await fetch(url, { headers: { Authorization: basicHeader(password) } });
  if (response.status !== 200) throw new Error(`token service: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

function basicHeader(password: string): string {
  return `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`;
}

async function measureMode(sides: readonly Side[], mode: Mode, headersOf: (side: Side) => Promise<Record<string, string>>, settings: AuthSettings): Promise<Figure> {
  const label = { open: 'GET manifest, no auth', basic: 'GET manifest, htpasswd (Basic)', bearer: 'GET manifest, ours Bearer (token service) vs reference Basic' }[mode];
  progress(`auth: ${label}, ${settings.connections} connections, ${settings.seconds} s runs`);
  const targets = new Map<RegistryKind, LoadTarget>();
  for (const side of sides) {
    const headers = { Accept: OCI_MANIFEST, ...(await headersOf(side)) };
    const check = await side.client.request('GET', PATH, headers);
    if (check.status !== 200) throw new Error(`${side.kind} (${mode}): GET manifest answered ${check.status}`);
    targets.set(side.kind, { id: `auth-${mode}-${side.kind}`, method: 'GET', path: PATH, headers });
  }
  const errors: string[] = [];
  const samples = await measurePair(sides, settings.runs, async (side, run) => {
    const seconds = run === 'warmup' ? settings.warmupSeconds : settings.seconds;
    const result = await runLoad(side.registry.baseUrl, targets.get(side.kind) as LoadTarget, { ...settings, seconds }, settings.scratchDir);
    if (result.errors) errors.push(`${side.kind}: ${result.errors}`);
    return result.requestsPerSecond;
  });
  return {
    id: `auth.${mode}`,
    label,
    unit: 'req/s',
    better: 'higher',
    ...samples,
    ...(mode === 'open' ? {} : { target: { kind: 'ratio-at-least' as const, ratio: 3, label: 'authenticated ≥ 3× reference with htpasswd' } }),
    ...(errors.length > 0 ? { note: `errors during load: ${errors.join(' | ')}` } : {}),
  };
}

export async function measureAuth(settings: AuthSettings): Promise<Figure[]> {
  const password = randomBytes(12).toString('hex');
  const htpasswdPath = join(settings.dir, 'auth-htpasswd');
  // bcrypt cost 10 on both sides; the password goes on stdin, never in argv.
  const line = execFileSync('htpasswd', ['-niB', '-C', '10', USER], { input: `${password}\n`, encoding: 'utf8' }).trim();
  await writeFile(htpasswdPath, `${line}\n`, { mode: 0o600 });
  const figures: Figure[] = [];

  let sides = await startSides(settings, () => ({}));
  const layer = randomBytes(4096);
  for (const side of sides) await pushSmallImage(side, layer);
  figures.push(await measureMode(sides, 'open', async () => ({}), settings));
  for (const side of sides) await side.registry.stop();

  sides = await startSides(settings, (kind) => ({ auth: { htpasswdPath, builtinTokenService: kind === 'ours' } }));
  try {
    figures.push(await measureMode(sides, 'basic', async () => ({ Authorization: basicHeader(password) }), settings));
    figures.push(
      await measureMode(sides, 'bearer', async (side) => ({ Authorization: side.kind === 'ours' ? `Bearer ${await bearerToken(side.registry.baseUrl, password)}` : basicHeader(password) }), settings),
    );
  } finally {
    for (const side of sides) await side.registry.stop();
  }
  const open = figures[0]?.ours?.value ?? Number.NaN;
  for (const figure of figures.slice(1)) {
    const own = (figure.ours?.value ?? Number.NaN) / open;
    const note = `ours with auth / ours without: ${own.toFixed(2)}× (target ≥ 0.8×: ${own >= 0.8 ? 'PASS' : 'FAIL'})`;
    figure.note = figure.note === undefined ? note : `${note}; ${figure.note}`;
  }
  return figures;
}
