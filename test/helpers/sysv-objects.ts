// Host-namespace SysV objects for tests, made and read through the sysv-ipc fixture tool.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixture } from './victims.js';

export function sysvIpc(...args: (string | number)[]): string {
  return execFileSync(fixture('sysv-ipc'), args.map(String), { encoding: 'utf8', stdio: 'pipe' }).trim();
}

let next = 0;
const made: number[] = [];

/** A key no other test process uses: this process's pid and a counter. */
export function uniqueKey(): number {
  const key = (0x4e430000 | ((process.pid & 0xfff) << 4) | (next++ & 0xf)) >>> 0;
  made.push(key);
  return key;
}

export function createShm(key: number, size: number, mode = 0o600): number {
  return Number(sysvIpc('shm-create', key, size, mode));
}

export function createSem(key: number, ...values: number[]): number {
  return Number(sysvIpc('sem-create', key, ...values));
}

export function readU64(shmid: number, offset: number): number {
  return Number(sysvIpc('shm-read', shmid, offset));
}

/** A ring of sysv-pipeline.c: its segment and semaphore set (free slots 16, full 0). */
export interface Ring {
  shm: number;
  sem: number;
}

export function createRing(): Ring {
  const key = uniqueKey();
  return { shm: createShm(key, 8 * 18), sem: createSem(key, 16, 0) };
}

/** Removes every object this process's keys named (and segments by id). */
export function removeSysvObjects(...shmids: number[]): void {
  for (const key of made) sysvIpc('rm', key);
  for (const id of shmids) {
    try {
      sysvIpc('rm-shm', id);
    } catch {
      // Gone already.
    }
  }
}

/** The whitespace-separated numbers of a state file (empty while it is not written yet). */
export function readNumbers(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** Waits until `test` accepts the numbers of `file`; fails after `timeoutMs`. */
export async function waitForState(
  file: string,
  test: (n: number[]) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = readNumbers(file);
    if (n.length > 0 && test(n)) return n;
    if (Date.now() > deadline) assert.fail(`${file} never showed ${what}: it has ${n.join(' ')}`);
    await sleep(10);
  }
}
