// Restore concern: lazy restore (RestoreOptions.lazyPages). A lazy-pages daemon is started just
// before CRIU runs, CRIU is asked for lazy pages, the handle gets `pagesLoaded`; the daemon is
// ended on every path where the tree will not need it (a failed restore, the root's exit).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LazyPagesDaemon, startLazyPagesDaemon } from '../criu/lazy-pages-daemon.js';
import { CriuError } from '../errors.js';
import { removeDir } from '../fs/flat-dir.js';
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import type { EagerMemory, LazyPagesStats } from '../types.js';
import { eagerMemory } from './eager-memory.js';

const LOG = 'lazy-pages.log';
/** How long a daemon's failure waits for the root's exit, reported apart, before it counts as its own. */
const EXIT_ORDER_MS = 50;

/**
 * Where the daemon logs: the caller's work dir, kept; or a private dir of its own, since the
 * restore's work dir goes when the restore returns and the daemon serves pages long after. That
 * one goes once the log has been read, and stays when it explains a failure.
 */
function logDir(workDir: string | undefined): { dir: string; own: boolean } {
  if (workDir !== undefined) return { dir: workDir, own: false };
  // Made at once: a thread-pool round trip could wait milliseconds for the other vCPU here.
  return { dir: mkdtempSync(join(tmpdir(), 'node-criu-lazy-pages-')), own: true };
}

/**
 * Where the pages come from besides the images: a remote page server (live migration), reached
 * over a connected stream socket of ours that the daemon is given. It is the caller's: closed
 * by the caller once the daemon has started (the daemon holds its own copy).
 */
export interface PageServerSource {
  socket: number;
}

/** The concern; with `pageServer` the daemon fetches the lazy pages from it. */
export function lazyPages(criuPath: string, pageServer?: PageServerSource): RestoreConcern {
  return {
    name: 'lazy pages',
    async plan(context) {
      if (!context.options.lazyPages) return undefined;
      // What stays eager is read once the tree runs, for pagesLoaded: read before, it delayed the
      // tree by ~50 ms for 4 GiB (every task's memory map decoded).
      let eager: Promise<EagerMemory[]> | undefined;
      const readEager = () => {
        eager ??= eagerMemory(context.imagesDir);
        return eager;
      };
      let daemon: LazyPagesDaemon | undefined;
      let pagesLoaded: Promise<LazyPagesStats> | undefined;
      let ownLog: string | undefined;
      // Why the daemon was ended by us (the restore failed, the tree exited): set before it is
      // stopped. A daemon that fails with nothing of the kind keeps its log, which its error names.
      let endedBecause: string | undefined;
      let logExplains = false;
      const removeLog = async () => {
        if (ownLog !== undefined && !logExplains) await removeDir(ownLog);
      };
      // Once pagesLoaded has settled: it reads the log of a daemon that served every page.
      const end = async (why: string) => {
        endedBecause = why;
        await daemon?.stop(why);
        await pagesLoaded?.catch(() => {});
        logExplains = false;
        await removeLog();
      };
      return {
        criu: { lazyPages: true },
        prepare: async () => {
          const workDir = await context.workDir();
          const log = logDir(context.options.workDir);
          const logPath = join(log.dir, LOG);
          daemon = await startLazyPagesDaemon(criuPath, context.imagesDir, workDir, logPath, pageServer?.socket);
          if (log.own) ownLog = log.dir;
          pagesLoaded = daemon.pagesLoaded.then(
            async (served) => {
              await removeLog(); // read and done with
              return { ...served, eager: await readEager() };
            },
            async (error: unknown) => {
              // A daemon may notice the tree's end (or the failed restore's) before we do: the
              // root's exit and the daemon's are reported apart. A moment decides which it was.
              await sleep(EXIT_ORDER_MS);
              if (endedBecause !== undefined) {
                throw new CriuError('RESTORE_FAILED', `criu lazy-pages ${endedBecause}.`, { operation: 'restore' });
              }
              logExplains = error instanceof CriuError && error.logPath !== undefined;
              throw error;
            },
          );
          // Awaited by whoever holds the handle; never an unhandled rejection.
          pagesLoaded.catch(() => {});
        },
        get handle() {
          return pagesLoaded ? { pagesLoaded } : {};
        },
        afterResume: () => {
          // Must not fail: a failure is pagesLoaded's to report.
          readEager().catch(() => {});
        },
        release: async (failed) => {
          if (failed) await end('was ended: the restore it served failed');
        },
        // The daemon exits by itself once every page is in; a tree gone first needs none of them.
        afterExit: () => {
          void end('was ended: the restored tree exited before all its pages were in');
        },
      };
    },
  };
}
