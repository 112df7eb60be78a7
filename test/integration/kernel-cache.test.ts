// A CRIU that install-criu built probes the kernel once, not at every run: its second run's log
// says it loaded the probe from the cache node-criu prepared (about 50 ms of every operation here).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { locateCriu } from '../../src/criu/locate.js';
import { checkpoint } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { killAll, scratchDir, startCounter } from '../helpers/victims.js';

const cleanup: number[] = [];
after(() => killAll(cleanup));

const criu = locateCriu(undefined, 'checkpoint').path;
const builtHere = (() => {
  try {
    return readFileSync(join(dirname(dirname(criu)), 'BUILD'), 'utf8').startsWith('rundir=');
  } catch {
    return false;
  }
})();

test('the second CRIU run loads the kernel probe instead of probing again', {
  skip: skipUnlessCriu || (!builtHere && `${criu} was not built by install-criu`),
}, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  for (const name of ['first', 'second']) {
    const cp = await checkpoint(victim.pid, { imagesDir: join(dir, name), leaveRunning: true, logLevel: 4 });
    const log = readFileSync(join(cp.imagesDir, 'dump.log'), 'utf8');
    if (name === 'second') assert.match(log, /Loaded kdat cache from .*\/run\/kdat\/criu\.kdat/);
  }
});
