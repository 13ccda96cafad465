// systemd reads the units without running them (systemd-analyze verify): unknown keys, bad Exec lines and
// missing units show up as messages. A stub docker.service stands in for docker's own, so the result does not
// depend on this host. Skipped where systemd-analyze is not installed.

import { execFile } from 'node:child_process';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { findCommand, tempDir } from '@private-registry/testbed';
import { DOCKER, EXAMPLES_DIR, FLEET_DIR, SYSTEMD_DIR } from './helpers/fleet-layout.js';

const run = promisify(execFile);
const DISCOVERY = 'docker-registry-discovery.service';

describe('systemd-analyze verify', () => {
  for (const [label, dir] of [
    ['fleet units', FLEET_DIR],
    ['fleet/systemd units', SYSTEMD_DIR],
    ['fleet/examples', EXAMPLES_DIR],
  ] as const) {
    it(`finds nothing to report in the ${label}`, async function () {
      this.timeout(30_000);
      if (findCommand('systemd-analyze') === undefined) this.skip();
      const work = await tempDir('unit-verify');
      try {
        const names = readdirSync(dir).filter((n) => n.endsWith('.service'));
        for (const name of names) copyFileSync(join(dir, name), join(work.path, name));
        // Units that those reference: docker's, and (for the example) the discovery unit's ordering target.
        writeFileSync(join(work.path, 'docker.service'), '[Service]\nExecStart=/bin/true\n');
        if (!names.includes(DISCOVERY)) copyFileSync(join(FLEET_DIR, DISCOVERY), join(work.path, DISCOVERY));
        const result = await run('systemd-analyze', ['verify', ...names.map((n) => join(work.path, n))], {
          env: { ...process.env, SYSTEMD_UNIT_PATH: `${work.path}:`, SYSTEMD_LOG_COLOR: '0' },
          timeout: 25_000,
        }).catch((err: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''}\n(exit ${err.code})` }));
        const messages = `${result.stdout}\n${result.stderr}`
          .split('\n')
          .filter((l) => l.trim() !== '')
          // Without docker installed the Exec check names /usr/bin/docker: the CLI flag checks above cover it.
          .filter((l) => !(l.includes(`${DOCKER} is not executable`) && findCommand(DOCKER) === undefined));
        expect(messages).to.deep.equal([]);
      } finally {
        await work.remove();
      }
    });
  }
});
