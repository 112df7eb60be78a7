// Faults during a restore: CRIU killed, a substitution failing half-way, a hook refusing, a pid taken.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Checkpoint, checkpoint, restore } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import {
  assertNoneAlive,
  assertUnchanged,
  criuFailure,
  hookAt,
  killCriu,
  type RestoreHook,
  restoreAndCheck,
} from '../helpers/reliability-faults.js';
import { criuChildren, digestDir, zombieChildren } from '../helpers/reliability-probes.js';
import { type Counter, killAll, scratchDir, startCounter, waitGone } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const started: number[] = [];
after(() => killAll(started));
let victim: Counter;
let cp: Checkpoint;
let digests: Record<string, string>;

before(async () => {
  if (skip) return;
  const dir = scratchDir();
  victim = await startCounter(join(dir, 'count'));
  started.push(victim.pid);
  cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images') });
  await waitGone(victim.pid);
  digests = digestDir(cp.imagesDir);
});

/** Every restore fault must leave: no process of the image, no zombie, no CRIU, the images as they were. */
async function assertCleanAfterFailure(): Promise<void> {
  await assertNoneAlive(cp.pids);
  assert.deepEqual(criuChildren(), []);
  assert.deepEqual(zombieChildren(), []);
  assertUnchanged(cp.imagesDir, digests);
}

const points: RestoreHook[] = ['preRestore', 'postRestore', 'preResume', 'postResume'];

for (const at of points) {
  test(`CRIU SIGKILLed at ${at}: a typed error, nothing restored left alive, the images restorable again`, {
    skip,
  }, async () => {
    const failure = await criuFailure(restore(cp.imagesDir, { hooks: hookAt(at, killCriu) }));
    assert.equal(failure.code, 'PROTOCOL');
    await assertCleanAfterFailure();
    const pid = await restoreAndCheck(cp, victim.stateFile);
    started.push(pid);
  });
}

test('a hook that throws at preResume (after the tree exists): ABORTED, nothing left alive', { skip }, async () => {
  const hooks = {
    preResume: () => {
      throw new Error('refused by the test');
    },
  };
  const failure = await criuFailure(restore(cp.imagesDir, { hooks }));
  assert.equal(failure.code, 'ABORTED');
  await assertCleanAfterFailure();
  started.push(await restoreAndCheck(cp, victim.stateFile));
});

// CRIU failing on its own leaves the half-restored root as our zombie, which would hold the pid
// against the next attempt: restore reaps it.
test('a substitution CRIU rejects half-way (a substitute file of another mode): typed error, nothing left', {
  skip,
}, async () => {
  // The counter's state file, left out at checkpoint, comes back as a substitute CRIU refuses.
  const dir = scratchDir();
  const own = await startCounter(join(dir, 'count'));
  started.push(own.pid);
  const left = await checkpoint(own.pid, { imagesDir: join(dir, 'images'), leaveOut: [3] });
  await waitGone(own.pid);
  const before = digestDir(left.imagesDir);
  const substitute = join(dir, 'substitute');
  writeFileSync(substitute, `${'0'.repeat(20)}\n`);
  chmodSync(substitute, 0o600);
  const failure = await criuFailure(restore(left.imagesDir, { fds: { 3: { path: substitute } } }));
  assert.equal(failure.code, 'RESTORE_FAILED');
  assert.match(failure.message, /mode|skipFileRwxCheck/);
  await assertNoneAlive(left.pids);
  assert.deepEqual(zombieChildren(), []);
  assertUnchanged(left.imagesDir, before);
  const restored = await restore(left.imagesDir, { fds: { 3: { path: substitute } }, skipFileRwxCheck: true });
  started.push(restored.pid);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('a pid of the image taken by a live process: PID_IN_USE naming it, the images unchanged', { skip }, async () => {
  const dir = scratchDir();
  const own = await startCounter(join(dir, 'count'));
  started.push(own.pid);
  const running = await checkpoint(own.pid, { imagesDir: join(dir, 'images'), leaveRunning: true });
  const before = digestDir(running.imagesDir);
  const failure = await criuFailure(restore(running.imagesDir, { pidWaitTimeout: 100 }));
  assert.equal(failure.code, 'PID_IN_USE');
  assert.match(failure.message, new RegExp(`pid ${own.pid}`));
  assertUnchanged(running.imagesDir, before);
  killAll([own.pid]);
  await waitGone(own.pid);
  started.push(await restoreAndCheck(running, own.stateFile));
});
