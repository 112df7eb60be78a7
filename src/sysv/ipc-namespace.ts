// Looking into another IPC namespace (a tree spawned with namespaces: ['ipc'], or the one a
// restore joins): its /proc/sysvipc tables and its segments' contents, through the addon, which
// does the namespace switch on a short-lived thread of its own.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { loadNative } from '../native.js';

/** An IPC namespace by the file that names it (`/proc/PID/ns/ipc`); undefined: this process's. */
export type IpcNamespaceFile = string | undefined;

export const ipcNamespaceOf = (pid: number): string => `/proc/${pid}/ns/ipc`;

/** Reads `path` (e.g. /proc/sysvipc/shm) as a process inside namespace `ns` would see it. */
export function readInIpcNamespace(path: string, ns: IpcNamespaceFile): string {
  if (ns === undefined) return readFileSync(path, 'utf8');
  return withNamespaceFd(ns, (nsFd) => {
    const fd = loadNative().openInIpcNamespace(nsFd, path);
    try {
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  });
}

/** Runs `use` with `ns` open (read-only, close-on-exec), and closes it after, also after a rejection. */
export function withNamespaceFd<T>(ns: string, use: (nsFd: number) => T): T {
  const fd = openSync(ns, 'r');
  let result: T;
  try {
    result = use(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => closeSync(fd)) as T;
  closeSync(fd);
  return result;
}
