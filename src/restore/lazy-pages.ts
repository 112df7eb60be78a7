// Restore concern: lazy restore (RestoreOptions.lazyPages). A lazy-pages daemon is started just
// before CRIU runs, CRIU is asked for lazy pages, the handle gets `pagesLoaded`; the daemon is
// ended on every path where the tree will not need it (a failed restore, the root's exit).
import { type LazyPagesDaemon, startLazyPagesDaemon } from '../criu/lazy-pages-daemon.js';
import { LOG_LEVEL } from '../criu/log.js';
import type { RestoreConcern } from '../pipeline/restore-phases.js';

export function lazyPages(criuPath: string): RestoreConcern {
  return {
    name: 'lazy pages',
    async plan(context) {
      if (!context.options.lazyPages) return undefined;
      let daemon: LazyPagesDaemon | undefined;
      return {
        criu: { lazyPages: true },
        prepare: async () => {
          const workDir = await context.workDir();
          daemon = await startLazyPagesDaemon(
            criuPath,
            context.imagesDir,
            workDir,
            context.options.logLevel ?? LOG_LEVEL,
          );
        },
        get handle() {
          return daemon ? { pagesLoaded: daemon.pagesLoaded } : {};
        },
        release: async (failed) => {
          if (failed) await daemon?.stop();
        },
        // The daemon exits by itself once every page is in; a tree gone first needs none of them.
        afterExit: () => void daemon?.stop('was ended: the restored tree exited before all its pages were in'),
      };
    },
  };
}
