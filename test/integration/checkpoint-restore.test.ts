// Real CRIU, real processes: checkpoint and restore with the state continuing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { checkpoint, isCriuError, type RestoredProcess, restore, spawn } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { criuChildren } from '../helpers/criu-children.js';
import { killCriu } from '../helpers/reliability-probes.js';
import {
  alive,
  fixture,
  killAll,
  readCount,
  requestExit,
  scratchDir,
  startCounter,
  waitForCount,
  waitGone,
} from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

async function restoreAndTrack(dir: string): Promise<RestoredProcess> {
  const restored = await restore(dir);
  cleanup.push(...restored.pids);
  return restored;
}

test('a single process is checkpointed, killed, restored as our child and keeps counting', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images') });
  assert.deepEqual(cp.pids, [victim.pid]);
  assert.equal(cp.leftRunning, false);
  assert.ok(cp.stats, 'dump stats are read from stats-dump.img');
  assert.ok(cp.stats.pagesWritten > 0);
  assert.ok(cp.stats.frozenTimeUs > 0);
  await waitGone(victim.pid);
  const atDump = readCount(victim.stateFile);
  const listing = () => readdirSync(cp.imagesDir).map((name) => [name, statSync(join(cp.imagesDir, name)).mtimeMs]);
  const before = listing();

  const restored = await restoreAndTrack(cp.imagesDir);
  assert.equal(restored.pid, victim.pid, 'CRIU restores the original pid');
  // Nothing to substitute: CRIU read the checkpoint itself, and wrote nothing into it.
  assert.deepEqual(listing(), before, 'the checkpoint is as it was');
  const ppid = Number(readFileSync(`/proc/${restored.pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  assert.equal(ppid, process.pid, 'the restored root is our child (rst_sibling)');
  const continued = await waitForCount(victim.stateFile, atDump + 20);
  assert.ok(continued > atDump, 'the count continued from the checkpointed value, not from zero');

  assert.equal(restored.kill('SIGTERM'), true);
  assert.deepEqual(await restored.exited, { code: null, signal: 'SIGTERM' });
  await waitGone(restored.pid, 2000); // reaped: no zombie left
});

test('a tree of 10 processes is restored with every member continuing', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'), 9);
  const cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images') });
  assert.equal(cp.pids.length, 10);
  assert.equal(cp.pids[0], victim.pid);
  for (const pid of cp.pids) await waitGone(pid);
  const files = [victim.stateFile, ...Array.from({ length: 9 }, (_, i) => `${victim.stateFile}.${i}`)];
  const before = files.map(readCount);

  const restored = await restoreAndTrack(cp.imagesDir);
  assert.deepEqual([...restored.pids].sort(), [...cp.pids].sort());
  for (const [i, file] of files.entries()) await waitForCount(file, (before[i] ?? 0) + 10);
  for (const pid of cp.pids) assert.ok(alive(pid), `pid ${pid} restored`);
  restored.kill('SIGKILL');
  assert.equal((await restored.exited).signal, 'SIGKILL');
  killAll(cp.pids);
});

test('leaveRunning keeps the process counting; each of two checkpoints restores', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const first = await checkpoint(victim.pid, { imagesDir: join(dir, 'one'), leaveRunning: true });
  const atFirst = readCount(victim.stateFile);
  await waitForCount(victim.stateFile, atFirst + 30);
  const second = await checkpoint(victim.pid, { imagesDir: join(dir, 'two'), leaveRunning: true });
  assert.equal(first.leftRunning, true);
  assert.ok(alive(victim.pid), 'still running after two checkpoints');
  const running = await waitForCount(victim.stateFile, readCount(victim.stateFile) + 10);
  assert.ok(running > atFirst);

  for (const cp of [first, second]) {
    killAll([victim.pid]);
    await waitGone(victim.pid);
    const restored = await restoreAndTrack(cp.imagesDir);
    const now = readCount(victim.stateFile);
    await waitForCount(victim.stateFile, now + 10);
    restored.kill('SIGKILL');
    await restored.exited;
  }
});

test('the restored process exit code is reported and it is reaped', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  const cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images') });
  await waitGone(victim.pid);
  const restored = await restoreAndTrack(cp.imagesDir);
  requestExit(victim.stateFile, 7);
  assert.deepEqual(await restored.exited, { code: 7, signal: null });
  await waitGone(restored.pid, 2000);
  assert.equal(restored.kill(), false, 'kill after exit reports the process is gone');
});

test('checkpoint of a missing pid is NO_SUCH_PROCESS; the CRIU started ahead of the checks is gone, no dir made', {
  skip,
}, async () => {
  const imagesDir = join(scratchDir(), 'never');
  await assert.rejects(
    checkpoint(4_000_000, { imagesDir }),
    (e) => isCriuError(e, 'NO_SUCH_PROCESS') && e.pid === 4_000_000,
  );
  // Gone by the time the call settled, not later.
  assert.deepEqual(criuChildren(), []);
  assert.equal(existsSync(imagesDir), false);
  await assert.rejects(checkpoint(process.pid), (e) => isCriuError(e, 'UNSUPPORTED'));
  assert.deepEqual(criuChildren(), []);
});

test('restore while a pid of the image is taken is PID_IN_USE naming the pid and command', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images'), leaveRunning: true });
  const started = Date.now();
  await assert.rejects(restore(cp.imagesDir, { pidWaitTimeout: 300 }), (e) => {
    assert.ok(isCriuError(e, 'PID_IN_USE'));
    assert.equal(e.pid, victim.pid);
    assert.match(e.message, new RegExp(`pid ${victim.pid} .*counter`));
    return true;
  });
  assert.ok(Date.now() - started >= 300, 'waited for the bound before failing');
  assert.ok(alive(victim.pid), 'the holder is untouched');
});

test('aborting a checkpoint is ABORTED and the target keeps running, still checkpointable', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const controller = new AbortController();
  // Abort from inside CRIU's run: the tree is frozen at post-dump, so this is truly mid-dump.
  const aborted = checkpoint(victim.pid, {
    imagesDir: join(dir, 'aborted'),
    signal: controller.signal,
    hooks: { postDump: () => void controller.abort(new Error('test abort')) },
  });
  await assert.rejects(aborted, (e) => isCriuError(e, 'ABORTED') && e.isCanceled);
  const after = readCount(victim.stateFile);
  await waitForCount(victim.stateFile, after + 20);
  assert.ok(alive(victim.pid));
  const cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'again'), leaveRunning: true });
  assert.deepEqual(cp.pids, [victim.pid]);
});

test('a timeout stops the checkpoint with TIMEOUT and the target keeps running', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const slowHook = () => new Promise<void>((resolve) => setTimeout(resolve, 300));
  await assert.rejects(
    checkpoint(victim.pid, { imagesDir: join(dir, 'images'), timeout: 100, hooks: { preDump: slowHook } }),
    (e) => isCriuError(e, 'TIMEOUT') && e.timedOut,
  );
  const after = readCount(victim.stateFile);
  await waitForCount(victim.stateFile, after + 20);
});

test('four checkpoints of four processes at once', { skip }, async () => {
  const dir = scratchDir();
  const victims = await Promise.all([0, 1, 2, 3].map((i) => startCounter(join(dir, `count${i}`))));
  cleanup.push(...victims.map((v) => v.pid));
  const cps = await Promise.all(
    victims.map((v, i) => checkpoint(v.pid, { imagesDir: join(dir, `images${i}`), leaveRunning: true })),
  );
  for (const [i, cp] of cps.entries()) assert.deepEqual(cp.pids, [victims[i]?.pid]);
  for (const v of victims) await waitForCount(v.stateFile, readCount(v.stateFile) + 10);
});

test('aborting a restore mid-way (at post-restore, tree created) leaves no process behind', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  const cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images') });
  await waitGone(victim.pid);
  const controller = new AbortController();
  let sawRestoredPid: number | undefined;
  const restoring = restore(cp.imagesDir, {
    signal: controller.signal,
    hooks: {
      // The tree exists now, stopped before resuming; this hook never returns on its own.
      postRestore: ({ pid }) => {
        sawRestoredPid = pid;
        setTimeout(() => controller.abort(), 50);
        return new Promise<void>(() => {});
      },
    },
  });
  await assert.rejects(restoring, (e) => isCriuError(e, 'ABORTED'));
  assert.equal(sawRestoredPid, victim.pid);
  await waitGone(victim.pid, 5000);
  // And the images are still good: a plain restore works.
  const restored = await restore(cp.imagesDir);
  cleanup.push(restored.pid);
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 10);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('checkpointing this process or an ancestor is refused instead of freezing us', { skip }, async () => {
  for (const pid of [process.pid, process.ppid]) {
    await assert.rejects(
      checkpoint(pid, { leaveRunning: true }),
      (e) => isCriuError(e, 'UNSUPPORTED') && e.pid === pid,
    );
  }
});

test('a shellJob checkpoint restores with shellJob taken from its manifest', { skip }, async () => {
  const dir = scratchDir();
  const stateFile = join(dir, 'count');
  // The victim's session leader is a shell outside the tree, so CRIU needs shell_job on both
  // sides. (Not our own session: under a pid namespace, as in CI, its leader may be invisible.)
  const pidFile = join(dir, 'pid');
  const leader = spawn(
    'sh',
    ['-c', '"$0" "$1" & echo $! > "$2.tmp" && mv "$2.tmp" "$2"; wait', fixture('counter'), stateFile, pidFile],
    {
      stdio: 'ignore',
    },
  );
  cleanup.push(leader.pid as number);
  await waitForCount(stateFile, 1);
  while (!existsSync(pidFile)) await delay(10);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  cleanup.push(pid);
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images'), shellJob: true });
  await waitGone(pid);
  const restored = await restoreAndTrack(cp.imagesDir);
  await waitForCount(stateFile, readCount(stateFile) + 10);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('CRIU dying after it wrote every image (at post-dump) still gives a complete, restorable checkpoint', {
  skip,
}, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  // The dump stops counting at the freeze; CRIU is killed before it kills the tree or answers.
  const cp = await checkpoint(victim.pid, {
    imagesDir: join(dir, 'images'),
    hooks: { postDump: () => void killCriu() },
  });
  await waitGone(victim.pid);
  const dumped = readCount(victim.stateFile);
  const restored = await restoreAndTrack(cp.imagesDir);
  await waitForCount(victim.stateFile, dumped + 10);
  restored.kill('SIGKILL');
  await restored.exited;
});
