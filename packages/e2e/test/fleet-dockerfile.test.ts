// fleet/Dockerfile and the root .dockerignore read as text: what `docker build` needs from the build context,
// and the image's defaults the units rely on. registry-image.test.ts (@e2e) builds it for real.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { DOCKERFILE, dockerfileCmd, REPO_ROOT } from './helpers/fleet-layout.js';

describe('fleet/Dockerfile', () => {
  const text = readFileSync(DOCKERFILE, 'utf8');

  it('copies every workspace package.json before npm ci (npm ci needs them all to match package-lock.json)', () => {
    const workspaces = readdirSync(join(REPO_ROOT, 'packages')).filter((p) => existsSync(join(REPO_ROOT, 'packages', p, 'package.json')));
    for (const p of workspaces) expect(text, `packages/${p}/package.json`).to.include(`COPY packages/${p}/package.json packages/${p}/`);
  });

  it('serves the registry by default as a non-root user, with the data volume and port of the units', () => {
    expect(text).to.match(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfileCmd()).to.deep.equal(['private-registry', 'serve', '/etc/docker/registry/config.yml']);
    expect(text).to.match(/^USER node$/m);
    expect(text).to.match(/^VOLUME \/var\/lib\/registry$/m);
    expect(text).to.match(/^EXPOSE 5000$/m);
    expect(text).to.match(/REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=\/var\/lib\/registry/);
  });

  it("puts each package's command on PATH as the bin shim npm links (package.json \"bin\"), copied into /app", () => {
    const linked = [...text.matchAll(/ln -s \/app\/packages\/([a-z-]+)\/(\S+) \/usr\/local\/bin\/(\S+)/g)].map((m) => `${m[1]}/${m[2]} ${m[3]}`);
    const bins = readdirSync(join(REPO_ROOT, 'packages')).flatMap((p) => {
      const file = join(REPO_ROOT, 'packages', p, 'package.json');
      const bin = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { bin?: Record<string, string> }).bin ?? {} : {};
      return Object.entries(bin).map(([name, target]) => `${p}/${target} ${name}`);
    });
    expect(linked.sort()).to.deep.equal(bins.sort());
    expect(bins).to.have.lengthOf(3);
    expect(text).to.include('cp -R /src/packages/$p/bin /app/packages/$p/');
  });

  it('builds the web UI assets (npm run build runs scripts/build-ui-assets.mjs) and ships them', () => {
    expect(text).to.match(/^COPY scripts\/build-ui-assets\.mjs scripts\/$/m);
    expect(text).to.include('cp -R /src/packages/registry/dist/ui-assets /app/packages/registry/dist/');
  });

  it('keeps node_modules, dist, data and .git out of the build context (.dockerignore)', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    // An allowlist: everything is excluded, then only the build inputs come back.
    expect(ignore).to.include('*');
    expect(ignore.filter((l) => l.startsWith('!'))).to.have.members(['!package.json', '!package-lock.json', '!tsconfig.base.json', '!packages/', '!fleet/registry-config.yml', '!scripts/', '!scripts/build-ui-assets.mjs']);
    // Of scripts/, only the web UI's asset build (npm run build runs it).
    expect(ignore).to.include('scripts/*');
    for (const pattern of ['**/node_modules', '**/dist', '**/data']) expect(ignore, pattern).to.include(pattern);
  });
});
