// The context every concern of one restore shares.
import type { CheckpointToRestore } from '../restore-plan.js';
import { ImageSet } from '../rewrite/rewrite.js';
import { type IpcNamespaceImages, readIpcNamespaceImages } from '../sysv/ipcns-images.js';
import type { RestoreOptions } from '../types.js';
import type { RestoreContext } from './restore-phases.js';

/** How long a restore waits for the image's pids by default (RestoreOptions.pidWaitTimeout). */
const DEFAULT_PID_WAIT_MS = 5000;

export function restoreContext(
  imagesDir: string,
  options: RestoreOptions,
  checkpoint: CheckpointToRestore,
): RestoreContext {
  let ipcNamespace: Promise<IpcNamespaceImages | undefined> | undefined;
  return {
    imagesDir,
    options,
    checkpoint,
    pidDeadline: Date.now() + (options.pidWaitTimeout ?? DEFAULT_PID_WAIT_MS),
    ipcNamespaceImages: () => {
      ipcNamespace ??= readIpcNamespaceImages(new ImageSet(imagesDir));
      return ipcNamespace;
    },
  };
}
