// The contract every backend keeps: real CRIU (src/criu/) and the simulator (src/sim/).
import type { BackendName } from './backend-choice.js';
import type { Manifest } from './integrity/manifest.js';
import type {
  CheckOptions,
  Checkpoint,
  CheckpointOptions,
  CheckResult,
  RestoredProcess,
  RestoreOptions,
} from './types.js';

/**
 * What a backend can do beyond the core contract. Tests and callers ask for a capability instead
 * of guessing from the backend's name, and a backend without one says so by not having it:
 * - `real-processes`: checkpoints processes of the operating system (any pid);
 * - `sim-processes`: checkpoints the simulator's processes (started by `sim.spawn()`);
 * - `fd-substitution`: restore's `fds` with every kind of substitute (see FdSubstitute);
 * - `tty`: terminals (a new pty for a `'pipe'` substitute of a tty);
 * - `shared-mappings`: `leaveOutMappings` / `mappings` (POSIX shm and mmap'ed files);
 * - `sysv-host`: SysV segments attached in the host IPC namespace, substituted at restore;
 * - `sysv-ipc-ns`: a tree in its own IPC namespace, its SysV objects saved in the images;
 * - `criu-keys`: raw CRIU options (`inheritFds`, `external`, `joinNs`) that act on CRIU itself;
 * - `pre-dump`: iterative (pre-)dumps, where the kernel tracks memory changes.
 */
export type Capability =
  | 'real-processes'
  | 'sim-processes'
  | 'fd-substitution'
  | 'tty'
  | 'shared-mappings'
  | 'sysv-host'
  | 'sysv-ipc-ns'
  | 'criu-keys'
  | 'pre-dump';

/**
 * What each backend can do. The SysV host mode of real CRIU lands with src/sysv; until then
 * `sysv-host` is the simulator's alone.
 */
export const CAPABILITIES: Readonly<Record<BackendName, ReadonlySet<Capability>>> = {
  criu: new Set<Capability>([
    'real-processes',
    'fd-substitution',
    'tty',
    'shared-mappings',
    'sysv-ipc-ns',
    'sysv-host',
    'criu-keys',
    'pre-dump',
  ]),
  sim: new Set<Capability>(['sim-processes', 'fd-substitution', 'sysv-host']),
};

/**
 * A backend checkpoints process trees into CRIU-format images directories and restores them.
 * Code tested against one backend must behave the same against the other, so every backend:
 *
 * - **check**: never throws for a problem; reports `usable`, its own name in `backend`, and every
 *   problem with a `code`, a `message` and a `fix`.
 * - **checkpoint(pid)**: writes CRIU-format images (inventory, pstree, core-, mm-, pagemap- and
 *   pages-, ids-, fdinfo-, files ...) plus the manifest (`node-criu.json`, written last) into a
 *   new or empty private dir, and returns the tree, the fd table, the shared mappings, what a
 *   restore will need (`needs`, by the restore's own rules) and `remove()` (exactly what it
 *   wrote). Without `leaveRunning` the tree is killed once dumped. Fds whose other end is outside
 *   the tree are left out by themselves; `leaveOut` advice naming an fd the tree lacks is an
 *   error. On any failure or abort the tree keeps running as it was and the images written so far
 *   are removed.
 * - **restore(dir)**: verifies the images against the manifest (unless `verify: false`), checks
 *   every fd substitution against the fd table before anything runs, waits (bounded by
 *   `pidWaitTimeout`) for the image's pids to be free, and returns a {@link RestoredProcess}:
 *   the root is a child of the caller, reaped when it exits; `'pipe'` substitutes of the root
 *   are exposed as streams. A failed restore leaves no restored process alive and never modifies
 *   the images.
 * - **errors**: {@link CriuError} with the same `code` for the same mistake:
 *   NO_SUCH_PROCESS (pid to checkpoint missing), PID_IN_USE (a pid of the image is held),
 *   INVALID_SUBSTITUTION (unknown pid/fd or key, left-out fd without a substitute, a substitute of
 *   a kind the process cannot use, a left-out file's substitute of another size without
 *   `allowSizeChange`), INVALID_IMAGES (not a checkpoint, or one this backend cannot restore),
 *   IMAGE_INTEGRITY (images differ from the manifest), IMAGE_CORRUPT (a malformed image),
 *   ABORTED (the signal fired or a hook refused), TIMEOUT (the `timeout` elapsed), UNSUPPORTED
 *   (something this backend cannot do, see {@link CAPABILITIES}). Invalid arguments are
 *   TypeError/RangeError, validated before any backend runs.
 * - **hooks**: called at CRIU's notification points in CRIU's order (dump: preDump,
 *   queryExtFiles, postDump; restore: preRestore, postRestore, preResume, postResume).
 * - never blocks the event loop, never loads the native addon unless it is the CRIU backend.
 */
export interface Backend {
  /** `'criu'` or `'sim'`: what the `backend` option and NODE_CRIU_BACKEND call it. */
  readonly name: BackendName;
  /** Whether this backend can work here, and if not, what to do about it. Never throws for problems. */
  check(options?: CheckOptions): Promise<CheckResult>;
  /** Checkpoints the tree rooted at `pid`. */
  checkpoint(pid: number, options?: CheckpointOptions): Promise<Checkpoint>;
  /**
   * Restores the checkpoint in `imagesDir` as a child of this process. `read`: what the caller
   * has just read of it (restore() reads the manifest to choose the backend), not read again.
   */
  restore(imagesDir: string, options?: RestoreOptions, read?: CheckpointRead): Promise<RestoredProcess>;
}

/** What restore() has already read of a checkpoint, handed to the backend so it is not read again. */
export interface CheckpointRead {
  /** Its manifest (`node-criu.json`) as just read; undefined when the dir has none. */
  manifest: Manifest | undefined;
}

/** The capabilities of a backend. */
export function capabilitiesOf(backend: BackendName | Backend): ReadonlySet<Capability> {
  return CAPABILITIES[typeof backend === 'string' ? backend : backend.name];
}
