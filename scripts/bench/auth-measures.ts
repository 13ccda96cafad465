// The auth group: what authentication costs on the hottest read, a manifest GET by tag under wrk load.
// Five processes on copies of one small image: ours open, ours with htpasswd (Basic on every request),
// ours with the built-in token service (one Bearer token fetched before the load), the reference open and
// the reference with htpasswd. Both htpasswd files hold one bcrypt line of cost 10 for a random password.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from '@private-registry/testbed';
import { measurePair, progress, type Figure, type Sample, type Side, type Target } from './figures.js';
import { runLoad, type LoadSettings, type LoadTarget } from './load-generator.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type AuthSection, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { pushSmallImage } from './request-measures.js';
import { median } from './statistics.js';
import type { Comparison } from './results-report.js';

export interface AuthSettings extends LoadSettings {
  warmupSeconds: number;
  runs: number;
  scratchDir: string;
  dir: string;
  implementations: Record<RegistryKind, RegistryImplementation>;
  /** node --cpu-prof arguments for our servers (one profile per process, named by its pid). */
  oursNodeArgs: readonly string[];
}

const REPOSITORY = 'bench/small';
const MANIFEST_PATH = `/v2/${REPOSITORY}/manifests/latest`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const USER = 'bench';
const BCRYPT_COST = 10;
const SERVICE = 'bench-registry';
/** Long enough that the token fetched before the load outlives every run of a full bench. */
const TOKEN_EXPIRATION = '1h';

type Configuration = 'open' | 'basic' | 'bearer';

/** A registry process in one configuration, with the headers every request to it carries. */
interface AuthSide extends Side {
  configuration: Configuration;
  headers: Record<string, string>;
}

/** One bcrypt line made by the real `htpasswd -B`, the password on stdin (never in argv). */
async function writeHtpasswd(path: string, password: string): Promise<void> {
  const result = await runChecked('htpasswd', ['-niB', '-C', String(BCRYPT_COST), USER], { input: `${password}\n` });
  const line = result.stdout.split('\n').find((l) => l.startsWith(`${USER}:$2y$${BCRYPT_COST}$`));
  if (line === undefined) throw new Error(`htpasswd printed no cost-${BCRYPT_COST} bcrypt line for ${USER}`);
  await writeFile(path, `${line}\n`, { mode: 0o600 });
}

async function start(
  kind: RegistryKind,
  configuration: Configuration,
  settings: AuthSettings,
  auth: AuthSection | undefined,
  seedDataDir: string | undefined,
): Promise<AuthSide> {
  const dir = join(settings.dir, `auth-${kind}-${configuration}`);
  // The image pushed once into the open registry of the same kind; the store layout is the same for both kinds.
  if (seedDataDir !== undefined) await cp(seedDataDir, join(dir, 'data'), { recursive: true });
  const implementation = settings.implementations[kind];
  const nodeArgs = implementation === 'private-registry' ? settings.oursNodeArgs : [];
  const registry = await RegistryProcess.start(kind, implementation, dir, nodeArgs, auth === undefined ? {} : { auth });
  progress(`auth: ${kind} ${configuration}: ${implementation} pid ${registry.pid} at ${registry.baseUrl}`);
  return { kind, registry, client: new RegistryClient(registry.baseUrl), configuration, headers: { Accept: OCI_MANIFEST } };
}

/** The built-in token service: Basic credentials in, a pull token for the bench repository out. */
async function fetchToken(side: AuthSide, basic: string): Promise<string> {
  const query = new URLSearchParams({ service: SERVICE, scope: `repository:${REPOSITORY}:pull` });
  const reply = await side.client.request('GET', `/auth/token?${query.toString()}`, { Authorization: basic });
  if (reply.status !== 200) throw new Error(`${side.kind} token service: HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
  const token = (JSON.parse(reply.text) as { token?: unknown }).token;
  if (typeof token !== 'string' || token === '') throw new Error(`${side.kind} token service: no token in the answer`);
  return token;
}

/** Before any load: the manifest answers 200 with its headers and, where auth is on, 401 without them. */
async function check(side: AuthSide): Promise<void> {
  const what = `${side.kind} ${side.configuration}: GET ${MANIFEST_PATH}`;
  const reply = await side.client.request('GET', MANIFEST_PATH, side.headers);
  if (reply.status !== 200) throw new Error(`${what}: HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
  if (!String(reply.headers['content-type']).startsWith(OCI_MANIFEST)) throw new Error(`${what}: served as ${reply.headers['content-type']}`);
  if (side.configuration === 'open') return;
  const anonymous = await side.client.request('GET', MANIFEST_PATH, { Accept: OCI_MANIFEST });
  if (anonymous.status !== 401) throw new Error(`${what} without credentials: HTTP ${anonymous.status}, expected 401 (is auth on?)`);
}

const SMALL_REQUESTS: Target = { kind: 'ratio-at-least', ratio: 3, label: 'small requests ≥ 3× reference' };
const AUTH_OVERHEAD = { ratio: 0.8, label: 'auth costs ≤ 20% of the open rate' };

/** CPU seconds (user + system, every thread: bcrypt and WebCrypto run on libuv's pool) a process has used. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return ((fields[11] ?? 0) + (fields[12] ?? 0)) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A manifest GET figure, and the server's CPU time per request (µs, median of the measured runs) per side. */
interface ManifestMeasure {
  figure: Figure;
  cpuMicros: Partial<Record<RegistryKind, number>>;
}

/** One figure: the manifest GET on a pair (ours in one configuration, the reference in one). */
async function measureManifest(pair: readonly AuthSide[], id: string, label: string, settings: AuthSettings): Promise<ManifestMeasure> {
  progress(`auth: ${label}, ${settings.connections} connections, ${settings.seconds} s runs`);
  const errors: string[] = [];
  const headers = new Map(pair.map((side) => [side.kind, side.headers]));
  // CPU per request is robust to a busy machine where req/s is not: a repeated run replaces its entry.
  const cpuPerRun = new Map<RegistryKind, Map<number, number>>(pair.map((side) => [side.kind, new Map()]));
  const samples = await measurePair(pair, settings.runs, async (side, run) => {
    // Each side its own script file: the headers differ per side.
    const target: LoadTarget = { id: `${id}-${side.kind}`, method: 'GET', path: MANIFEST_PATH, headers: headers.get(side.kind) ?? {} };
    const seconds = run === 'warmup' ? settings.warmupSeconds : settings.seconds;
    const cpuBefore = cpuSeconds(side.registry.pid);
    const result = await runLoad(side.registry.baseUrl, target, { ...settings, seconds }, settings.scratchDir);
    const cpu = cpuSeconds(side.registry.pid) - cpuBefore;
    if (run !== 'warmup' && result.requestsPerSecond > 0) cpuPerRun.get(side.kind)?.set(run, (cpu / (result.requestsPerSecond * seconds)) * 1e6);
    if (result.errors) errors.push(`${side.kind}: ${result.errors}`);
    return result.requestsPerSecond;
  });
  for (const error of errors) console.error(`  ! ${error}`);
  const cpuMicros: Partial<Record<RegistryKind, number>> = {};
  for (const [kind, runs] of cpuPerRun) if (runs.size > 0) cpuMicros[kind] = median([...runs.values()]);
  const figure: Figure = {
    id: `auth.${id}`,
    label,
    unit: 'req/s',
    better: 'higher',
    ...samples,
    target: SMALL_REQUESTS,
    ...(errors.length > 0 ? { note: `errors during load: ${errors.join(' | ')}` } : {}),
  };
  return { figure, cpuMicros };
}

/** Ours with auth over ours open: by req/s (the target), and by server CPU per request (open's cost over auth's). */
function oursWithAuthOverOpen(id: string, label: string, withAuth: ManifestMeasure, open: ManifestMeasure): Comparison[] {
  const value = (sample: Sample | undefined): number => sample?.value ?? Number.NaN;
  const cpu = (measure: ManifestMeasure): number => measure.cpuMicros.ours ?? Number.NaN;
  return [
    {
      id,
      label,
      numerator: { label: `${withAuth.figure.label}, ours req/s`, value: value(withAuth.figure.ours) },
      denominator: { label: `${open.figure.label}, ours req/s`, value: value(open.figure.ours) },
      target: AUTH_OVERHEAD,
    },
    {
      id: `${id}.cpu`,
      label: `${label}, by server CPU per request`,
      // Requests per CPU-second: with auth over open, so that it reads like the req/s ratio above.
      numerator: { label: `with auth: ${cpu(withAuth).toFixed(0)} µs CPU/request`, value: 1 / cpu(withAuth) },
      denominator: { label: `no auth: ${cpu(open).toFixed(0)} µs CPU/request`, value: 1 / cpu(open) },
    },
  ];
}

export async function measureAuth(settings: AuthSettings): Promise<{ figures: Figure[]; comparisons: Comparison[] }> {
  const password = randomBytes(18).toString('base64url');
  const htpasswdPath = join(settings.dir, 'auth-htpasswd');
  await writeHtpasswd(htpasswdPath, password);
  const basic = `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`;
  const htpasswd: AuthSection = { realm: 'bench', htpasswdPath };
  const withToken: AuthSection = { ...htpasswd, token: { service: SERVICE, issuer: 'bench-issuer', expiration: TOKEN_EXPIRATION } };
  const oursIsOurs = settings.implementations.ours === 'private-registry';

  const sides: AuthSide[] = [];
  try {
    const layer = randomBytes(4096);
    const open: Partial<Record<RegistryKind, AuthSide>> = {};
    for (const kind of ['ours', 'reference'] as const) {
      const side = await start(kind, 'open', settings, undefined, undefined);
      sides.push(side);
      await pushSmallImage(side, layer);
      open[kind] = side;
    }
    const oursBasic = await start('ours', 'basic', settings, htpasswd, open.ours!.registry.dataDir);
    const referenceBasic = await start('reference', 'basic', settings, htpasswd, open.reference!.registry.dataDir);
    sides.push(oursBasic, referenceBasic);
    oursBasic.headers = { ...oursBasic.headers, Authorization: basic };
    referenceBasic.headers = { ...referenceBasic.headers, Authorization: basic };
    // distribution's token auth needs an external token server; with --ours-reference there is no Bearer side.
    let oursBearer: AuthSide | undefined;
    if (oursIsOurs) {
      oursBearer = await start('ours', 'bearer', settings, withToken, open.ours!.registry.dataDir);
      sides.push(oursBearer);
      oursBearer.headers = { ...oursBearer.headers, Authorization: `Bearer ${await fetchToken(oursBearer, basic)}` };
    }
    for (const side of sides) await check(side);

    const openMeasure = await measureManifest([open.ours!, open.reference!], 'open', 'GET manifest, no auth', settings);
    const basicMeasure = await measureManifest([oursBasic, referenceBasic], 'basic', 'GET manifest, htpasswd (Basic)', settings);
    const measures = [openMeasure, basicMeasure];
    const comparisons = oursWithAuthOverOpen('auth.basic-over-open', 'ours Basic / ours open', basicMeasure, openMeasure);
    if (oursBearer !== undefined) {
      const label = 'GET manifest, ours Bearer (built-in token) vs reference Basic';
      const bearerMeasure = await measureManifest([oursBearer, referenceBasic], 'bearer', label, settings);
      measures.push(bearerMeasure);
      comparisons.push(...oursWithAuthOverOpen('auth.bearer-over-open', 'ours Bearer / ours open', bearerMeasure, openMeasure));
    }
    const cpuNote = (measure: ManifestMeasure): string =>
      (['ours', 'reference'] as const).map((kind) => `${kind} ${measure.cpuMicros[kind]?.toFixed(0) ?? 'n/a'} µs`).join(', ');
    for (const measure of measures) {
      const note = `server CPU per request: ${cpuNote(measure)}`;
      measure.figure.note = measure.figure.note === undefined ? note : `${note}; ${measure.figure.note}`;
    }
    return { figures: measures.map((measure) => measure.figure), comparisons };
  } finally {
    for (const side of sides) await side.registry.stop();
  }
}
