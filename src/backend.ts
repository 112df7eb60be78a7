// The contract every backend keeps: real CRIU (src/criu/) and the simulator (src/sim/).
import type {
  CheckOptions,
  Checkpoint,
  CheckpointOptions,
  CheckResult,
  RestoredProcess,
  RestoreOptions,
} from './types.js';

/**
 * A backend checkpoints process trees into CRIU-format images directories and restores them.
 *
 * Every backend must:
 * - validate options before doing anything (TypeError for unknown names and wrong types,
 *   RangeError for out-of-range values) with the same messages;
 * - fail only with {@link CriuError} for operational failures, using the same `code` for the same
 *   mistake (NO_SUCH_PROCESS, PID_IN_USE, INVALID_IMAGES, ABORTED, TIMEOUT, ...);
 * - leave the target running and intact when a checkpoint fails or is aborted, and leave no
 *   half-restored process alive when a restore fails;
 * - never modify an existing checkpoint's images;
 * - never block the event loop while the operation runs.
 */
export interface Backend {
  readonly name: 'criu' | 'sim';
  /** Whether this backend can work here, and if not, what to do about it. Never throws for problems. */
  check(options?: CheckOptions): Promise<CheckResult>;
  /** Checkpoints the tree rooted at `pid`. */
  checkpoint(pid: number, options?: CheckpointOptions): Promise<Checkpoint>;
  /** Restores the checkpoint in `imagesDir` as a child of this process. */
  restore(imagesDir: string, options?: RestoreOptions): Promise<RestoredProcess>;
}
