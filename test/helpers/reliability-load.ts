// Load scenarios shared by the reliability tests and scripts/stress.mjs: repeated and concurrent checkpoint/restore.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkpoint, type RestoredProcess, restore } from '../../src/index.js';
import { type ProcessFigures, processFigures } from './reliability-probes.js';
import { readCount, scratchDir, startCounter, waitForCount } from './victims.js';

export interface CycleFigures {
  cycles: number;
  /** After one warm-up cycle (libuv and the addon open their fds once). */
  before: ProcessFigures;
  after: ProcessFigures;
  /** Per cycle: checkpoint ms, restore ms. */
  checkpointMs: number[];
  restoreMs: number[];
}

/**
 * Checkpoints (killing) and restores the same counter `cycles` times; each time the count must
 * go on from at least where it was. The images of a cycle are removed once restored.
 */
export async function repeatCycles(cycles: number, onCycle?: (i: number) => void): Promise<CycleFigures> {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  let pid = victim.pid;
  let current: RestoredProcess | undefined;
  const checkpointMs: number[] = [];
  const restoreMs: number[] = [];
  let before = processFigures();
  try {
    for (let i = 0; i <= cycles; i++) {
      const t0 = performance.now();
      const cp = await checkpoint(pid, { imagesDir: join(dir, `images-${i}`) });
      const t1 = performance.now();
      const count = readCount(victim.stateFile);
      if (current) await current.exited;
      const next = await restore(cp.imagesDir);
      const t2 = performance.now();
      await waitForCount(victim.stateFile, count + 1);
      assert.ok(readCount(victim.stateFile) > count, `cycle ${i}: the count did not go on from ${count}`);
      assert.equal(next.pid, victim.pid, `cycle ${i}: restored under another pid`);
      current = next;
      pid = next.pid;
      if (i === 0) {
        before = processFigures();
      } else {
        checkpointMs.push(t1 - t0);
        restoreMs.push(t2 - t1);
      }
      onCycle?.(i);
    }
  } finally {
    current?.kill('SIGKILL');
    await current?.exited;
  }
  return { cycles, before, after: processFigures(), checkpointMs, restoreMs };
}

export interface ConcurrentFigures {
  processes: number;
  checkpointMs: number;
  restoreMs: number;
}

/** `n` counters checkpointed at once, then restored at once; each must count on from where it was. */
export async function concurrentCycle(n: number): Promise<ConcurrentFigures> {
  const dir = scratchDir();
  const victims = await Promise.all(Array.from({ length: n }, (_, i) => startCounter(join(dir, `count-${i}`))));
  const t0 = performance.now();
  const cps = await Promise.all(victims.map((v, i) => checkpoint(v.pid, { imagesDir: join(dir, `images-${i}`) })));
  const t1 = performance.now();
  const counts = victims.map((v) => readCount(v.stateFile));
  const restored = await Promise.all(cps.map((cp) => restore(cp.imagesDir)));
  const t2 = performance.now();
  try {
    for (const [i, v] of victims.entries()) {
      assert.equal(restored[i]?.pid, v.pid);
      await waitForCount(v.stateFile, (counts[i] ?? 0) + 1);
    }
  } finally {
    for (const r of restored) r.kill('SIGKILL');
    await Promise.all(restored.map((r) => r.exited));
  }
  return { processes: n, checkpointMs: t1 - t0, restoreMs: t2 - t1 };
}
