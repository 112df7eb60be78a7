// The pipeline of issue 5: producer -> filter -> consumer through host SysV shared-memory rings;
// the filter is checkpointed and restored onto the live segments while the others keep running.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, test } from 'node:test';
import { checkpoint, type RestoredProcess, restore, spawn } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { createRing, readNumbers, removeSysvObjects, waitForState } from '../helpers/sysv-objects.js';
import { fixture, killAll, scratchDir, waitGone } from '../helpers/victims.js';

const started: number[] = [];
after(() => {
  killAll(started);
  removeSysvObjects();
});

function stage(...args: (string | number)[]): number {
  const child = spawn(fixture('sysv-pipeline'), args.map(String), { stdio: 'ignore' });
  child.unref();
  assert.ok(child.pid, 'a pipeline stage did not start');
  started.push(child.pid);
  return child.pid;
}

/** Frames the consumer has received so far: [frames, last, errors]. */
const consumed = (file: string) => readNumbers(file);

test('a pipeline stage is checkpointed and restored onto the live segments: no frame lost or repeated', {
  skip: skipUnlessCriu,
}, async () => {
  const a = createRing();
  const b = createRing();
  const state = `${scratchDir()}/consumer`;
  stage('consumer', b.shm, b.sem, state);
  stage('producer', a.shm, a.sem);
  let filter = stage('filter', a.shm, a.sem, b.shm, b.sem);
  await waitForState(state, ([frames = 0]) => frames >= 50, '50 frames');
  let restored: RestoredProcess | undefined;

  for (let cycle = 0; cycle < 5; cycle++) {
    const cp = await checkpoint(filter, { digest: false });
    assert.deepEqual(cp.sysv?.attachments.map((x) => x.shmid).sort(), [a.shm, b.shm].sort());
    // Host mode: CRIU saved no segment (no IPC namespace images, no shmem pages).
    assert.deepEqual(
      readdirSync(cp.imagesDir).filter((f) => /^(ipcns-|pagemap-shmem)/.test(f)),
      [],
      'CRIU must not save the segments',
    );
    if (restored) assert.equal((await restored.exited).signal, 'SIGKILL');
    await waitGone(filter);
    const [before = 0] = consumed(state);
    restored = await restore(cp.imagesDir);
    filter = restored.pid;
    started.push(filter);
    await waitForState(state, ([frames = 0]) => frames >= before + 50, `50 more frames after restore ${cycle + 1}`);
  }

  // Checkpoints that leave the filter running, while frames flow.
  for (let cycle = 0; cycle < 3; cycle++) {
    const [before = 0] = consumed(state);
    const cp = await checkpoint(filter, { leaveRunning: true, digest: false });
    assert.equal(cp.sysv?.attachments.length, 2);
    await waitForState(
      state,
      ([frames = 0]) => frames >= before + 50,
      `50 more frames after a leave-running checkpoint`,
    );
  }

  const [frames, last, errors] = consumed(state);
  assert.equal(errors, 0, 'a frame was lost or repeated');
  assert.equal(last, frames, 'frame numbers are consecutive from 1');
  restored?.kill('SIGKILL');
});
