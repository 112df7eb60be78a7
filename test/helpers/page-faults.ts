// Minor page faults, to show whether memory is write-protected (after a fork: until rewritten).
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Minor page faults of this process while `write` runs (other threads' faults count too). */
export function faultsOf(write: () => void): number {
  const before = process.resourceUsage().minorPageFault;
  write();
  return process.resourceUsage().minorPageFault - before;
}

/** Forks this process the way child_process does (libuv's fork, then exec), and waits for the child. */
export async function forkOnce(): Promise<void> {
  const child = spawn('true');
  await once(child, 'exit');
}
