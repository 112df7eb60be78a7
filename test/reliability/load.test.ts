// Load: 20 checkpoint/restore cycles of one process without fd, memory or zombie growth; 8 at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { concurrentCycle, repeatCycles } from '../helpers/reliability-load.js';
import { criuChildren } from '../helpers/reliability-probes.js';

const skip = skipUnlessCriu;

test('20 checkpoint/restore cycles of the same process: state kept each time, no fd, RSS or zombie growth', {
  skip,
}, async () => {
  const figures = await repeatCycles(20);
  const { before, after } = figures;
  assert.ok(after.fds <= before.fds, `fds grew from ${before.fds} to ${after.fds}`);
  assert.equal(after.zombies, 0);
  // RSS moves with the GC by a few MiB; 32 MiB over 20 cycles catches a leak of images or
  // buffers (1.6 MiB a cycle and more). npm run stress measures 200 cycles.
  assert.ok(after.rssKiB - before.rssKiB < 32 * 1024, `RSS grew from ${before.rssKiB} to ${after.rssKiB} KiB`);
  assert.deepEqual(criuChildren(), []);
});

test('8 processes checkpointed at once and restored at once, each continuing its own count', { skip }, async () => {
  const figures = await concurrentCycle(8);
  assert.equal(figures.processes, 8);
  assert.deepEqual(criuChildren(), []);
});
