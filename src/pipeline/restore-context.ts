// The context every concern of one restore shares.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointToRestore } from '../restore-plan.js';
import { ImageSet } from '../rewrite/rewrite.js';
import { type IpcNamespaceImages, readIpcNamespaceImages } from '../sysv/ipcns-images.js';
import type { RestoreOptions } from '../types.js';
import type { RestoreContext } from './restore-phases.js';

/** How long a restore waits for the image's pids by default (RestoreOptions.pidWaitTimeout). */
const DEFAULT_PID_WAIT_MS = 5000;

/**
 * The caller's dir (made if missing), or a new private one. Synchronously: one metadata call,
 * where a thread-pool round trip could wait milliseconds for the other vCPU here.
 */
async function makeWorkDir(requested: string | undefined): Promise<string> {
  if (requested === undefined) return mkdtempSync(join(tmpdir(), 'node-criu-restore-'));
  mkdirSync(requested, { recursive: true, mode: 0o700 });
  return requested;
}

export function restoreContext(
  imagesDir: string,
  options: RestoreOptions,
  checkpoint: CheckpointToRestore,
): RestoreContext {
  let ipcNamespace: Promise<IpcNamespaceImages | undefined> | undefined;
  let workDir: Promise<string> | undefined;
  return {
    imagesDir,
    options,
    checkpoint,
    pidDeadline: Date.now() + (options.pidWaitTimeout ?? DEFAULT_PID_WAIT_MS),
    ipcNamespaceImages: () => {
      ipcNamespace ??= readIpcNamespaceImages(new ImageSet(imagesDir));
      return ipcNamespace;
    },
    workDir: () => {
      workDir ??= makeWorkDir(options.workDir);
      return workDir;
    },
  };
}
