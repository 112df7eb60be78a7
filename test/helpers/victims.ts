// Real victim processes for integration tests: compiled from test/fixtures/, spawned detached.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import tmp from 'tmp';
import { checkpoint } from '../../src/index.js';
import { spawn } from '../../src/launch/spawn.js';
import type { Checkpoint } from '../../src/types.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(root, 'test/fixtures');
const bin = join(root, 'dist/fixtures');

/** Compiles test/fixtures/NAME.c into dist/fixtures/NAME once (again only when the source changed). */
export function fixture(name: string): string {
  const source = join(fixtures, `${name}.c`);
  const out = join(bin, name);
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(bin, { recursive: true });
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', out, source]);
  }
  return out;
}

// Scratch dirs (images, state files) are removed when the test process exits.
tmp.setGracefulCleanup();

export function scratchDir(prefix = 'node-criu-test-'): string {
  return tmp.dirSync({ prefix, unsafeCleanup: true }).name;
}

export interface Counter {
  pid: number;
  stateFile: string;
}

/** Starts counter detached (its own session, stdio on /dev/null, no stray fds) and waits until it counts. */
export async function startCounter(stateFile: string, children = 0): Promise<Counter> {
  const child = spawn(fixture('counter'), [stateFile, String(children)], { stdio: 'ignore' });
  child.unref();
  const pid = child.pid;
  assert.ok(pid, 'counter did not start');
  await waitForCount(stateFile, 1);
  for (let i = 0; i < children; i++) await waitForCount(`${stateFile}.${i}`, 1);
  return { pid, stateFile };
}

/**
 * A counter in a scratch dir, checkpointed left running into `images` there: the checkpoint and
 * the counter (its pid for the caller's clean-up, its state file to see it count on).
 */
export async function checkpointedCounter(): Promise<{ checkpoint: Checkpoint; victim: Counter }> {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  try {
    return { checkpoint: await checkpoint(victim.pid, { imagesDir: join(dir, 'images'), leaveRunning: true }), victim };
  } catch (error) {
    killAll([victim.pid]);
    throw error;
  }
}

export function readCount(stateFile: string): number {
  try {
    return Number.parseInt(readFileSync(stateFile, 'utf8'), 10) || 0;
  } catch {
    return 0;
  }
}

/** Resolves with the count once it reaches `atLeast`; fails after `timeoutMs`. */
export async function waitForCount(stateFile: string, atLeast: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = readCount(stateFile);
    if (n >= atLeast) return n;
    if (Date.now() > deadline) assert.fail(`${stateFile} stayed at ${n}, expected >= ${atLeast}`);
    await sleep(10);
  }
}

/** True while /proc/PID exists (a zombie counts as existing). */
export function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Process state letter from /proc/PID/stat (R, S, T, Z, ...), or undefined if gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) assert.fail(`pid ${pid} still exists after ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Asks the counter (or its child i) to exit with `code`. */
export function requestExit(stateFile: string, code: number): void {
  writeFileSync(`${stateFile}.exit`, String(code));
}

/** Kills a tree of pids, ignoring those already gone. */
export function killAll(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}
