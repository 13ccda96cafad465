// The web UI group: how long our UI's pages take on a store of 10,000 repositories (ui-store.ts). Ours only:
// distribution has no UI, so there is no side-by-side and the target (under 100 ms) is absolute. Every run starts
// a fresh registry for one page, so its first request finds the process's caches empty (cold), then times more
// requests of that page (warm: median and p95). Time = request written → last body byte, by a client on one
// kept-alive loopback connection, beside the server's own `ms` from its access log. Two configurations: the open
// registry, and htpasswd auth with an admin logged in through the form (the access policy runs per repository).
import { randomBytes } from 'node:crypto';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeHtpasswdFile } from '@private-registry/testbed';
import { loggedSince, logMark } from './access-log-durations.js';
import { measurePair, PerRun, progress, type Figure, type Sample, type Side } from './figures.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type RegistryConfigOptions, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { median, sleep } from './statistics.js';
import { callsBetween, debugListenerEnv, describeCalls, storageCalls, totalCalls, type StorageCalls } from './storage-call-counter.js';
import { UiBrowser } from './ui-browser.js';
import { checkPage, uiPages, type UiPage } from './ui-pages.js';
import { uiSummaryTable, type PageResult } from './ui-summary.js';
import { writeUiStore, type UiStore } from './ui-store.js';

export interface UiSettings {
  dir: string;
  runs: number;
  /** One-tag repositories in the store (the target speaks of 10,000). */
  repositories: number;
  /** Tags of the large repository. */
  tags: number;
  /** Requests after the first in each run (their median and p95 are the warm figures). */
  warmRequests: number;
  implementations: Record<RegistryKind, RegistryImplementation>;
  /** node --cpu-prof arguments for our servers (one profile per process). */
  oursNodeArgs: readonly string[];
}

export const UI_TARGET_MS = 100;
const ADMIN = 'admin';
// The admin role everywhere for the one user, and pull for every user on the teams' repositories: two rules
// match each team repository, so the policy really compares rules (REGISTRY_AUTH_ACCESS: a YAML value).
const ACCESS_RULES = '[{repository: ["**"], users: ["admin"], actions: ["admin"]}, {repository: ["team-*/**"], users: ["*"], actions: ["pull"]}]';
const NO_REFERENCE = 'the reference registry has no web UI: no side-by-side, the targets are absolute';
const TIMING = 'client ms: request written → last body byte, one kept-alive loopback connection; access log ms: the server\'s own, from the request\'s start to the response\'s close';

/** How one configuration's registries start: its directory (data = the shared store), config and variables. */
export interface Deployment {
  id: string;
  label: string;
  dir: string;
  config: RegistryConfigOptions;
  env: Record<string, string>;
  /** The admin's password (htpasswd configuration). */
  password?: string;
}

/**
 * Sets REGISTRY_* variables for one start: RegistryProcess writes the bench's config (log level error) and passes
 * our environment on, and distribution's variables override the file. The access log is an info line.
 */
async function withEnv<T>(variables: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.keys(variables).map((key) => [key, process.env[key]] as const);
  Object.assign(process.env, variables);
  try {
    return await work();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

export function startRegistry(deployment: Deployment, settings: Pick<UiSettings, 'oursNodeArgs'>, env: Record<string, string> = {}): Promise<RegistryProcess> {
  const variables = { REGISTRY_LOG_LEVEL: 'info', ...deployment.env, ...env };
  return withEnv(variables, () => RegistryProcess.start('ours', 'private-registry', deployment.dir, settings.oursNodeArgs, { ...deployment.config, accessLog: true }));
}

export async function openBrowser(registry: RegistryProcess, deployment: Deployment): Promise<UiBrowser> {
  const browser = new UiBrowser(registry.baseUrl);
  await browser.connect();
  if (deployment.password !== undefined) await browser.logIn(ADMIN, deployment.password);
  return browser;
}

async function deployments(settings: UiSettings, store: UiStore): Promise<Deployment[]> {
  const password = randomBytes(18).toString('base64url');
  const htpasswdPath = join(settings.dir, 'ui-htpasswd');
  await writeHtpasswdFile(htpasswdPath, [{ user: ADMIN, password }]);
  const all: Deployment[] = [
    { id: 'open', label: 'open registry', dir: join(settings.dir, 'ui-open'), config: {}, env: {} },
    {
      id: 'admin',
      label: 'htpasswd, admin logged in',
      dir: join(settings.dir, 'ui-admin'),
      config: { auth: { realm: 'bench', htpasswdPath } },
      env: { REGISTRY_AUTH_ACCESS: ACCESS_RULES },
      password,
    },
  ];
  for (const deployment of all) {
    await mkdir(deployment.dir, { recursive: true });
    await symlink(store.root, join(deployment.dir, 'data'));
  }
  return all;
}

/** Every page answers as it should; returns the stopped registry (the side measurePair accounts for) and the page sizes. */
export async function checkDeployment(deployment: Deployment, settings: Pick<UiSettings, 'oursNodeArgs'>, pages: readonly UiPage[]): Promise<{ side: Side; bytes: Map<string, number> }> {
  const registry = await startRegistry(deployment, settings);
  const bytes = new Map<string, number>();
  try {
    if (deployment.password !== undefined) {
      const stranger = new UiBrowser(registry.baseUrl);
      const anonymous = await stranger.get('/ui/');
      stranger.close();
      if (anonymous.status !== 303) throw new Error(`ui ${deployment.id}: GET /ui/ without a session: HTTP ${anonymous.status}, expected a redirect to the login (is auth on?)`);
    }
    const browser = await openBrowser(registry, deployment);
    // The status page is for administrators only: the access rules (REGISTRY_AUTH_ACCESS) made the user one.
    const status = await browser.get('/ui/status');
    if (status.status !== 200) throw new Error(`ui ${deployment.id}: GET /ui/status: HTTP ${status.status} (is the user an admin?)`);
    for (const page of pages) {
      const answer = await browser.get(page.path);
      checkPage(page, answer.status, answer.text);
      bytes.set(page.id, answer.bytes);
    }
    browser.close();
  } finally {
    await registry.stop();
  }
  return { side: { kind: 'ours', registry, client: new RegistryClient(registry.baseUrl) }, bytes };
}

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * One page in one configuration: each run a fresh registry, its first request (cold) and `warmRequests` more.
 * `alsoBench`: pids working for the bench beside the registry (s3rver), whose CPU is not other work.
 */
export async function timePage(
  side: Side,
  deployment: Deployment,
  page: UiPage,
  settings: Pick<UiSettings, 'runs' | 'warmRequests' | 'oursNodeArgs'>,
  alsoBench: readonly number[] = [],
): Promise<Omit<PageResult, 'bytes' | 'calls'>> {
  const cold = new PerRun();
  const p95 = new PerRun();
  const logCold = new PerRun();
  const logWarm = new PerRun();
  const logPath = join(deployment.dir, 'server.log');
  const measured = await measurePair([side], settings.runs, async (_side, run) => {
    const mark = logMark(logPath);
    const registry = await startRegistry(deployment, settings);
    const warm: number[] = [];
    let first: number;
    try {
      const browser = await openBrowser(registry, deployment);
      const answer = await browser.get(page.path);
      checkPage(page, answer.status, answer.text);
      first = answer.ms;
      for (let i = 0; i < settings.warmRequests; i += 1) {
        const again = await browser.get(page.path);
        if (again.status !== 200) throw new Error(`${page.path}: HTTP ${again.status} on request ${i + 2}`);
        warm.push(again.ms);
      }
      browser.close();
    } finally {
      await registry.stop();
    }
    const logged = loggedSince(logPath, mark).filter((entry) => entry.method === 'GET' && entry.url === page.path);
    if (logged.length !== settings.warmRequests + 1) throw new Error(`${page.path}: ${logged.length} access log lines, expected ${settings.warmRequests + 1}`);
    cold.add(side, run, first);
    p95.add(side, run, percentile(warm, 0.95));
    logCold.add(side, run, logged[0]!.ms);
    logWarm.add(side, run, median(logged.slice(1).map((entry) => entry.ms)));
    return median(warm);
  }, undefined, alsoBench);
  return {
    page,
    deployment: deployment.label,
    warm: measured.ours,
    p95: p95.sample(measured, 'ours'),
    cold: cold.sample(measured, 'ours'),
    logWarm: logWarm.sample(measured, 'ours'),
    logCold: logCold.sample(measured, 'ours'),
  };
}

/** Storage calls of a page's first and second request, on a registry of its own with the debug listener on. */
async function countCalls(deployment: Deployment, page: UiPage, settings: UiSettings): Promise<{ cold: StorageCalls; warm: StorageCalls }> {
  const { env, metricsUrl } = await debugListenerEnv();
  const registry = await startRegistry(deployment, settings, env);
  try {
    const browser = await openBrowser(registry, deployment);
    const idle = await storageCalls(metricsUrl);
    const before = await storageCalls(metricsUrl);
    // A scrape must not itself reach the store, or every count below would be off by it.
    if (totalCalls(callsBetween(idle, before)) > 0) throw new Error(`ui: reading ${metricsUrl} made storage calls: ${describeCalls(callsBetween(idle, before))}`);
    await browser.get(page.path);
    const afterCold = await storageCalls(metricsUrl);
    await browser.get(page.path);
    const afterWarm = await storageCalls(metricsUrl);
    browser.close();
    return { cold: callsBetween(before, afterCold), warm: callsBetween(afterCold, afterWarm) };
  } finally {
    await registry.stop();
  }
}

function figure(id: string, label: string, sample: Sample | undefined, extra: Partial<Figure> = {}): Figure {
  return { id, label, unit: 'ms', better: 'lower', ours: sample, reference: undefined, ...extra };
}

function figuresOf(result: PageResult, deploymentId: string): Figure[] {
  const base = `ui.${deploymentId}.${result.page.id}`;
  const label = `${result.page.label}, ${result.deployment}`;
  const calls = result.calls === undefined ? '' : `; storage calls, cold ${describeCalls(result.calls.cold)}, warm ${describeCalls(result.calls.warm)}`;
  return [
    figure(`${base}.warm`, `${label}, warm median`, result.warm, {
      target: { kind: 'ours-below', value: UI_TARGET_MS, label: `a UI page in under ${UI_TARGET_MS} ms with 10,000 repositories` },
      note: `${result.bytes.toLocaleString('en')} bytes${calls}`,
    }),
    figure(`${base}.warm-p95`, `${label}, warm p95`, result.p95),
    figure(`${base}.cold`, `${label}, cold (first request after start)`, result.cold, {
      target: { kind: 'ours-below', value: UI_TARGET_MS, label: `also cold, under ${UI_TARGET_MS} ms (not the issue's target)` },
    }),
    figure(`${base}.log-warm`, `${label}, warm median, access log ms`, result.logWarm),
    figure(`${base}.log-cold`, `${label}, cold, access log ms`, result.logCold),
  ];
}

export async function measureUi(settings: UiSettings): Promise<Figure[]> {
  if (settings.implementations.ours !== 'private-registry') {
    progress('ui: skipped (ours is a reference registry, which has no web UI)');
    return [];
  }
  const started = performance.now();
  const root = join(settings.dir, 'ui-store');
  const store = writeUiStore(root, { repositories: settings.repositories, tags: settings.tags });
  const fillSeconds = (performance.now() - started) / 1000;
  progress(`ui: ${settings.repositories.toLocaleString('en')} repositories, ${settings.tags.toLocaleString('en')} tags and an index written in ${fillSeconds.toFixed(1)} s (${store.files.toLocaleString('en')} files)`);
  // The filesystem driver keeps a directory listing only once its mtime is 2 s old: let the fill settle first.
  await sleep(2_100);
  const pages = uiPages(store);
  const figures: Figure[] = [
    { id: 'ui.fill', label: `UI store written on disk (${settings.repositories.toLocaleString('en')} repositories)`, unit: 's', better: 'lower', ours: { value: fillSeconds, runs: [fillSeconds] }, reference: undefined, note: `${NO_REFERENCE}; ${TIMING}` },
  ];
  const results: PageResult[] = [];
  for (const deployment of await deployments(settings, store)) {
    const { side, bytes } = await checkDeployment(deployment, settings, pages);
    for (const page of pages) {
      progress(`ui: ${page.label}, ${deployment.label}`);
      const times = await timePage(side, deployment, page, settings);
      const calls = deployment.id === 'open' ? await countCalls(deployment, page, settings) : undefined;
      const result: PageResult = { ...times, bytes: bytes.get(page.id) ?? Number.NaN, ...(calls ? { calls } : {}) };
      results.push(result);
      figures.push(...figuresOf(result, deployment.id));
      progress(`  cold ${result.cold?.value.toFixed(1)} ms, warm ${result.warm?.value.toFixed(1)} ms (p95 ${result.p95?.value.toFixed(1)}), access log ${result.logWarm?.value.toFixed(1)} ms${calls ? `, storage calls cold ${totalCalls(calls.cold)}` : ''}`);
    }
  }
  console.log(uiSummaryTable(results, { target: UI_TARGET_MS, note: NO_REFERENCE, seconds: (performance.now() - started) / 1000 }));
  return figures;
}
