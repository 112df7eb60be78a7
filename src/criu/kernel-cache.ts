// CRIU probes the kernel at every start (about 50 ms here; a small dump takes 30 ms with the
// probe cached) unless it finds what it learned last time in $RUNDIR/criu.kdat, and it keeps that
// file only on a tmpfs, so that a reboot (a new kernel) drops it. RUNDIR is /run unless built
// otherwise, and /run is no tmpfs on many hosts and in containers. scripts/install-criu.sh builds
// CRIU with RUNDIR = HOME/run/kdat (recorded in HOME/BUILD), and this points that link at a dir
// of ours on /dev/shm.
//
// The file steers what CRIU, running as root, does to the processes it dumps, so nobody else may
// be able to write it: HOME/run is 0700, and the dir the link names is made by us, 0700, and is
// checked to still be ours before each process's first use (after a reboot somebody else could
// have made a dir by the name the link still holds; /dev/shm is world-writable).
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statfsSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { TMPFS_MAGIC } from '../fs/in-memory.js';

const SHM = '/dev/shm';
const PREFIX = join(SHM, 'node-criu-kdat.');

const prepared = new Set<string>();

/** A dir that only this user can enter or change. */
function isPrivateDir(path: string): boolean {
  const st = lstatSync(path, { throwIfNoEntry: false });
  return st?.isDirectory() === true && st.uid === process.geteuid?.() && (st.mode & 0o077) === 0;
}

function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Where the CRIU at `criuPath` looks for its cache, when install-criu built it to look in its home. */
function cacheLink(criuPath: string): string | undefined {
  const home = dirname(dirname(criuPath));
  const link = join(home, 'run', 'kdat');
  let recipe: string;
  try {
    recipe = readFileSync(join(home, 'BUILD'), 'utf8').trim();
  } catch {
    return undefined;
  }
  return recipe === `rundir=${link}` && isPrivateDir(join(home, 'run')) ? link : undefined;
}

/**
 * Makes the kernel-probe cache of the CRIU at `criuPath` usable, once per process: points its link
 * at a private dir on /dev/shm when it names none that is ours. Anything that goes wrong leaves
 * CRIU without the cache: slower, never wrong.
 */
export function prepareKernelCache(criuPath: string): void {
  if (prepared.has(criuPath)) return;
  prepared.add(criuPath);
  try {
    const link = cacheLink(criuPath);
    if (link === undefined || statfsSync(SHM).type !== TMPFS_MAGIC) return;
    const current = linkTarget(link);
    if (current?.startsWith(PREFIX) && isPrivateDir(current)) return;
    const dir = mkdtempSync(PREFIX);
    const staged = `${link}.${process.pid}`;
    symlinkSync(dir, staged);
    renameSync(staged, link);
    // Another process may have replaced the link at the same moment: keep whichever won.
    if (readlinkSync(link) !== dir) rmdirSync(dir);
  } catch {
    // Without the cache CRIU probes the kernel itself.
  }
}
