// The concerns of a restore, in the order the runner plans them (and then runs each phase).
// Adding a capability to restore = one module implementing RestoreConcern + one line here.
import { pidHolder } from '../criu/pids.js';
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import { criuFlags } from './criu-flags.js';
import { fdSubstitution } from './fd-substitution.js';
import { ipcChannel } from './ipc-channel.js';
import { ipcNamespaceMode } from './ipc-namespace.js';
import { lazyPages, type PageServerSource } from './lazy-pages.js';
import { mappings } from './mappings.js';
import { pageVerification } from './page-verification.js';
import { pidWait } from './pid-wait.js';
import { pipeData } from './pipe-data.js';
import { sysvHostMode } from './sysv-host.js';

/** Real CRIU's restore, with the CRIU binary the operation uses (and a migration's page server). */
export const criuRestoreConcerns = (criuPath: string, pageServer?: PageServerSource): readonly RestoreConcern[] => [
  pidWait(pidHolder),
  pageVerification,
  pipeData,
  sysvHostMode,
  ipcNamespaceMode,
  // Opens the substitutes: planned after every check that cannot need them.
  fdSubstitution,
  // Reads the fd substitution's plan: the channel fd's new socket.
  ipcChannel,
  mappings,
  criuFlags,
  // Last: its daemon starts just before CRIU, once every check has passed.
  lazyPages(criuPath, pageServer),
];
