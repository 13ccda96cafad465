// The one list of everything the testbed started or created, so a failed test still leaves nothing behind:
// cleanupTestbed() stops it all, newest first, and a process 'exit' hook kills whatever is still left.

export interface Cleanup {
  /** Says what this is in error messages: "docker-registry pid 1234", "temp dir /tmp/...". */
  readonly name: string;
  /** The orderly stop (SIGTERM, wait, remove files). */
  stop(): Promise<void>;
  /** The last resort at process exit, where nothing asynchronous runs any more (SIGKILL, rmSync). */
  stopSync(): void;
}

// Kept on globalThis so that the copy of this module loaded from src (by tsx) and the one loaded from
// dist (through the package name) share one list and one exit hook.
interface SharedState {
  pending: Cleanup[];
  exitHookInstalled: boolean;
}
const STATE_KEY = Symbol.for('private-registry.testbed.cleanup');
const state: SharedState = ((globalThis as { [STATE_KEY]?: SharedState })[STATE_KEY] ??= { pending: [], exitHookInstalled: false });
const pending = state.pending;

/** Adds an entry; returns the function that removes it again (call it once the thing stopped by itself). */
export function registerCleanup(entry: Cleanup): () => void {
  installExitHook();
  pending.push(entry);
  return () => {
    const index = pending.indexOf(entry);
    if (index >= 0) pending.splice(index, 1);
  };
}

/** How many registered things are still alive; a suite can assert 0 after cleanup. */
export function pendingCleanupCount(): number {
  return pending.length;
}

/**
 * Stops every registered process and removes every registered directory, newest first (a process before
 * the directory it runs in). Safe to call repeatedly; call it from each suite's `after`.
 */
export async function cleanupTestbed(): Promise<void> {
  const failures: unknown[] = [];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    try {
      await entry.stop();
    } catch (err) {
      failures.push(new Error(`cleanup of ${entry.name} failed: ${String(err)}`, { cause: err }));
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `testbed cleanup failed for ${failures.length} item(s)`);
}

function installExitHook(): void {
  if (state.exitHookInstalled) return;
  state.exitHookInstalled = true;
  // mocha --exit and a crashed test both end in process.exit: kill what is left, synchronously.
  process.on('exit', stopAllSync);
  // A signal's default action ends the process without 'exit': clean up, then let the signal do its work
  // (unless someone else, such as mocha, handles it).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopAllSync();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function stopAllSync(): void {
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    try {
      entry.stopSync();
    } catch {
      // Best effort at exit: nothing is left to report to.
    }
  }
}
