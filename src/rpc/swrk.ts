// One `criu swrk` child and the SEQPACKET socket to it; extra fds land at known numbers.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync } from 'node:fs';
import { loadNative } from '../native.js';
import { killSocketHolders } from './stragglers.js';
import type { PacketTransport } from './transport.js';

/** The socket's number in the CRIU child; fds to inherit follow it. */
export const SWRK_SOCKET_FD = 3;
export const FIRST_INHERITED_FD = SWRK_SOCKET_FD + 1;

export interface SwrkExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SwrkOptions {
  /** Our fds to hand to CRIU, at FIRST_INHERITED_FD, FIRST_INHERITED_FD + 1, ... in order. */
  inheritFds?: readonly number[] | undefined;
}

const STDERR_KEEP = 8192;

export class SwrkSession {
  readonly transport: PacketTransport;
  readonly exited: Promise<SwrkExit>;
  readonly #child: ChildProcess;
  #stderr = '';
  #exit: SwrkExit | undefined;

  private constructor(child: ChildProcess, transport: PacketTransport, criuPath: string, socketInode: number) {
    this.#child = child;
    this.transport = transport;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP);
    });
    this.exited = new Promise<SwrkExit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
        // A helper orphaned by a killed swrk would hold the socket open and hang our receive.
        if (signal) void killSocketHolders(socketInode, criuPath);
      });
    });
  }

  /** Spawns `criu swrk 3`. Rejects if CRIU cannot be started at all. */
  static async start(criuPath: string, options: SwrkOptions = {}): Promise<SwrkSession> {
    const [socket, childEnd] = loadNative().seqpacketPair();
    // Identifies CRIU's end later, to find helpers still holding it after a crash.
    const socketInode = fstatSync(childEnd).ino;
    let child: ChildProcess;
    try {
      child = spawn(criuPath, ['swrk', String(SWRK_SOCKET_FD)], {
        // Numbers in the stdio array become those fds in the child (dup2 also drops cloexec).
        stdio: ['ignore', 'ignore', 'pipe', childEnd, ...(options.inheritFds ?? [])],
      });
    } catch (error) {
      socket.close();
      throw error;
    } finally {
      // The child has its copy now; ours would keep the socket open after CRIU exits.
      closeSync(childEnd);
    }
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      socket.close();
      throw error;
    }
    return new SwrkSession(child, socket, criuPath, socketInode);
  }

  /** The last few KiB CRIU wrote on stderr (it logs to its log file; this catches crashes). */
  get stderr(): string {
    return this.#stderr;
  }

  get exitStatus(): SwrkExit | undefined {
    return this.#exit;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.#exit) this.#child.kill(signal);
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
