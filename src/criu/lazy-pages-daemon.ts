// The `criu lazy-pages` daemon of a lazy restore, owned by node-criu: started (as our child, not
// daemonized, so that it is reaped and can be ended) before CRIU's RESTORE, in the same work dir,
// where they meet on lazy-pages.socket; it serves the tree's pages and exits once all are in.
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { CriuError } from '../errors.js';
import { loadNative, type ProcessWatcher } from '../native.js';
import { spawnCriu } from '../rpc/spawn-criu.js';
import { readLazyPagesStats, type ServedPages } from './lazy-pages-log.js';
import { meaningfulErrors, readLogErrors } from './log.js';

/** Where the daemon says it listens: the fd of its --status-fd. */
const STATUS_FD = 3;
/** Where a page-server source's connected socket lands in the daemon (its --ps-socket). */
const PAGE_SOCKET_FD = 4;
/**
 * Debug: the daemon's log is the only count of the pages it served on fault and in the
 * background. Measured here it costs nothing visible: 3,200 lines (175 KB) for 1 GiB, a few
 * lines per fault, and faults are rare once the background copy runs.
 */
const DAEMON_LOG_LEVEL = 4;

export interface LazyPagesDaemon {
  /** Resolves when the daemon has served every page and exited; RESTORE_FAILED if it failed. */
  pagesLoaded: Promise<ServedPages>;
  /** Ends it (SIGKILL) unless it has exited, and reaps it; `why` is what pagesLoaded then says. */
  stop(why?: string): Promise<void>;
}

async function failure(why: string, logPath: string): Promise<CriuError> {
  const errors = meaningfulErrors(await readLogErrors(logPath));
  const detail = errors.length ? `: ${errors.slice(-3).join('; ')}` : '';
  return new CriuError('RESTORE_FAILED', `criu lazy-pages ${why}${detail}. See ${logPath}.`, {
    operation: 'restore',
    logPath,
  });
}

/**
 * Resolves once the daemon listens in `workDir`; rejects (the daemon reaped) if it exits first.
 * Its log goes to `logPath`, read for the stats once it has served every page. With `pageSocket`
 * (a connected stream socket of ours) the pages come from a remote page server over it (live
 * migration: `--page-server --ps-socket`), not from the images' pages files.
 */
export async function startLazyPagesDaemon(
  criuPath: string,
  imagesDir: string,
  workDir: string,
  logPath: string,
  pageSocket?: number,
): Promise<LazyPagesDaemon> {
  const native = loadNative();
  const [statusRead, statusWrite] = native.pipePair();
  let spawned: Promise<ProcessWatcher>;
  try {
    const args = ['lazy-pages', '-D', imagesDir, '-W', workDir, '-o', logPath, `-v${DAEMON_LOG_LEVEL}`];
    const remote = pageSocket === undefined ? [] : ['--page-server', '--ps-socket', String(PAGE_SOCKET_FD)];
    const fds = [-1, -1, -1, statusWrite, ...(pageSocket === undefined ? [] : [pageSocket])];
    spawned = spawnCriu(criuPath, [...args, ...remote, '--status-fd', String(STATUS_FD)], fds);
  } finally {
    // The spawn has its copy: the daemon's exit then ends the status pipe.
    closeSync(statusWrite);
  }
  let watcher: ProcessWatcher;
  try {
    watcher = await spawned;
  } catch (error) {
    closeSync(statusRead);
    throw error;
  }
  const status = new Socket({ fd: statusRead, readable: true, writable: false });
  const ready = await new Promise<boolean>((resolve) => {
    status.once('data', () => resolve(true));
    status.once('end', () => resolve(false));
    status.once('error', () => resolve(false));
  });
  status.destroy();
  const exited = watcher.exited;
  if (!ready) {
    const { code, signal } = await exited;
    const hint =
      'exited before it was ready (lazy restore needs userfaultfd: check() reports features.lazyPages; without root, sysctl vm.unprivileged_userfaultfd=1 allows it)';
    throw await failure(`${hint} (${signal ?? code})`, logPath);
  }
  let stoppedBecause: string | undefined;
  const pagesLoaded = exited.then(async ({ code, signal }) => {
    if (code === 0) return readLazyPagesStats(logPath);
    // Ended by us: the reason is ours to give, and its log explains nothing.
    if (stoppedBecause !== undefined)
      throw new CriuError('RESTORE_FAILED', `criu lazy-pages ${stoppedBecause}.`, { operation: 'restore' });
    throw await failure(`stopped serving pages (${signal ?? code})`, logPath);
  });
  // Awaited by whoever holds the handle; never an unhandled rejection.
  pagesLoaded.catch(() => {});
  return {
    pagesLoaded,
    async stop(why) {
      stoppedBecause = why ?? 'was ended: the restore it served failed';
      watcher.kill(9);
      await exited.catch(() => {});
    },
  };
}
