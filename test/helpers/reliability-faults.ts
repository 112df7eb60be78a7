// Fault scenarios shared by the reliability tests (short) and scripts/stress.mjs (long): each returns what it saw.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Checkpoint, checkpoint, isCriuError, restore, verifyImages } from '../../src/index.js';
import { INCOMPLETE_MARKER } from '../../src/integrity/incomplete.js';
import type { Hooks } from '../../src/rpc/hooks.js';
import { digestDir, killCriu, livePids } from './reliability-probes.js';
import { alive, readCount, waitForCount, waitGone } from './victims.js';

export type DumpHook = 'preDump' | 'queryExtFiles' | 'postDump';
export type RestoreHook = 'preRestore' | 'postRestore' | 'preResume' | 'postResume';

/** A hook that runs `act` once at `name`, then lets CRIU notice (it answers only after `act`). */
export function hookAt<K extends keyof Hooks>(name: K, act: () => unknown): Hooks {
  return {
    [name]: () => {
      // A kill that found no CRIU would let the operation succeed: say so instead.
      if (act() === 0) throw new Error(`no CRIU process found to kill at ${name}`);
    },
  } as Hooks;
}

/** The error a failed operation threw; fails the test if it did not fail or threw no CriuError. */
export async function criuFailure(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await work;
  } catch (error) {
    assert.ok(isCriuError(error), `expected a CriuError, got ${String((error as Error)?.stack ?? error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail('the operation succeeded although a fault was injected');
}

/**
 * After a failed checkpoint: the dir is marked incomplete, holds no image, and both verify and
 * restore (even unverified) refuse it.
 */
export async function assertRefusedAsIncomplete(dir: string): Promise<void> {
  assert.ok(existsSync(join(dir, INCOMPLETE_MARKER)), `${dir} is not marked incomplete`);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.img')),
    [],
    'images of a failed checkpoint were left behind',
  );
  for (const attempt of [() => verifyImages(dir), () => restore(dir), () => restore(dir, { verify: false })]) {
    const failure = await criuFailure(attempt());
    assert.equal(failure.code, 'INVALID_IMAGES');
    assert.match(failure.message, /incomplete checkpoint/);
  }
}

/** The counter at `stateFile` (pid) is alive, counting on from `before`, and can be checkpointed again. */
export async function assertIntactAndCheckpointable(pid: number, stateFile: string, dir: string): Promise<Checkpoint> {
  const before = readCount(stateFile);
  assert.ok(alive(pid), `target ${pid} died`);
  await waitForCount(stateFile, before + 2);
  const again = await checkpoint(pid, { imagesDir: dir, leaveRunning: true });
  assert.ok(readCount(stateFile) >= before, 'the count went back: state was lost');
  await verifyImages(again.imagesDir);
  return again;
}

/** Waits (bounded) until none of `pids` is a live process: what a failed restore created is gone. */
export async function assertNoneAlive(pids: readonly number[]): Promise<void> {
  for (const pid of livePids(pids)) await waitGone(pid);
}

/** Restores `cp` and checks the counter goes on from where it was; ends it with SIGKILL. */
export async function restoreAndCheck(cp: Checkpoint, stateFile: string): Promise<number> {
  const count = readCount(stateFile);
  const restored = await restore(cp.imagesDir);
  await waitForCount(stateFile, count + 2);
  restored.kill('SIGKILL');
  await restored.exited;
  return restored.pid;
}

/** Images unchanged by a failed restore: same files, same bytes. */
export function assertUnchanged(dir: string, before: Record<string, string>): void {
  assert.deepEqual(digestDir(dir), before);
}

/** Kills CRIU `delayMs` after the operation starts; returns a cancel function. */
export function killCriuAfter(delayMs: number): () => void {
  const timer = setTimeout(() => killCriu(), delayMs);
  return () => clearTimeout(timer);
}

export { killCriu, sleep };
