// Builds the web UI's browser assets with esbuild: packages/registry/ui-client/client.ts and style.css, minified,
// become packages/registry/dist/ui-assets/app.<hash>.js and app.<hash>.css, and manifest.json names them for the
// server (packages/registry/src/ui/ui-assets.ts). Same sources, same names. Usage: node scripts/build-ui-assets.mjs
import { build } from 'esbuild';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIR = 'packages/registry/ui-client';
const OUT_DIR = 'packages/registry/dist/ui-assets';
/** Browsers of about the time of ES2020, for the stylesheet (esbuild's `target` for CSS names browsers). */
const CSS_TARGETS = ['chrome87', 'edge88', 'firefox78', 'safari14'];

/** One esbuild run for one entry named `app`; returns its output's file name and contents (nothing written yet). */
async function bundle(entry, options) {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { app: join(SOURCE_DIR, entry) },
    entryNames: '[name].[hash]',
    outdir: OUT_DIR,
    bundle: true,
    minify: true,
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'warning',
    ...options,
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([, output]) => output.entryPoint !== undefined);
  if (outputs.length !== 1) throw new Error(`${entry}: expected one output, esbuild made ${outputs.map(([path]) => path).join(', ') || 'none'}`);
  const [outputPath] = outputs[0];
  const file = result.outputFiles.find((output) => relative(ROOT, output.path) === outputPath);
  if (file === undefined) throw new Error(`${entry}: esbuild's metafile names ${outputPath}, which it did not produce`);
  return { name: basename(outputPath), contents: file.contents };
}

async function main() {
  const [js, css] = await Promise.all([
    bundle('client.ts', { format: 'iife', platform: 'browser', target: 'es2020' }),
    bundle('style.css', { target: CSS_TARGETS }),
  ]);
  const outDir = join(ROOT, OUT_DIR);
  await mkdir(outDir, { recursive: true });
  // Only after both built: a failed build leaves the last good assets in place.
  for (const stale of await readdir(outDir)) await rm(join(outDir, stale), { recursive: true, force: true });
  await writeFile(join(outDir, js.name), js.contents);
  await writeFile(join(outDir, css.name), css.contents);
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify({ 'app.js': js.name, 'app.css': css.name }, null, 2)}\n`);
  console.log(`build-ui-assets: wrote ${OUT_DIR}/${js.name} (${js.contents.length} bytes), ${css.name} (${css.contents.length} bytes) and manifest.json`);
}

main().catch((error) => {
  // esbuild has printed its own messages (file, line, column) already; this says the build as a whole failed.
  const esbuildErrors = Array.isArray(error?.errors) ? error.errors.length : 0;
  const reason = esbuildErrors > 0 ? `esbuild reported ${esbuildErrors} error(s), shown above` : error instanceof Error ? error.message : String(error);
  console.error(`build-ui-assets: failed: ${reason}`);
  process.exit(1);
});
