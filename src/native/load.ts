// Finds node_criu.node (a build of this machine, then the package's prebuild), requires it and
// checks its shape; the one error for a missing or stale addon lists every path tried and how to
// build it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildHint, nativeDirs } from './addon-dirs.js';
import type { RawFdBinding } from './fds.js';
import type { RawMemoryBinding } from './memory.js';
import type { RawProcFdsBinding } from './proc-fds.js';
import type { RawProcessWatcherBinding } from './process-watcher.js';
import type { RawSeqpacketBinding } from './seqpacket.js';
import type { RawSpawnBinding } from './spawn.js';
import type { RawSyscallInjectBinding } from './syscall-inject.js';
import type { RawSysvBinding } from './sysv.js';
import type { RawWholeFilesBinding } from './whole-files.js';

/** The exports of build/Release/node_criu.node (native/addon.cc). */
export type RawBinding = RawSeqpacketBinding &
  RawProcessWatcherBinding &
  RawFdBinding &
  RawMemoryBinding &
  RawSpawnBinding &
  RawSyscallInjectBinding &
  RawSysvBinding &
  RawWholeFilesBinding &
  RawProcFdsBinding;

const ADDON_FILE = 'node_criu.node';

/** Every export, as a record so that one added to RawBinding but not here fails to compile. */
const EXPORT_NAMES = Object.keys({
  Seqpacket: true,
  PidWatcher: true,
  seqpacketPair: true,
  setCloexec: true,
  getCloexec: true,
  dontForkBuffer: true,
  setChildSubreaper: true,
  pipePair: true,
  streamSocketPair: true,
  spawnWithFds: true,
  openPty: true,
  injectSyscalls: true,
  shmCopy: true,
  openInIpcNamespace: true,
  ipcCreate: true,
  ipcRemove: true,
  ipcSetOwner: true,
  semGetAll: true,
  semSetAll: true,
  msgCopy: true,
  msgQueueBytes: true,
  msgSend: true,
  readWholeFiles: true,
  readProcFds: true,
} satisfies Record<keyof RawBinding, true>);

/** Checks the loaded module's shape, so that a stale or foreign build fails here, not later. */
function isRawBinding(value: unknown): value is RawBinding {
  if (typeof value !== 'object' || value === null) return false;
  return EXPORT_NAMES.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}

/**
 * Requires the first candidate that loads and has this version's exports. Otherwise throws ONE
 * Error (code 'NATIVE_ADDON_MISSING', the candidates as `paths`, the first load failure as
 * `cause`) listing every path tried and saying how to build it.
 */
export function loadBinding(): RawBinding {
  const require = createRequire(import.meta.url);
  const paths = nativeDirs().map((dir) => join(dir, ADDON_FILE));
  const tried: string[] = [];
  let cause: unknown;
  for (const path of paths) {
    if (!existsSync(path)) {
      tried.push(`  ${path}: not found`);
      continue;
    }
    try {
      const exported: unknown = require(path);
      if (!isRawBinding(exported)) {
        tried.push(`  ${path}: loaded, but it is not this version's addon (rebuild it)`);
        continue;
      }
      return exported;
    } catch (error) {
      cause ??= error;
      tried.push(`  ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const error = new Error(
    `node-criu's native addon (${ADDON_FILE}) could not be loaded. Tried:\n${tried.join('\n')}\n${buildHint()}`,
    { cause },
  );
  throw Object.assign(error, { code: 'NATIVE_ADDON_MISSING', paths });
}
