// Typed, lazy loader of the native addon (native/*.cc): SEQPACKET sockets, pidfd waits, fd flags,
// syscall injection under ptrace, SysV object access.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface SeqpacketMessage {
  data: Buffer;
  /** Received with MSG_CMSG_CLOEXEC, so close-on-exec. The receiver owns and must close them. */
  fds: number[];
}

export interface SeqpacketSocket {
  /** The socket's fd; -1 once closed. */
  readonly fd: number;
  /**
   * Sends one packet with optional fds (SCM_RIGHTS). Resolves when the kernel accepted it.
   * If the send buffer is full the packet waits in a queue, holding its own copy of the bytes
   * and its own duplicates of the fds: the caller may reuse `data` and close `fds` as soon as
   * send() returns. A packet larger than the socket's send buffer fails with EMSGSIZE:
   * seqpacketPair asks for 4 MiB (the kernel doubles it, so about 8 MiB); without CAP_NET_ADMIN
   * the request is capped at net.core.wmem_max (doubled as well).
   */
  send(data: Uint8Array, fds?: readonly number[]): Promise<void>;
  /**
   * Resolves with the next packet, or null at end of stream (peer closed / ECONNRESET).
   * Concurrent calls queue up and get consecutive packets in call order.
   * An empty packet arrives as an empty `data` while the peer is connected; an empty packet sent
   * just before the peer closes (followed by nothing but empty packets) reads as the end of
   * stream, since the kernel reports both as a 0-byte read. CRIU never sends empty packets.
   */
  receive(): Promise<SeqpacketMessage | null>;
  /**
   * Stops polling, rejects a pending receive/send with an ECANCELED system error, closes the fd.
   * Idempotent. Later send()/receive() calls reject with ECANCELED too.
   */
  close(): void;
}

export interface ExitStatus {
  /** The exit code, or null if the process was killed by a signal (or not reaped). */
  code: number | null;
  /** Node's name of the fatal signal; null if it exited normally, was not reaped, or the signal
   * has no Node name (real-time signals; Node's own child_process reports null for those too). */
  signal: NodeJS.Signals | null;
  /** False when the process was not our child (or another waiter reaped it): no status known. */
  reaped: boolean;
}

export interface ProcessWatcher {
  readonly pid: number;
  /** Settles once when the process exits (it is reaped if it is our child). */
  readonly exited: Promise<ExitStatus>;
  /**
   * pidfd_send_signal; returns false if the process is already gone (ESRCH), throws on other
   * errors. The pidfd pins the process identity, so a reused pid is never signaled. Throws an
   * EBADF system error after close().
   */
  kill(signal: number): boolean;
  /** Whether the pending wait keeps the event loop alive (default: ref'd). */
  ref(): void;
  unref(): void;
  /**
   * Stops watching and closes the pidfd. If `exited` is still pending it rejects with an
   * ECANCELED system error (syscall 'waitid'); that rejection is marked handled here, so closing
   * a watcher nobody awaits does not raise an unhandled rejection. Idempotent.
   */
  close(): void;
}

export interface NativeAddon {
  /** Returns [our end wrapped as SeqpacketSocket, the other end as a raw fd]. Both fds are O_CLOEXEC (the raw one is handed to a child through spawn's stdio array, whose dup2 clears the flag in the child). */
  seqpacketPair(): [SeqpacketSocket, number];
  /**
   * Wraps an existing SOCK_SEQPACKET socket fd (e.g. the raw end of a pair, or one received in a
   * packet). Takes ownership: the fd is closed by close(), and also if this throws.
   */
  openSeqpacket(fd: number): SeqpacketSocket;
  /** pidfd_open(pid) and an async wait. Throws ESRCH system error if no such process. */
  watchProcess(pid: number): ProcessWatcher;
  setCloexec(fd: number, on: boolean): void;
  getCloexec(fd: number): boolean;
  /**
   * prctl(PR_SET_CHILD_SUBREAPER): orphans of our descendants (e.g. a restored tree whose root
   * exited, or a daemon's grandchild) are re-parented to this process instead of init, so
   * watchProcess() can reap them. Process-wide: it affects every thread and Worker.
   */
  setChildSubreaper(on: boolean): void;
  /**
   * posix_spawn of `path` with argv `args` (argv[0] included): `fds[i]` becomes fd i in the child
   * (-1: /dev/null), nothing else is inherited; signals unblocked and at their defaults. Returns
   * the pid: watch and reap it with watchProcess. ~1 ms where child_process.spawn, which forks the
   * whole Node process, took 11-14 ms here. Throws a system error (ENOENT, EACCES, ...).
   */
  spawnWithFds(path: string, args: readonly string[], fds: readonly number[]): number;
  /** pipe2(O_CLOEXEC): [read end, write end], raw fds owned by the caller. */
  pipePair(): [number, number];
  /** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): two raw fds owned by the caller. */
  streamSocketPair(): [number, number];
  /** posix_openpt + the opened slave, both close-on-exec and not our controlling terminal. */
  openPty(): PtyPair;
  /**
   * Seizes every thread of `pid` with ptrace, runs `calls` in one of them (x86_64), restores its
   * registers and code (a syscall it was stopped in restarts), leaves it in `finalState` and
   * detaches. Runs on the thread pool in a short-lived helper process; a thread that cannot stop
   * within `stopTimeoutMs` fails the call with ETIMEDOUT, nothing run.
   */
  injectSyscalls(
    pid: number,
    calls: readonly InjectedCall[],
    finalState: FinalState,
    stopTimeoutMs: number,
  ): Promise<InjectResult>;
  /**
   * Copies `bytes` between SysV segment `shmid` and the file at `fd` (from offset 0), attaching
   * the segment in this process (read-only unless `toSegment`) for the copy only. Thread pool.
   * With `ipcNsFd` (an open /proc/PID/ns/ipc) the segment is the one of that IPC namespace.
   */
  shmCopy(shmid: number, fd: number, bytes: number, toSegment: boolean, ipcNsFd?: number): Promise<void>;
  /**
   * Opens `path` read-only from inside the IPC namespace of `ipcNsFd` and returns the fd:
   * /proc/sysvipc/* and the ipc sysctls then describe that namespace. Throws a system error.
   */
  openInIpcNamespace(ipcNsFd: number, path: string): number;
  /** shmget/semget/msgget(key, size or nsems, flags) -> the id; throws a system error. */
  ipcCreate(kind: IpcKind, key: number, size: number, flags: number): number;
  /** IPC_RMID. */
  ipcRemove(kind: IpcKind, id: number): void;
  /** IPC_SET of owner uid/gid and mode (and a queue's msg_qbytes when qbytes > 0). */
  ipcSetOwner(kind: IpcKind, id: number, uid: number, gid: number, mode: number, qbytes: number): void;
  /** semctl GETALL / SETALL. */
  semGetAll(semid: number, nsems: number): number[];
  semSetAll(semid: number, values: readonly number[]): void;
  /** The message at `index` of a queue, left in it (MSG_COPY); null past the last one. */
  msgCopy(msqid: number, index: number): QueueMessage | null;
  /** A queue's msg_qbytes (how many bytes it may hold). */
  msgQueueBytes(msqid: number): number;
  /** msgsnd(IPC_NOWAIT). */
  msgSend(msqid: number, type: number, data: Buffer): void;
}

export type IpcKind = 'shm' | 'sem' | 'msg';

/** One SysV queue message: its type (> 0) and bytes. */
export interface QueueMessage {
  type: number;
  data: Buffer;
}

/** One system call to run inside a traced task: its x86_64 number and up to six arguments. */
export interface InjectedCall {
  nr: number;
  args: readonly bigint[];
}

/** How injectSyscalls leaves the task: as found, stopped (SIGSTOP), or continued (SIGCONT). */
export const FinalState = { Unchanged: 0, Stopped: 1, Running: 2 } as const;
export type FinalState = (typeof FinalState)[keyof typeof FinalState];

export interface InjectResult {
  /** The raw return of each call that ran (-4095..-1 is -errno); the run ends at the first failure. */
  results: bigint[];
  /** How many threads were held stopped while the calls ran. */
  threads: number;
  /** Set when tracing itself failed (the task could not be seized or stopped in time). */
  error?: { errno: number; code: string; syscall: string };
}

export interface PtyPair {
  master: number;
  slave: number;
  /** The slave's path, e.g. /dev/pts/3. */
  path: string;
}

/** The raw packet the addon resolves receive() with. */
interface RawPacket {
  data: Buffer;
  fds: number[];
}

/** native/seqpacket.h */
interface RawSeqpacket {
  readonly fd: number;
  send(data: Uint8Array, fds: number[]): Promise<void>;
  receive(): Promise<RawPacket | null>;
  close(): void;
}

/** What native/pid_watcher.cc resolves `exited` with: the signal is still a number. */
interface RawExit {
  code: number | null;
  signal: number | null;
  reaped: boolean;
}

/** native/pid_watcher.h */
interface RawPidWatcher {
  readonly pid: number;
  readonly exited: Promise<RawExit>;
  kill(signal: number): boolean;
  ref(): void;
  unref(): void;
  close(): void;
}

/** The exports of build/Release/node_criu.node (native/addon.cc). */
interface RawBinding {
  Seqpacket: new (fd: number) => RawSeqpacket;
  PidWatcher: new (pid: number) => RawPidWatcher;
  seqpacketPair(): [RawSeqpacket, number];
  setCloexec(fd: number, on: boolean): void;
  getCloexec(fd: number): boolean;
  setChildSubreaper(on: boolean): void;
  pipePair(): [number, number];
  streamSocketPair(): [number, number];
  spawnWithFds(path: string, args: string[], fds: number[]): number;
  openPty(): PtyPair;
  injectSyscalls(pid: number, calls: InjectedCall[], finalState: number, stopTimeoutMs: number): Promise<InjectResult>;
  shmCopy(shmid: number, fd: number, bytes: number, toSegment: boolean, ipcNsFd: number): Promise<void>;
  openInIpcNamespace(ipcNsFd: number, path: string): number;
  ipcCreate(kind: IpcKind, key: number, size: number, flags: number): number;
  ipcRemove(kind: IpcKind, id: number): void;
  ipcSetOwner(kind: IpcKind, id: number, uid: number, gid: number, mode: number, qbytes: number): void;
  semGetAll(semid: number, nsems: number): number[];
  semSetAll(semid: number, values: number[]): void;
  msgCopy(msqid: number, index: number): QueueMessage | null;
  msgQueueBytes(msqid: number): number;
  msgSend(msqid: number, type: number, data: Buffer): void;
}

const ADDON_FILE = 'node_criu.node';
/** SCM_MAX_FD: the most fds the kernel accepts in one packet. */
const MAX_FDS_PER_PACKET = 253;
const MAX_SIGNAL = 64;

/** The first name Node lists for each number (SIGABRT before its alias SIGIOT, SIGIO before SIGPOLL). */
const signalNames: ReadonlyMap<number, NodeJS.Signals> = (() => {
  const names = new Map<number, NodeJS.Signals>();
  for (const [name, value] of Object.entries(constants.signals) as [NodeJS.Signals, number][]) {
    if (!names.has(value)) names.set(value, name);
  }
  return names;
})();

function argumentError(message: string, code: 'ERR_INVALID_ARG_TYPE' | 'ERR_OUT_OF_RANGE'): Error {
  const error = code === 'ERR_OUT_OF_RANGE' ? new RangeError(message) : new TypeError(message);
  return Object.assign(error, { code });
}

function assertFd(fd: unknown, name: string): asserts fd is number {
  if (typeof fd !== 'number') {
    throw argumentError(`${name} must be a number, got ${typeof fd}.`, 'ERR_INVALID_ARG_TYPE');
  }
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw argumentError(`${name} must be an integer from 0 to 2147483647, got ${fd}.`, 'ERR_OUT_OF_RANGE');
  }
}

function assertBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw argumentError(`${name} must be a boolean, got ${typeof value}.`, 'ERR_INVALID_ARG_TYPE');
  }
}

class NativeSeqpacketSocket implements SeqpacketSocket {
  readonly #raw: RawSeqpacket;

  constructor(raw: RawSeqpacket) {
    this.#raw = raw;
  }

  get fd(): number {
    return this.#raw.fd;
  }

  async send(data: Uint8Array, fds: readonly number[] = []): Promise<void> {
    if (!(data instanceof Uint8Array)) throw argumentError('data must be a Uint8Array.', 'ERR_INVALID_ARG_TYPE');
    if (!Array.isArray(fds)) throw argumentError('fds must be an array of fds.', 'ERR_INVALID_ARG_TYPE');
    if (fds.length > MAX_FDS_PER_PACKET) {
      throw argumentError(
        `At most ${MAX_FDS_PER_PACKET} fds fit in one packet, got ${fds.length}.`,
        'ERR_OUT_OF_RANGE',
      );
    }
    for (const [i, fd] of fds.entries()) assertFd(fd, `fds[${i}]`);
    return this.#raw.send(data, [...fds]);
  }

  receive(): Promise<SeqpacketMessage | null> {
    return this.#raw.receive();
  }

  close(): void {
    this.#raw.close();
  }
}

class NativeProcessWatcher implements ProcessWatcher {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  readonly #raw: RawPidWatcher;

  constructor(raw: RawPidWatcher) {
    this.#raw = raw;
    this.pid = raw.pid;
    this.exited = raw.exited.then(({ code, signal, reaped }) => ({
      code,
      signal: signal === null ? null : (signalNames.get(signal) ?? null),
      reaped,
    }));
    // close() may reject this with ECANCELED; only callers who await it should see that.
    this.exited.catch(() => {});
  }

  kill(signal: number): boolean {
    if (typeof signal !== 'number' || !Number.isInteger(signal) || signal < 0 || signal > MAX_SIGNAL) {
      throw argumentError(
        `signal must be an integer from 0 to ${MAX_SIGNAL}, got ${String(signal)}.`,
        'ERR_OUT_OF_RANGE',
      );
    }
    return this.#raw.kill(signal);
  }

  ref(): void {
    this.#raw.ref();
  }

  unref(): void {
    this.#raw.unref();
  }

  close(): void {
    this.#raw.close();
  }
}

function adapt(raw: RawBinding): NativeAddon {
  return {
    seqpacketPair() {
      const [socket, fd] = raw.seqpacketPair();
      return [new NativeSeqpacketSocket(socket), fd];
    },
    openSeqpacket(fd) {
      assertFd(fd, 'fd');
      return new NativeSeqpacketSocket(new raw.Seqpacket(fd));
    },
    watchProcess(pid) {
      if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) {
        throw argumentError(`pid must be a positive integer, got ${String(pid)}.`, 'ERR_OUT_OF_RANGE');
      }
      return new NativeProcessWatcher(new raw.PidWatcher(pid));
    },
    setCloexec(fd, on) {
      assertFd(fd, 'fd');
      assertBoolean(on, 'on');
      raw.setCloexec(fd, on);
    },
    getCloexec(fd) {
      assertFd(fd, 'fd');
      return raw.getCloexec(fd);
    },
    setChildSubreaper(on) {
      assertBoolean(on, 'on');
      raw.setChildSubreaper(on);
    },
    pipePair: () => raw.pipePair(),
    streamSocketPair: () => raw.streamSocketPair(),
    spawnWithFds(path, args, fds) {
      if (typeof path !== 'string' || !Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
        throw argumentError('path must be a string and args an array of strings.', 'ERR_INVALID_ARG_TYPE');
      }
      if (!Array.isArray(fds)) throw argumentError('fds must be an array of fds.', 'ERR_INVALID_ARG_TYPE');
      for (const [i, fd] of fds.entries()) if (fd !== -1) assertFd(fd, `fds[${i}]`);
      return raw.spawnWithFds(path, [...args], [...fds]);
    },
    openPty: () => raw.openPty(),
    injectSyscalls(pid, calls, finalState, stopTimeoutMs) {
      if (!Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) {
        throw argumentError(`pid must be a positive integer, got ${String(pid)}.`, 'ERR_OUT_OF_RANGE');
      }
      if (!Number.isInteger(stopTimeoutMs) || stopTimeoutMs < 0 || stopTimeoutMs > 0x7fffffff) {
        throw argumentError(`stopTimeoutMs must be a non-negative integer.`, 'ERR_OUT_OF_RANGE');
      }
      return raw.injectSyscalls(
        pid,
        calls.map((c) => ({ nr: c.nr, args: [...c.args] })),
        finalState,
        stopTimeoutMs,
      );
    },
    shmCopy(shmid, fd, bytes, toSegment, ipcNsFd) {
      assertFd(fd, 'fd');
      if (ipcNsFd !== undefined) assertFd(ipcNsFd, 'ipcNsFd');
      if (!Number.isSafeInteger(bytes) || bytes < 0) {
        throw argumentError(`bytes must be a non-negative integer, got ${String(bytes)}.`, 'ERR_OUT_OF_RANGE');
      }
      return raw.shmCopy(shmid, fd, bytes, toSegment, ipcNsFd ?? -1);
    },
    openInIpcNamespace(ipcNsFd, path) {
      assertFd(ipcNsFd, 'ipcNsFd');
      return raw.openInIpcNamespace(ipcNsFd, path);
    },
    ipcCreate: (kind, key, size, flags) => raw.ipcCreate(kind, key | 0, size, flags),
    ipcRemove: (kind, id) => raw.ipcRemove(kind, id),
    ipcSetOwner: (kind, id, uid, gid, mode, qbytes) => raw.ipcSetOwner(kind, id, uid, gid, mode, qbytes),
    semGetAll: (semid, nsems) => raw.semGetAll(semid, nsems),
    semSetAll: (semid, values) => raw.semSetAll(semid, [...values]),
    msgCopy: (msqid, index) => raw.msgCopy(msqid, index),
    msgQueueBytes: (msqid) => raw.msgQueueBytes(msqid),
    msgSend(msqid, type, data) {
      if (!Buffer.isBuffer(data)) throw argumentError('data must be a Buffer.', 'ERR_INVALID_ARG_TYPE');
      raw.msgSend(msqid, type, data);
    },
  };
}

/** Checks the loaded module's shape, so that a stale or foreign build fails here, not later. */
function isRawBinding(value: unknown): value is RawBinding {
  if (typeof value !== 'object' || value === null) return false;
  const names: (keyof RawBinding)[] = [
    'Seqpacket',
    'PidWatcher',
    'seqpacketPair',
    'setCloexec',
    'getCloexec',
    'setChildSubreaper',
    'pipePair',
    'streamSocketPair',
    'spawnWithFds',
    'openPty',
    'injectSyscalls',
    'shmCopy',
    'openInIpcNamespace',
    'ipcCreate',
    'ipcRemove',
    'ipcSetOwner',
    'semGetAll',
    'semSetAll',
    'msgCopy',
    'msgQueueBytes',
    'msgSend',
  ];
  return names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}

/** Where the addon may be: node-gyp's Release and Debug outputs under the package root. */
function candidatePaths(): string[] {
  // This file runs as dist/src/native.js: the package root is two levels up.
  const root = new URL('../../', import.meta.url);
  return ['build/Release/', 'build/Debug/'].map((dir) => fileURLToPath(new URL(dir + ADDON_FILE, root)));
}

let loaded: NativeAddon | undefined;

/** Loads build/Release/node_criu.node lazily on first call (only the CRIU backend calls it; a simulator backend never does). If missing, throw ONE Error (code 'NATIVE_ADDON_MISSING') listing every path tried and saying how to build it (`npm run build:native`, needs python3, make, g++). */
export function loadNative(): NativeAddon {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const paths = candidatePaths();
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
      loaded = adapt(exported);
      return loaded;
    } catch (error) {
      cause ??= error;
      tried.push(`  ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // Not cached: after a build, the next call finds the addon.
  const platformNote =
    process.platform === 'linux'
      ? ''
      : `\nThe addon exists only on Linux (this is ${process.platform}); use the simulator backend here.`;
  const error = new Error(
    `node-criu's native addon (${ADDON_FILE}) could not be loaded. Tried:\n${tried.join('\n')}\n` +
      'Build it with `npm run build:native` in the node-criu package directory (needs python3, make and g++).' +
      platformNote,
    { cause },
  );
  throw Object.assign(error, { code: 'NATIVE_ADDON_MISSING', paths });
}
