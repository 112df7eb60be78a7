// The init of a pid namespace seen from outside: finding it under spawn's launcher, and signalling it.
import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LAUNCHER_FILE } from './launcher-path.js';

/** How long a launcher may take to fork the command (it does so at once; this is slack). */
const FORK_WAIT_MS = 1000;

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function status(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

/** `pid`'s pid in each pid namespace it is in, ours first (NSpid); empty if it is gone. */
function nsPids(pid: number): number[] {
  const line = status(pid)?.match(/^NSpid:\s*(.*)$/m)?.[1];
  return line === undefined ? [] : line.trim().split(/\s+/).map(Number);
}

/** Whether `pid` is pid 1 of a pid namespace below ours. */
export function isNamespaceInit(pid: number): boolean {
  const pids = nsPids(pid);
  return pids.length > 1 && pids.at(-1) === 1;
}

/** `pid`'s pid in its innermost pid namespace (itself when that is ours). */
export function innermostPid(pid: number): number | undefined {
  return nsPids(pid).at(-1);
}

/** The one child of `pid` when that child is a pid namespace's init (as under spawn's launcher). */
export function namespaceInitUnder(pid: number): number | undefined {
  const [child, ...more] = childrenOf(pid);
  return child !== undefined && more.length === 0 && isNamespaceInit(child) ? child : undefined;
}

function isLauncher(pid: number): boolean {
  try {
    // Any copy of the launcher, also one rebuilt since it started (" (deleted)").
    return basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '') === LAUNCHER_FILE;
  } catch {
    return false;
  }
}

/**
 * spawn(..., { namespaces: ['pid'] }) hands back the launcher, which stays outside the namespace
 * as the command's parent: the tree to checkpoint is its one child, pid 1 in there (CRIU cannot
 * dump a tree that spans two pid namespaces). Any other pid is itself.
 */
export async function checkpointRoot(pid: number): Promise<number> {
  const deadline = Date.now() + FORK_WAIT_MS;
  for (;;) {
    const init = namespaceInitUnder(pid);
    if (init !== undefined) return init;
    // Just started, a launcher may not have forked yet.
    if (!isLauncher(pid) || Date.now() >= deadline) return pid;
    await sleep(5);
  }
}

/** Bit `signal - 1` of a /proc status mask line (`SigCgt:`, `SigIgn:`); set when unreadable. */
function maskHas(text: string, field: string, signal: number): boolean {
  const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(text)?.[1];
  return hex === undefined || ((BigInt(`0x${hex}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

const STOPS = new Set([20, 21, 22]); // SIGTSTP, SIGTTIN, SIGTTOU
const IGNORED_BY_DEFAULT = new Set([18, 23, 28]); // SIGCONT, SIGURG, SIGWINCH

/**
 * What to send a namespace's init from outside for `signal`: the kernel delivers only the signals
 * it handles (and SIGKILL/SIGSTOP). One it ignores is not sent (undefined); one whose default
 * would end it is SIGKILL, one that would stop it SIGSTOP: what the signal would have done to a
 * process outside a namespace. The same rule as the launcher's (native/launcher.cc).
 */
export function signalForInit(pid: number, signal: number): number | undefined {
  if (signal === 0 || signal === 9 || signal === 19) return signal;
  const text = status(pid);
  if (text === undefined || maskHas(text, 'SigCgt', signal) || IGNORED_BY_DEFAULT.has(signal)) return signal;
  if (maskHas(text, 'SigIgn', signal)) return undefined;
  return STOPS.has(signal) ? 19 : 9;
}
