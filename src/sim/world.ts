// The simulator's kernel: the process table, the pid and inode allocators and the host IPC
// namespace. One default world serves the API; tests may make their own, seeded.
import { existsSync } from 'node:fs';
import { CriuError } from '../errors.js';
import { type PidAllocator, sequentialPids } from './pids.js';
import type { SimKernel, SimProcess } from './process.js';
import { resolveSegment, SimSysv } from './sysv.js';

/** How a new simulated world (sim.reset, new SimWorld) allocates pids, inodes and SysV ids: seedable for tests. */
export interface SimWorldOptions {
  /**
   * Pid allocation (default: ascending from 1000, like a fresh kernel's, skipping the pids of
   * this host's live processes: 'auto' gives a pid that is in /proc to CRIU, never to us).
   */
  pids?: PidAllocator;
  /** The first inode number given to pipes, sockets and memfds. */
  firstInode?: number;
  /** The first SysV id. */
  firstShmid?: number;
}

/** Where SysV segments get attached, one after another. */
const SYSV_BASE = 0x7f00_0000_0000;
const SYSV_STRIDE = 0x1000_0000;

/**
 * The simulator's kernel: its process table, pid and inode allocators and host IPC namespace.
 * The API acts on one (sim.world()); tests may seed a new one with sim.reset().
 */
export class SimWorld implements SimKernel {
  /** Its host IPC namespace: SysV shared memory segments (`sysv.create(key, size, mode)`). */
  readonly sysv: SimSysv;
  readonly #pids: PidAllocator;
  readonly #skipHostPids: boolean;
  readonly #processes = new Map<number, SimProcess>();
  #inode: number;

  /** An empty world; without `pids`, pids skip those of this host's live processes (see SimWorldOptions). */
  constructor(options: SimWorldOptions = {}) {
    this.#pids = options.pids ?? sequentialPids();
    this.#skipHostPids = options.pids === undefined && process.platform === 'linux';
    this.#inode = options.firstInode ?? 100_000;
    this.sysv = new SimSysv(options.firstShmid ?? 0);
  }

  /** True when a live task or thread has this number. */
  isTaken(pid: number): boolean {
    return this.holder(pid) !== undefined;
  }

  /** The process holding `pid` as its pid or a thread id. */
  holder(pid: number): SimProcess | undefined {
    const direct = this.#processes.get(pid);
    if (direct) return direct;
    for (const p of this.#processes.values()) if (p.threads.includes(pid)) return p;
    return undefined;
  }

  /** The next free pid, as the kernel's allocator would give it. */
  allocatePid(): number {
    return this.#pids.next((pid) => this.isTaken(pid) || (this.#skipHostPids && existsSync(`/proc/${pid}`)));
  }

  /** A new inode number, for a pipe, socket or memfd. */
  nextInode(): number {
    return this.#inode++;
  }

  /** The process whose pid is `pid` (not a thread id: see holder()), if it is alive. */
  get(pid: number): SimProcess | undefined {
    return this.#processes.get(pid);
  }

  /** Adds a process whose pid and thread ids must all be free. */
  add(process: SimProcess): void {
    for (const id of new Set([process.pid, ...process.threads])) {
      if (this.isTaken(id)) throw new RangeError(`pid ${id} is in use in the simulator.`);
    }
    this.#processes.set(process.pid, process);
  }

  /** Removes an exited process; its children are re-parented to init (pid 1), as the kernel does. */
  reap(process: SimProcess): void {
    if (this.#processes.get(process.pid) !== process) return;
    this.#processes.delete(process.pid);
    for (const child of this.#processes.values()) if (child.ppid === process.pid) child.ppid = 1;
  }

  /** `root` and its descendants, root first, breadth first. */
  tree(root: number): SimProcess[] {
    const first = this.#processes.get(root);
    if (!first) return [];
    const out = [first];
    for (let i = 0; i < out.length; i++) {
      const parent = out[i] as SimProcess;
      for (const p of this.#processes.values()) if (p.ppid === parent.pid && p !== parent) out.push(p);
    }
    return out;
  }

  /** Every live process of the world. */
  processes(): SimProcess[] {
    return [...this.#processes.values()];
  }

  /** shmat: maps segment `shmid` into `process` as its region 'sysv'. */
  attachShm(process: SimProcess, shmid: number, writable: boolean): Buffer {
    const segment = this.sysv.get(shmid);
    if (!segment) {
      throw new CriuError('UNSUPPORTED', `shmat: the simulator has no SysV segment ${shmid} (EINVAL).`, {
        operation: 'checkpoint',
        pid: process.pid,
      });
    }
    resolveSegment(this.sysv, shmid, segment.data.byteLength, writable);
    const start = SYSV_BASE + process.regions.filter((r) => r.shmid !== undefined).length * SYSV_STRIDE;
    process.regions.push({ name: 'sysv', start, data: segment.data, shared: true, writable, shmid });
    return segment.data;
  }

  /** Ends every process (SIGKILL); reset() does this to the world it replaces. */
  killAll(): void {
    for (const p of this.processes()) p.kill('SIGKILL');
  }
}

let current = new SimWorld();

/** The world the API acts on. */
export function simWorld(): SimWorld {
  return current;
}

/** Replaces the world the API acts on (killing every process of the old one), e.g. to seed pids. */
export function resetSimWorld(options: SimWorldOptions = {}): SimWorld {
  current.killAll();
  current = new SimWorld(options);
  return current;
}
