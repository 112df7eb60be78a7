// `npm run demo` is the README's main job: it must work from a parent that hands it an extra fd
// without close-on-exec (a shell's, a CI runner's), which its victim must not inherit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { runScript } from '../helpers/run-script.js';

test('the demo checkpoints and restores its counter even with a stray fd inherited from its parent', {
  skip: skipUnlessCriu,
}, async () => {
  // fd 3 of the demo is a pipe from us, inherited without close-on-exec.
  const { code, out } = await runScript('scripts/demo.mjs', { NODE_CRIU_BACKEND: 'criu' }, [
    'ignore',
    'pipe',
    'pipe',
    'pipe',
  ]);
  assert.equal(code, 0, out);
  assert.match(out, /it continued from \d+, not from 0/);
  assert.match(out, /Done: state survived/);
});
