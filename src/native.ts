// Typed, lazy loader of the native addon (native/*.cc): SEQPACKET sockets, pidfd waits, fd flags,
// read buffers a fork leaves alone, small files read whole, a process's fd table, syscall
// injection under ptrace, SysV object access. The entry point the rest of node-criu imports; each
// concern's contract, raw binding and argument checks live in src/native/.
import { type FdApi, fdApi } from './native/fds.js';
import { loadBinding, type RawBinding } from './native/load.js';
import { type MemoryApi, memoryApi } from './native/memory.js';
import { type ProcFdsApi, procFdsApi } from './native/proc-fds.js';
import { type ProcessWatcherApi, processWatcherApi } from './native/process-watcher.js';
import { type SeqpacketApi, seqpacketApi } from './native/seqpacket.js';
import { type SpawnApi, spawnApi } from './native/spawn.js';
import { type SyscallInjectApi, syscallInjectApi } from './native/syscall-inject.js';
import { type SysvApi, sysvApi } from './native/sysv.js';
import { type WholeFilesApi, wholeFilesApi } from './native/whole-files.js';

export type { PtyPair } from './native/fds.js';
export type { ProcFd, ProcFdStat } from './native/proc-fds.js';
export type { ExitStatus, ProcessWatcher } from './native/process-watcher.js';
export type { SeqpacketMessage, SeqpacketSocket } from './native/seqpacket.js';
export { FinalState, type InjectedCall, type InjectResult } from './native/syscall-inject.js';
export type { IpcKind, QueueMessage } from './native/sysv.js';
export type { WholeFile } from './native/whole-files.js';

/** Everything the addon offers, checked at the boundary; see each part for its calls. */
export interface NativeAddon
  extends SeqpacketApi,
    ProcessWatcherApi,
    FdApi,
    MemoryApi,
    SpawnApi,
    SyscallInjectApi,
    SysvApi,
    WholeFilesApi,
    ProcFdsApi {}

function adapt(raw: RawBinding): NativeAddon {
  return {
    ...seqpacketApi(raw),
    ...processWatcherApi(raw),
    ...fdApi(raw),
    ...memoryApi(raw),
    ...spawnApi(raw),
    ...syscallInjectApi(raw),
    ...sysvApi(raw),
    ...wholeFilesApi(raw),
    ...procFdsApi(raw),
  };
}

let loaded: NativeAddon | undefined;

/** Loads node_criu.node (a build of this machine, else the package's prebuild) lazily on first call (only the CRIU backend calls it; a simulator backend never does). If missing, throw ONE Error (code 'NATIVE_ADDON_MISSING') listing every path tried and saying how to build it (`npm rebuild node-criu`, needs python3, make, g++). */
export function loadNative(): NativeAddon {
  // A failure is not cached: after a build, the next call finds the addon.
  loaded ??= adapt(loadBinding());
  return loaded;
}

/**
 * The addon if something has loaded it already, without loading it: for what only gets better
 * with it (read buffers), where the simulator, which never loads it, goes on without.
 */
export function nativeIfLoaded(): NativeAddon | undefined {
  return loaded;
}
