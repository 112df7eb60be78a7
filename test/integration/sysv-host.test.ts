// Host-mode SysV with real victims: detach/re-attach around checkpoints leaves blocked and
// multi-threaded tasks as they were; restore attaches the same, another or no segment (refused).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpoint, isCriuError, restore, spawn } from '../../src/index.js';
import { detachSegments, reattachSegments } from '../../src/sysv/host-detach.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import {
  createSem,
  createShm,
  readNumbers,
  readU64,
  removeSysvObjects,
  sysvIpc,
  uniqueKey,
  waitForState,
} from '../helpers/sysv-objects.js';
import { alive, fixture, killAll, procState, scratchDir, waitGone } from '../helpers/victims.js';

const started: number[] = [];
const segments: number[] = [];
after(() => {
  killAll(started);
  removeSysvObjects(...segments);
});

interface Victim {
  pid: number;
  state: string;
  shm: number;
}

/** sysv-victim MODE on a new 64 KiB segment; resolves once it has done a round. */
async function victim(mode: 'nanosleep' | 'semop' | 'threads', sem?: number): Promise<Victim> {
  const shm = createShm(uniqueKey(), 65536);
  const state = `${scratchDir()}/victim`;
  const child = spawn(fixture('sysv-victim'), [mode, String(shm), state, ...(sem === undefined ? [] : [String(sem)])], {
    stdio: 'ignore',
  });
  child.unref();
  assert.ok(child.pid);
  started.push(child.pid);
  await waitForState(state, ([rounds = 0]) => rounds >= 1, 'a first round');
  return { pid: child.pid, state, shm };
}

/** The victim's SysV line of /proc/PID/maps. */
function sysvMapping(pid: number): string | undefined {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .find((l) => l.includes('/SYSV'));
}

test('a task blocked in nanosleep: detach and re-attach restart the sleep (no EINTR), same address', {
  skip: skipUnlessCriu,
}, async () => {
  const v = await victim('nanosleep');
  const mapping = sysvMapping(v.pid);
  for (let i = 0; i < 3; i++) {
    const detached = await detachSegments([v.pid]);
    assert.equal(detached.attachments.length, 1);
    assert.equal(sysvMapping(v.pid), undefined, 'detached: only the placeholder is left');
    await reattachSegments(detached);
    assert.equal(sysvMapping(v.pid), mapping);
  }
  const [rounds = 0] = readNumbers(v.state);
  const [, value, , eintr] = await waitForState(v.state, ([r = 0]) => r >= rounds + 2, 'two more rounds');
  assert.equal(eintr, 0, 'nanosleep restarted; the program saw no EINTR');
  assert.equal(readU64(v.shm, 0) >= (value ?? 0), true, 'the rounds still count in the same segment');
  // A leave-running checkpoint: CRIU's own freeze may end the sleep with EINTR (plain CRIU does
  // the same); the task runs on, attached where it was.
  await checkpoint(v.pid, { leaveRunning: true, digest: false });
  await waitForState(v.state, ([r = 0]) => r >= rounds + 4, 'rounds after the checkpoint');
  assert.equal(sysvMapping(v.pid), mapping);
  assert.notEqual(procState(v.pid), 'T');
});

test('a task blocked in semop survives a leave-running checkpoint and takes the next post', {
  skip: skipUnlessCriu,
}, async () => {
  const sem = createSem(uniqueKey(), 0);
  const v = await victim('semop', sem);
  const cp = await checkpoint(v.pid, { leaveRunning: true, digest: false });
  assert.equal(cp.sysv?.attachments.length, 1);
  assert.ok(alive(v.pid));
  sysvIpc('sem-post', sem, 0);
  const [rounds, value] = await waitForState(v.state, ([r = 0]) => r >= 2, 'the round after the post');
  assert.equal(rounds, 2);
  assert.equal(value, readU64(v.shm, 0));
  assert.notEqual(procState(v.pid), 'T', 'resumed as it was: running');
});

test('a multi-threaded task: every thread runs on after a leave-running checkpoint', {
  skip: skipUnlessCriu,
}, async () => {
  const v = await victim('threads');
  const threads = () => [8, 16, 24, 32].map((offset) => readU64(v.shm, offset));
  const cp = await checkpoint(v.pid, { leaveRunning: true, digest: false });
  assert.equal(cp.sysv?.attachments.length, 1);
  const before = threads();
  await waitForState(v.state, () => threads().every((n, i) => n > (before[i] ?? 0) + 5), 'every thread counting');
  assert.ok(alive(v.pid));
});

test('a checkpoint refused by a hook puts the segment back and the task runs on', {
  skip: skipUnlessCriu,
}, async () => {
  const v = await victim('nanosleep');
  const mapping = sysvMapping(v.pid);
  await assert.rejects(checkpoint(v.pid, { hooks: { postDump: () => false } }), (e) => isCriuError(e, 'ABORTED'));
  assert.equal(sysvMapping(v.pid), mapping);
  const [rounds = 0] = readNumbers(v.state);
  await waitForState(v.state, ([r = 0]) => r > rounds, 'a round after the failed checkpoint');
  assert.notEqual(procState(v.pid), 'T');
});

test('a task stopped before the checkpoint stays stopped after it', { skip: skipUnlessCriu }, async () => {
  const v = await victim('nanosleep');
  process.kill(v.pid, 'SIGSTOP');
  await waitForState(v.state, () => procState(v.pid) === 'T', 'the stop');
  await checkpoint(v.pid, { leaveRunning: true, digest: false });
  assert.equal(procState(v.pid), 'T');
  assert.ok(sysvMapping(v.pid));
  process.kill(v.pid, 'SIGCONT');
  const [rounds = 0] = readNumbers(v.state);
  await waitForState(v.state, ([r = 0]) => r > rounds, 'a round after SIGCONT');
});

test('restore onto the live segment, onto another by key, and refusals that leave nothing', {
  skip: skipUnlessCriu,
}, async () => {
  const v = await victim('nanosleep');
  const cp = await checkpoint(v.pid, { digest: false });
  await waitGone(v.pid);
  const [, value = 0] = readNumbers(v.state);

  // The CLI shows the attachment and restores with --shm (here: a malformed one is refused).
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [fileURLToPath(new URL('../../src/cli/main.js', import.meta.url)), ...args], {
      encoding: 'utf8',
    });
  const shown = cli('show', '-D', cp.imagesDir);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(
    shown.stdout,
    new RegExp(`Host SysV attachments[^\\n]*\\n  pid ${v.pid} [0-9a-f]+-[0-9a-f]+ rw shmid ${v.shm} `),
  );
  const bad = cli('restore', '-D', cp.imagesDir, '--shm', `${v.shm}=oops`);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--shm takes OLD=NEW/);

  // Wrong size and missing substitutes: refused before CRIU runs, nothing restored.
  const small = createShm(uniqueKey(), 4096);
  segments.push(small);
  await assert.rejects(restore(cp.imagesDir, { sysv: { shm: { [v.shm]: small } } }), (e) => {
    assert.ok(isCriuError(e, 'INVALID_SUBSTITUTION'), String(e));
    assert.match(e.message, new RegExp(`SysV segment ${v.shm}.*4096 bytes`));
    return true;
  });
  assert.equal(alive(v.pid), false);
  const readOnly = createShm(uniqueKey(), 65536, 0o400);
  await assert.rejects(restore(cp.imagesDir, { sysv: { shm: { [v.shm]: readOnly } } }), /mode 400/);
  await assert.rejects(restore(cp.imagesDir, { sysv: { shm: { [v.shm]: { key: 0x7fff0001 } } } }), /does not exist/);

  // Another segment, by key: the task continues counting in it, from its value.
  const otherKey = uniqueKey();
  const other = createShm(otherKey, 65536);
  sysvIpc('shm-write', other, 0, 1000);
  let job = await restore(cp.imagesDir, { sysv: { shm: { [v.shm]: { key: otherKey } } } });
  started.push(job.pid);
  await waitForState(v.state, ([, n = 0]) => n > 1000, 'counting in the substitute');
  assert.equal(readU64(v.shm, 0), value, 'the original segment is untouched');
  job.kill('SIGKILL');
  await job.exited;

  // The same live segment (the default).
  job = await restore(cp.imagesDir);
  started.push(job.pid);
  await waitForState(v.state, ([, n = 0]) => n > value && n < 1000, 'counting in the original again');
  job.kill('SIGKILL');
  await job.exited;

  // The segment gone: refused, naming it.
  sysvIpc('rm-shm', v.shm);
  await assert.rejects(restore(cp.imagesDir), (e) => {
    assert.ok(isCriuError(e, 'INVALID_SUBSTITUTION'));
    assert.match(e.message, new RegExp(`SysV segment ${v.shm} .*is gone`));
    return true;
  });
  assert.equal(alive(v.pid), false, 'nothing restored');
});
