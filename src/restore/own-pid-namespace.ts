// Why SysV choices are refused for a tree that is pid 1 of its own pid namespace.
import { CriuError } from '../errors.js';

/** Attachments and stopped tasks are named by pids that mean nothing in the new namespace. */
export function sysvWithOwnPidNamespace(imagesDir: string): CriuError {
  return new CriuError(
    'UNSUPPORTED',
    `${imagesDir} is a tree with a pid namespace of its own: its SysV segments cannot yet be attached, refilled or renumbered at restore. Restore it with its IPC namespace as CRIU saved it (no sysv or joinNs options), or checkpoint it without namespaces: ['pid'].`,
    { operation: 'restore' },
  );
}
