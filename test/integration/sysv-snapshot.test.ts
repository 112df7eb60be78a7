// SysV snapshots with real objects and real checkpoints: a gone segment, semaphore set or queue
// is recreated from its snapshot under its old id, key and contents; 'live' ones are checked.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkpoint, isCriuError, restore, spawn } from '../../src/index.js';
import { snapshotSysv } from '../../src/sysv/snapshot.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import {
  createSem,
  createShm,
  readU64,
  removeSysvObjects,
  sysvIpc,
  uniqueKey,
  waitForState,
} from '../helpers/sysv-objects.js';
import { createQueue, liveIds, queued, removeByKeys, semValues } from '../helpers/sysv-snapshot.js';
import { alive, fixture, killAll, scratchDir } from '../helpers/victims.js';

const started: number[] = [];
const keys: number[] = [];
after(() => {
  killAll(started);
  removeSysvObjects();
  removeByKeys(...keys);
});

function key(): number {
  const k = uniqueKey();
  keys.push(k);
  return k;
}

/** sysv-victim nanosleep on a new 64 KiB segment with key `k`, after its first round. */
async function victim(k: number): Promise<{ pid: number; state: string; shm: number }> {
  const shm = createShm(k, 65536, 0o640);
  const state = `${scratchDir()}/victim`;
  const child = spawn(fixture('sysv-victim'), ['nanosleep', String(shm), state], { stdio: 'ignore' });
  child.unref();
  assert.ok(child.pid);
  started.push(child.pid);
  await waitForState(state, ([rounds = 0]) => rounds >= 2, 'two rounds');
  return { pid: child.pid, state, shm };
}

test('snapshotSysv copies messages without consuming them, and semaphore values', {
  skip: skipUnlessCriu,
}, async () => {
  const k = key();
  const q = createQueue(k, [1, 'one'], [5, 'two'], [1, 'three']);
  const sem = createSem(k, 4, 0, 32767);
  const dir = scratchDir();
  const manifest = await snapshotSysv({ sem: [sem], msg: [q] }, dir);
  assert.deepEqual(
    manifest.objects.map((o) => [o.kind, o.id, o.key, o.size]),
    [
      ['sem', sem, k, 3],
      ['msg', q, k, 3],
    ],
  );
  assert.deepEqual(queued(q), [
    [1, 'one'],
    [5, 'two'],
    [1, 'three'],
  ]);
  assert.match(manifest.objects[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);
});

test('a gone segment, set and queue are recreated from the checkpoint snapshot: same ids, keys, contents', {
  skip: skipUnlessCriu,
}, async () => {
  const k = key();
  const v = await victim(k);
  const sem = createSem(k, 2, 9);
  const q = createQueue(k, [3, 'frame 17'], [4, 'frame 18']);
  const cp = await checkpoint(v.pid, { digest: true, sysv: { snapshot: { shm: [v.shm], sem: [sem], msg: [q] } } });
  assert.deepEqual(
    cp.sysv?.snapshot?.map((o) => o.kind),
    ['shm', 'sem', 'msg'],
  );
  assert.equal(alive(v.pid), false);
  const saved = readU64(v.shm, 0);
  sysvIpc('rm-shm', v.shm);
  sysvIpc('rm', k);
  removeByKeys(k);
  assert.equal(
    liveIds('shm').some((s) => s.id === v.shm),
    false,
  );
  const restored = await restore(cp.imagesDir, {
    sysv: { shm: { [v.shm]: 'snapshot' }, sem: { [sem]: 'snapshot' }, msg: { [q]: { snapshot: cp.imagesDir } } },
  });
  started.push(restored.pid);
  assert.deepEqual(
    liveIds('shm').find((s) => s.id === v.shm),
    { ...liveIds('shm').find((s) => s.id === v.shm), key: k },
    'the segment is back under its id with its key',
  );
  assert.deepEqual(semValues(sem, 2), [2, 9]);
  assert.deepEqual(queued(q), [
    [3, 'frame 17'],
    [4, 'frame 18'],
  ]);
  // The victim exits 3 if the segment's value ever went backwards: it continues from its data.
  // (The state file may have been caught half-written by the checkpoint: only the segment counts.)
  await waitForState(v.state, ([, value = 0]) => value >= saved + 2, `the count going on from ${saved}`);
  assert.equal(alive(restored.pid), true);
  restored.kill('SIGKILL');
  await restored.exited;
});

test("a 'live' semaphore set that is gone fails the restore before anything is created or runs", {
  skip: skipUnlessCriu,
}, async () => {
  const k = key();
  const v = await victim(k);
  const sem = createSem(k, 1);
  const cp = await checkpoint(v.pid, { digest: false, sysv: { snapshot: { shm: [v.shm] } } });
  sysvIpc('rm-shm', v.shm);
  sysvIpc('rm', k);
  const segmentsBefore = liveIds('shm').length;
  await assert.rejects(
    restore(cp.imagesDir, { sysv: { shm: { [v.shm]: 'snapshot' }, sem: { [sem]: 'live' } } }),
    (error: unknown) =>
      isCriuError(error) && error.code === 'INVALID_SUBSTITUTION' && error.message.includes(`set ${sem} is gone`),
  );
  assert.equal(liveIds('shm').length, segmentsBefore, 'no segment was recreated');
  assert.equal(alive(v.pid), false, 'nothing was restored');
});

test('a snapshot that lacks the segment, or was altered, is refused before CRIU runs', {
  skip: skipUnlessCriu,
}, async () => {
  const k = key();
  const v = await victim(k);
  const cp = await checkpoint(v.pid, { digest: false });
  sysvIpc('rm-shm', v.shm);
  await assert.rejects(
    restore(cp.imagesDir, { sysv: { shm: { [v.shm]: 'snapshot' } } }),
    (error: unknown) =>
      isCriuError(error) && error.code === 'IMAGE_INTEGRITY' && /no sysv-snapshot\.json/.test(error.message),
  );
  assert.equal(alive(v.pid), false);
});

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('CLI: dump --sysv-snapshot, then restore --shm OLD=snapshot --sem ID=snapshot recreates both', {
  skip: skipUnlessCriu,
}, async () => {
  const run = promisify(execFile);
  const k = key();
  const v = await victim(k);
  const sem = createSem(k, 5);
  const dir = `${scratchDir()}/cp`;
  const args = ['dump', String(v.pid), '-D', dir, '--sysv-snapshot', String(v.shm), '--sysv-snapshot', `sem:${sem}`];
  await run(process.execPath, [cli, ...args]);
  const saved = readU64(v.shm, 0);
  sysvIpc('rm-shm', v.shm);
  sysvIpc('rm', k);
  const restoreArgs = ['restore', '-D', dir, '--shm', `${v.shm}=snapshot`, '--sem', `${sem}=snapshot`, '--detach'];
  const { stdout } = await run(process.execPath, [cli, ...restoreArgs, '--json']);
  const { pid } = JSON.parse(stdout) as { pid: number };
  started.push(pid);
  assert.equal(
    liveIds('shm').some((s) => s.id === v.shm && s.key === k),
    true,
  );
  assert.deepEqual(semValues(sem, 1), [5]);
  await waitForState(v.state, ([, value = 0]) => value >= saved + 2, `the count going on from ${saved}`);
  await assert.rejects(
    run(process.execPath, [cli, 'dump', '1', '-D', `${dir}2`, '--sysv-snapshot', 'shm:x']),
    /--sysv-snapshot takes SHMID, sem:ID or msg:ID/,
  );
});
