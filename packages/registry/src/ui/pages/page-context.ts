// What every page gets from the handler: where things are, who is looking and what they may do.
import type { UiPaths } from '../ui-routes.js';

export interface Viewer {
  /** The signed-in user or robot; undefined for a visitor. */
  name?: string;
  /** Whether the registry checks credentials at all (auth configured). */
  authOn: boolean;
  /** Whether a login form can work here (passwords or robot tokens are checked by this registry). */
  canLogIn: boolean;
  /** Registry-wide pages (status). */
  admin: boolean;
  /** The CSRF token for this browser's forms. */
  csrf: string;
}

export interface PageContext {
  paths: UiPaths;
  viewer: Viewer;
  /** Built stylesheet and script URLs; undefined when the assets were not built (the pages still work). */
  assets: { css?: string; js?: string };
  version: string;
  /** The page's own path and query, for the login form's `next`. */
  here: string;
  /** The policy: deletes on (storage.delete.enabled) and the store writable. */
  deletesPossible: boolean;
  readOnly: boolean;
}
