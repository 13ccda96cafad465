// The built stylesheet and script (scripts/build-ui-assets.mjs writes them with content hashes in their names,
// so they are cached for a year and a new build is a new URL). Read once at startup and served from memory.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface UiAssets {
  /** File names of the stylesheet and the script, when built. */
  css?: string;
  js?: string;
  files: ReadonlyMap<string, { body: Buffer; type: string }>;
}

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** Where the build puts them: dist/ui-assets beside dist/src (also found when running from src/ under tsx). */
const CANDIDATES = ['../../ui-assets/', '../../dist/ui-assets/'];

/** The assets, or none (with the reason) when they were not built: the pages then work unstyled and without the script. */
export async function loadUiAssets(): Promise<{ assets: UiAssets; missing?: string }> {
  let lastError = '';
  for (const candidate of CANDIDATES) {
    const dir = new URL(candidate, import.meta.url);
    let manifest: Record<string, string>;
    try {
      manifest = JSON.parse(await readFile(new URL('manifest.json', dir), 'utf8')) as Record<string, string>;
    } catch (err) {
      lastError = `${fileURLToPath(new URL('manifest.json', dir))}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
      continue;
    }
    const files = new Map<string, { body: Buffer; type: string }>();
    for (const file of Object.values(manifest)) {
      const type = TYPES[file.slice(file.lastIndexOf('.'))];
      if (type === undefined || file.includes('/')) continue;
      files.set(file, { body: await readFile(new URL(file, dir)), type });
    }
    const css = manifest['app.css'];
    const js = manifest['app.js'];
    return { assets: { ...(css && files.has(css) ? { css } : {}), ...(js && files.has(js) ? { js } : {}), files } };
  }
  return { assets: { files: new Map() }, missing: lastError };
}

/** GET/HEAD of one asset: immutable for a year (its name changes with its content). */
export function serveAsset(assets: UiAssets, file: string, req: IncomingMessage, res: ServerResponse): boolean {
  const asset = assets.files.get(file);
  if (asset === undefined) return false;
  res.statusCode = 200;
  res.setHeader('Content-Type', asset.type);
  res.setHeader('Content-Length', asset.body.length);
  res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(req.method === 'HEAD' ? undefined : asset.body);
  return true;
}
