// Restore concern: lazy restore (RestoreOptions.lazyPages). A lazy-pages daemon is started just
// before CRIU runs, CRIU is asked for lazy pages, the handle gets `pagesLoaded`; the daemon is
// ended on every path where the tree will not need it (a failed restore, the root's exit).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LazyPagesDaemon, startLazyPagesDaemon } from '../criu/lazy-pages-daemon.js';
import { removeDir } from '../fs/flat-dir.js';
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import type { LazyPagesStats } from '../types.js';
import { eagerMemory } from './eager-memory.js';

const LOG = 'lazy-pages.log';

/**
 * Where the daemon logs: the caller's work dir, kept; or a private dir of its own, since the
 * restore's work dir goes when the restore returns and the daemon serves pages long after. That
 * one goes once the log has been read, and stays when it explains a failure.
 */
async function logDir(workDir: string | undefined): Promise<{ dir: string; own: boolean }> {
  if (workDir !== undefined) return { dir: workDir, own: false };
  return { dir: await mkdtemp(join(tmpdir(), 'node-criu-lazy-pages-')), own: true };
}

export function lazyPages(criuPath: string): RestoreConcern {
  return {
    name: 'lazy pages',
    async plan(context) {
      if (!context.options.lazyPages) return undefined;
      const eager = await eagerMemory(context.imagesDir);
      let daemon: LazyPagesDaemon | undefined;
      let pagesLoaded: Promise<LazyPagesStats> | undefined;
      let ownLog: string | undefined;
      const removeLog = async () => {
        if (ownLog !== undefined) await removeDir(ownLog);
      };
      return {
        criu: { lazyPages: true },
        prepare: async () => {
          const workDir = await context.workDir();
          const log = await logDir(context.options.workDir);
          daemon = await startLazyPagesDaemon(criuPath, context.imagesDir, workDir, join(log.dir, LOG));
          if (log.own) ownLog = log.dir;
          pagesLoaded = daemon.pagesLoaded.then(async (served) => {
            // Read and done with; a failed daemon's log stays, named by its error.
            await removeLog();
            return { ...served, eager };
          });
          // Awaited by whoever holds the handle; never an unhandled rejection.
          pagesLoaded.catch(() => {});
        },
        get handle() {
          return pagesLoaded ? { pagesLoaded } : {};
        },
        release: async (failed) => {
          if (!failed) return;
          await daemon?.stop();
          await removeLog();
        },
        // The daemon exits by itself once every page is in; a tree gone first needs none of them.
        afterExit: () => {
          void daemon?.stop('was ended: the restored tree exited before all its pages were in').then(removeLog);
        },
      };
    },
  };
}
