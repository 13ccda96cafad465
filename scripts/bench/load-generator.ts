// Request-rate runs with wrk (GETs, headers set from a Lua script) and ab for HEAD: wrk 4.1 waits
// for a body after a HEAD response that carries Content-Length, so it never completes one.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadTarget {
  id: string;
  method: 'GET' | 'HEAD';
  path: string;
  headers: Record<string, string>;
}

export interface LoadSettings {
  threads: number;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  tool: 'wrk' | 'ab';
  errors: string | undefined;
}

function luaString(value: string): string {
  return JSON.stringify(value); // a JSON string literal is a valid Lua string literal for ASCII text
}

async function runWrk(baseUrl: string, target: LoadTarget, settings: LoadSettings, scratchDir: string): Promise<LoadResult> {
  const script = join(scratchDir, `${target.id}.lua`);
  const lines = [`wrk.method = ${luaString(target.method)}`];
  for (const [name, value] of Object.entries(target.headers)) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  await writeFile(script, `${lines.join('\n')}\n`);
  const args = [`-t${settings.threads}`, `-c${settings.connections}`, `-d${settings.seconds}s`, '-s', script, `${baseUrl}${target.path}`];
  const { stdout } = await run('wrk', args, { timeout: (settings.seconds + 30) * 1000 });
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(stdout);
  if (!rate) throw new Error(`wrk ${target.id}: no Requests/sec in output:\n${stdout}`);
  const problems = [/Non-2xx or 3xx responses: \d+/.exec(stdout)?.[0], /Socket errors: .*/.exec(stdout)?.[0]].filter(Boolean);
  return { requestsPerSecond: Number(rate[1]), tool: 'wrk', errors: problems.length > 0 ? problems.join('; ') : undefined };
}

async function runAb(baseUrl: string, target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  // ab is one thread whatever wrk uses; -n only caps the count so that -t decides the duration.
  const args = ['-q', '-k', '-i', '-c', String(settings.connections), '-t', String(settings.seconds), '-n', '100000000'];
  for (const [name, value] of Object.entries(target.headers)) args.push('-H', `${name}: ${value}`);
  args.push(`${baseUrl}${target.path}`);
  const { stdout } = await run('ab', args, { timeout: (settings.seconds + 30) * 1000 });
  const rate = /^Requests per second:\s+([\d.]+)/m.exec(stdout);
  if (!rate) throw new Error(`ab ${target.id}: no "Requests per second" in output:\n${stdout}`);
  const failed = Number(/^Failed requests:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
  const non2xx = Number(/^Non-2xx responses:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
  const problems = [failed > 0 ? `failed requests: ${failed}` : '', non2xx > 0 ? `non-2xx responses: ${non2xx}` : ''].filter(Boolean);
  return { requestsPerSecond: Number(rate[1]), tool: 'ab', errors: problems.length > 0 ? problems.join('; ') : undefined };
}

export function runLoad(baseUrl: string, target: LoadTarget, settings: LoadSettings, scratchDir: string): Promise<LoadResult> {
  return target.method === 'HEAD' ? runAb(baseUrl, target, settings) : runWrk(baseUrl, target, settings, scratchDir);
}
