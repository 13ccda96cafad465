// One child process, its output collected: the image build's only way of running umoci, skopeo, npm and ldd.
import { spawn } from 'node:child_process';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout, stderr }));
  });
}

/** Runs and throws with the command's own words when it fails. */
export async function runChecked(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.exitCode !== 0) throw new Error(`\`${command} ${args.join(' ')}\` exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result;
}
