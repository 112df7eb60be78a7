// node-criu's public API: check, checkpoint and restore, with options validated up front.
import { criuBackend } from './criu/backend.js';
import { validateCheckOptions, validateCheckpointOptions, validatePid, validateRestoreOptions } from './options.js';
import type {
  CheckOptions,
  Checkpoint,
  CheckpointOptions,
  CheckResult,
  RestoredProcess,
  RestoreOptions,
} from './types.js';

export type { Backend } from './backend.js';
export { CriuError, type CriuErrorCode, type CriuOperation, errnoName, isCriuError } from './errors.js';
export { formatFdTable, readFdTable } from './fds/fd-table.js';
export { type DecodedImage, decodeImage, encodeImage, ImageEntry, readImage, writeImage } from './images/codec.js';
export { type CheckpointView, fdTableFromImages, inspect } from './inspect/index.js';
export { MANIFEST_NAME, type Manifest } from './integrity/manifest.js';
export { type VerifyResult, verifyImages } from './integrity/verify.js';
export { type FileRelaxation, relaxFiles } from './rewrite/file-edits.js';
export { ImageSet, type RewriteResult, rewriteImages } from './rewrite/rewrite.js';
export { renumberShm } from './rewrite/sysv-edits.js';
export { CriuRpcClient, RpcSession } from './rpc/client.js';
export { NOTIFICATIONS } from './rpc/hooks.js';
export { spawn } from './spawn.js';
export type * from './types.js';

/**
 * Tells whether checkpoint/restore can work here: the CRIU found, its version and optional
 * features, and every problem with what to do about it. Never throws for a problem.
 */
export function check(options?: CheckOptions): Promise<CheckResult> {
  return criuBackend.check(validateCheckOptions(options));
}

/**
 * Checkpoints the process tree rooted at `pid` into an images dir.
 * Without `leaveRunning` the tree is killed once dumped, as with `criu dump`.
 * @throws {TypeError|RangeError} for invalid arguments, {@link CriuError} for failures.
 */
export async function checkpoint(pid: number, options?: CheckpointOptions): Promise<Checkpoint> {
  validatePid(pid);
  return criuBackend.checkpoint(pid, validateCheckpointOptions(options));
}

/**
 * Restores the checkpoint in `imagesDir`; the restored root becomes a child of this process and
 * is reaped when it exits (`exited`). Waits (bounded) for the image's pids to be free.
 * @throws {TypeError|RangeError} for invalid arguments, {@link CriuError} for failures.
 */
export async function restore(imagesDir: string, options?: RestoreOptions): Promise<RestoredProcess> {
  if (typeof imagesDir !== 'string' || imagesDir.length === 0)
    throw new TypeError('imagesDir must be a non-empty string.');
  return criuBackend.restore(imagesDir, validateRestoreOptions(options));
}
