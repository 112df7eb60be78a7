// One `criu swrk` child and the SEQPACKET socket to it; extra fds land at known numbers.
import { closeSync, fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { loadNative, type ProcessWatcher } from '../native.js';
import { spawnCriu } from './spawn-criu.js';
import { killSocketHolders } from './stragglers.js';
import type { PacketTransport } from './transport.js';

/** The socket's number in the CRIU child; fds to inherit follow it. */
export const SWRK_SOCKET_FD = 3;
/** Where the first fd handed to CRIU (SwrkOptions.inheritFds) lands in it. */
export const FIRST_INHERITED_FD = SWRK_SOCKET_FD + 1;

/** How a `criu swrk` process ended (one of the two is null; both when it could not be watched). */
export interface SwrkExit {
  /** Its exit code, or null if a signal ended it. */
  code: number | null;
  /** The signal that ended it, or null. */
  signal: NodeJS.Signals | null;
}

/** How a `criu swrk` process is started. */
export interface SwrkOptions {
  /** Our fds to hand to CRIU, at FIRST_INHERITED_FD, FIRST_INHERITED_FD + 1, ... in order. */
  inheritFds?: readonly number[] | undefined;
}

const STDERR_KEEP = 8192;

/**
 * One `criu swrk` process and our end of its RPC socket. Its exit is watched through a pidfd, and
 * whatever it (or a helper it left behind) does, close() and kill() never hit another process.
 */
export class SwrkSession {
  /** The RPC socket: one request or answer per packet. */
  readonly transport: PacketTransport;
  /** Settles when the CRIU process has exited (never rejects). */
  readonly exited: Promise<SwrkExit>;
  readonly #watcher: ProcessWatcher;
  #stderr = '';
  #exit: SwrkExit | undefined;
  #dismissed = false;

  private constructor(
    watcher: ProcessWatcher,
    stderr: Socket,
    transport: PacketTransport,
    criuPath: string,
    socketInode: number,
  ) {
    this.#watcher = watcher;
    this.transport = transport;
    stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP);
    });
    // A helper of CRIU's that kept the pipe open must not keep this process alive.
    stderr.unref();
    this.exited = watcher.exited.then(
      ({ code, signal }) => {
        this.#exit = { code, signal };
        // A helper orphaned by a killed swrk would hold the socket open and hang our receive.
        if (signal && !this.#dismissed) void killSocketHolders(socketInode, criuPath);
        return this.#exit;
      },
      // Not watched any more (the addon's environment is going away): nothing is known of it.
      () => ({ code: null, signal: null }),
    );
  }

  /** Starts `criu swrk 3` (spawn-criu.ts). Rejects if CRIU cannot be started at all. */
  static async start(criuPath: string, options: SwrkOptions = {}): Promise<SwrkSession> {
    const native = loadNative();
    const [socket, childEnd] = native.seqpacketPair();
    const [stderrRead, stderrWrite] = native.pipePair();
    // Identifies CRIU's end later, to find helpers still holding it after a crash.
    const socketInode = fstatSync(childEnd).ino;
    let spawned: Promise<ProcessWatcher>;
    try {
      const fds = [-1, -1, stderrWrite, childEnd, ...(options.inheritFds ?? [])];
      spawned = spawnCriu(criuPath, ['swrk', String(SWRK_SOCKET_FD)], fds);
    } finally {
      // The spawn has its copies now; ours would keep the socket and the pipe open after CRIU exits.
      closeSync(childEnd);
      closeSync(stderrWrite);
    }
    let watcher: ProcessWatcher;
    try {
      watcher = await spawned;
    } catch (error) {
      socket.close();
      closeSync(stderrRead);
      throw error;
    }
    const stderr = new Socket({ fd: stderrRead, readable: true, writable: false });
    return new SwrkSession(watcher, stderr, socket, criuPath, socketInode);
  }

  /** The CRIU process's pid (signal it through kill(), never by this number). */
  get pid(): number {
    return this.#watcher.pid;
  }

  /** The last few KiB CRIU wrote on stderr (it logs to its log file; this catches crashes). */
  get stderr(): string {
    return this.#stderr;
  }

  /** How CRIU ended, once it has; undefined while it runs. */
  get exitStatus(): SwrkExit | undefined {
    return this.#exit;
  }

  /** Signals the CRIU process (default SIGKILL) through its pidfd; nothing once it has exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    // Through the pidfd: never a process that took CRIU's pid after it was reaped.
    if (!this.#exit) this.#watcher.kill(constants.signals[signal]);
  }

  /**
   * Ends a CRIU that was never sent a request (the operation failed its own checks first): killed
   * at once, as it has done nothing and started no helper, and waited for.
   */
  dismiss(): Promise<SwrkExit> {
    this.#dismissed = true;
    this.kill('SIGKILL');
    return this.close();
  }

  /** Closes the socket, which makes swrk exit, and waits for it; kills it after `graceMs`. */
  async close(graceMs = 2000): Promise<SwrkExit> {
    this.transport.close();
    if (this.#exit) return this.#exit;
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
