// Faults during a checkpoint: CRIU killed, images filesystem full, the target exiting, an abort.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkpoint, isCriuError, verifyImages } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import {
  assertIntactAndCheckpointable,
  assertRefusedAsIncomplete,
  criuFailure,
  type DumpHook,
  hookAt,
  killCriu,
  killCriuAfter,
} from '../helpers/reliability-faults.js';
import { criuChildren } from '../helpers/reliability-probes.js';
import { alive, type Counter, killAll, readCount, scratchDir, startCounter, waitGone } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const started: number[] = [];
after(() => killAll(started));
let victim: Counter;
let dir: string;
let n = 0;
const next = () => join(dir, `images-${n++}`);

before(async () => {
  if (skip) return;
  dir = scratchDir();
  victim = await startCounter(join(dir, 'count'));
  started.push(victim.pid);
});

const notifications: DumpHook[] = ['preDump', 'queryExtFiles', 'postDump'];

for (const at of notifications) {
  // After post-dump every image is written: checkpoint() then finishes CRIU's job itself, so a
  // complete (verified) checkpoint is the other correct outcome there.
  const outcome = at === 'postDump' ? 'a typed error or a complete checkpoint' : 'a typed error';
  test(`CRIU SIGKILLed at ${at}: ${outcome}, the target running intact, nothing incomplete restorable`, {
    skip,
  }, async () => {
    const images = next();
    const hooks = hookAt(at, killCriu);
    const result = await checkpoint(victim.pid, { imagesDir: images, hooks, leaveRunning: true }).then(
      (cp) => cp,
      (error: unknown) => error,
    );
    if (at === 'postDump' && !isCriuError(result)) {
      await verifyImages(images);
    } else {
      assert.ok(isCriuError(result, 'PROTOCOL'), String(result));
      assert.match(result.message, /CRIU/);
      await assertRefusedAsIncomplete(images);
    }
    await assertIntactAndCheckpointable(victim.pid, victim.stateFile, next());
    assert.deepEqual(criuChildren(), []);
  });
}

test('CRIU SIGKILLed after delays spread over a dump: always a typed error or a complete checkpoint, never a hang', {
  skip,
}, async () => {
  // Its own target: killing CRIU while its parasite code runs inside the target can kill the
  // target (a CRIU limit, counted by npm run stress), which must not take the other tests' with it.
  const own = await startCounter(join(dir, 'own-count'));
  started.push(own.pid);
  // Delays across CRIU's start, seizing and dumping (a dump of the counter takes ~30 ms here, with
  // CRIU's kernel probe cached: about 4 ms before CRIU runs, 14 more to its pre-dump).
  for (const delay of [3, 8, 14, 20, 27]) {
    if (!alive(own.pid)) break;
    const images = next();
    const cancel = killCriuAfter(delay);
    const outcome = await checkpoint(own.pid, { imagesDir: images, leaveRunning: true }).then(
      () => 'complete',
      (error: unknown) => (error as { code?: string }).code ?? 'untyped',
    );
    cancel();
    assert.ok(['complete', 'PROTOCOL', 'DUMP_FAILED'].includes(outcome), `delay ${delay}: ${outcome}`);
    if (outcome !== 'complete') await assertRefusedAsIncomplete(images);
    assert.deepEqual(criuChildren(), []);
  }
  // Where the target lived through it, it is intact and checkpointable.
  if (alive(own.pid)) await assertIntactAndCheckpointable(own.pid, own.stateFile, next());
});

for (const at of [...notifications, 'a delay'] as const) {
  test(`the caller's AbortSignal fires at ${at}: ABORTED, the target running intact`, { skip }, async () => {
    const images = next();
    const controller = new AbortController();
    const abort = () => controller.abort(new Error('test abort'));
    // While CRIU starts (its pre-dump comes ~18 ms after the call): a whole dump takes ~30 ms.
    const timer = at === 'a delay' ? setTimeout(abort, 8) : undefined;
    const hooks = at === 'a delay' ? {} : hookAt(at, abort);
    const failure = await criuFailure(checkpoint(victim.pid, { imagesDir: images, signal: controller.signal, hooks }));
    clearTimeout(timer);
    assert.equal(failure.code, 'ABORTED');
    await assertRefusedAsIncomplete(images);
    await assertIntactAndCheckpointable(victim.pid, victim.stateFile, next());
  });
}

test('the images filesystem is full (64 KiB tmpfs): a typed error, the target running intact', { skip }, async () => {
  const mount = join(dir, 'small-fs');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mount]);
  try {
    const images = join(mount, 'images');
    const failure = await criuFailure(checkpoint(victim.pid, { imagesDir: images }));
    assert.equal(failure.code, 'DUMP_FAILED');
    await assertRefusedAsIncomplete(images);
    await assertIntactAndCheckpointable(victim.pid, victim.stateFile, next());
  } finally {
    execFileSync('umount', [mount]);
  }
});

for (const at of ['preDump', 'queryExtFiles'] as const) {
  test(`the target exits mid-dump (killed at ${at}): a typed error and nothing restorable`, { skip }, async () => {
    const own = await startCounter(join(scratchDir(), 'count'));
    started.push(own.pid);
    const images = next();
    const kill = () => process.kill(own.pid, 'SIGKILL');
    const failure = await criuFailure(checkpoint(own.pid, { imagesDir: images, hooks: hookAt(at, kill) }));
    assert.ok(['NO_SUCH_PROCESS', 'DUMP_FAILED'].includes(failure.code), `${failure.code}: ${failure.message}`);
    await assertRefusedAsIncomplete(images);
    await waitGone(own.pid);
    assert.ok(readCount(own.stateFile) > 0);
    assert.deepEqual(criuChildren(), []);
  });
}
