// `npm run demo` is the README's main job: it must work from a parent that hands it an extra fd
// without close-on-exec (a shell's, a CI runner's), which its victim must not inherit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipUnlessCriu } from '../helpers/criu-available.js';

const demo = fileURLToPath(new URL('../../../scripts/demo.mjs', import.meta.url));

test('the demo checkpoints and restores its counter even with a stray fd inherited from its parent', {
  skip: skipUnlessCriu,
}, async () => {
  // fd 3 of the demo is a pipe from us, inherited without close-on-exec.
  const child = spawn(process.execPath, [demo], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_CRIU_BACKEND: 'criu' },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, out);
  assert.match(out, /it continued from \d+, not from 0/);
  assert.match(out, /Done: state survived/);
});
