// Where filesystem storage goes when no rootdirectory is configured: distribution's /var/lib/registry when
// this process may write there, else the XDG data directory of the user. Never the working directory (a
// `git clean -xdf` in a checkout would delete the registry). The probe is a parameter so tests need no root.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/** Distribution's default rootdirectory. */
export const SYSTEM_ROOT_DIRECTORY = '/var/lib/registry';
/** The directory name under $XDG_DATA_HOME (or ~/.local/share). */
export const XDG_DIRECTORY_NAME = 'private-registry';

/** What the rule needs to know about the machine. */
export interface RootDirectoryProbe {
  env: NodeJS.ProcessEnv;
  /** True when `path` exists (any kind of file). */
  exists(path: string): boolean;
  /** True when `path` is a directory this process may create entries in. */
  writableDirectory(path: string): boolean;
  /** The user's home directory when $HOME is unset. */
  homedir(): string;
}

/**
 * /var/lib/registry if it is a writable directory, or does not exist and /var/lib is writable (it can be
 * created); otherwise $XDG_DATA_HOME/private-registry (XDG_DATA_HOME only when absolute, as the XDG spec
 * says), else $HOME/.local/share/private-registry. Always absolute.
 */
export function resolveDefaultRootDirectory(probe: RootDirectoryProbe): string {
  if (probe.writableDirectory(SYSTEM_ROOT_DIRECTORY)) return SYSTEM_ROOT_DIRECTORY;
  if (!probe.exists(SYSTEM_ROOT_DIRECTORY) && probe.writableDirectory(dirname(SYSTEM_ROOT_DIRECTORY))) return SYSTEM_ROOT_DIRECTORY;
  const xdg = probe.env.XDG_DATA_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, XDG_DIRECTORY_NAME);
  const home = probe.env.HOME !== undefined && isAbsolute(probe.env.HOME) ? probe.env.HOME : probe.homedir();
  return join(home, '.local', 'share', XDG_DIRECTORY_NAME);
}

/** The real machine, as seen by this process (access(2) also says no on a read-only file system). */
export function systemProbe(env: NodeJS.ProcessEnv): RootDirectoryProbe {
  return {
    env,
    exists: (path) => {
      try {
        statSync(path);
        return true;
      } catch {
        return false;
      }
    },
    writableDirectory: (path) => {
      try {
        if (!statSync(path).isDirectory()) return false;
        accessSync(path, constants.W_OK | constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    homedir,
  };
}
