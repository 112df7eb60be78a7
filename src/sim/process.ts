// A simulated process: pid, place in the tree, memory regions, an fd table and a running /
// stopped / exited state, executing one scripted program on the event loop.
import { close, write } from 'node:fs';
import { constants } from 'node:os';
import { O_ACCMODE, O_APPEND } from '../fds/linux-constants.js';
import type { ExitStatus } from '../types.js';
import type { SimFile, SimRegion, SimState } from './model.js';
import type { SimProgram, SimProgramContext } from './programs/program.js';

/** What a SimProcess starts with (see its members of the same names). */
export interface SimProcessInit {
  /** Its pid. */
  pid: number;
  /** Its parent's pid. */
  ppid: number;
  /** Its process group. */
  pgid: number;
  /** Its session. */
  sid: number;
  /** Its thread ids, the main thread (= pid) first. */
  threads: number[];
  /** The scripted program it runs. */
  program: SimProgram;
  /** The program's arguments. */
  args: string[];
  /** Its memory. */
  regions: SimRegion[];
  /** Its fd table: fd number -> open file. */
  fds: Map<number, SimFile>;
}

/**
 * What a process asks of the world it lives in; SimWorld implements it. Declared here rather than
 * imported from world.ts because the world's process table holds SimProcesses: the two modules
 * would depend on each other.
 */
export interface SimKernel {
  /** Takes an exited process out of the process table. */
  reap(process: SimProcess): void;
  /** shmat: maps a SysV segment into the process. */
  attachShm(process: SimProcess, shmid: number, writable: boolean): Buffer;
}

/** Writes to one file happen in order: each waits for the one before. */
const writeChains = new WeakMap<SimFile, Promise<void>>();

function signalName(signal: NodeJS.Signals | number): NodeJS.Signals {
  if (typeof signal === 'string') {
    if (constants.signals[signal] === undefined) throw new TypeError(`Unknown signal '${signal}'.`);
    return signal;
  }
  const name = Object.entries(constants.signals).find(([, n]) => n === signal)?.[0];
  if (!name) throw new TypeError(`Unknown signal ${signal}.`);
  return name as NodeJS.Signals;
}

/**
 * A simulated process (SimWorld.get()): its place in the tree, its memory regions and fd table,
 * and a running / stopped / exited state, running one scripted program on the event loop.
 */
export class SimProcess {
  /** Its pid. */
  readonly pid: number;
  /** Its parent's pid (1 once its parent is gone, as the kernel re-parents). */
  ppid: number;
  /** Its process group. */
  readonly pgid: number;
  /** Its session. */
  readonly sid: number;
  /** Its thread ids, the main thread (= pid) first. */
  readonly threads: number[];
  /** The scripted program it runs. */
  readonly program: SimProgram;
  /** The program's arguments. */
  readonly args: string[];
  /** Its memory, region by region: what a checkpoint saves. */
  readonly regions: SimRegion[];
  /** Its fd table: fd number -> open file. */
  readonly fds: Map<number, SimFile>;
  /** Stopped until start(), stopped again while frozen or after SIGSTOP, exited at the end. */
  state: SimState = 'stopped';
  /** How it ended, once it has. */
  exitStatus: ExitStatus | undefined;
  /** Settles when it exits. */
  readonly exited: Promise<ExitStatus>;
  readonly #world: SimKernel;
  readonly #timers: { ms: number; task: () => void; handle: NodeJS.Timeout | undefined }[] = [];
  readonly #readers: { fd: number; file: SimFile; listener: (chunk: Buffer) => void }[] = [];
  #resolveExit!: (status: ExitStatus) => void;
  #referenced = true;
  #setUp = false;

  /** A process of `world`, stopped until start(); the world's table gets it with SimWorld.add(). */
  constructor(world: SimKernel, init: SimProcessInit) {
    this.#world = world;
    this.pid = init.pid;
    this.ppid = init.ppid;
    this.pgid = init.pgid;
    this.sid = init.sid;
    this.threads = init.threads;
    this.program = init.program;
    this.args = init.args;
    this.regions = init.regions;
    this.fds = init.fds;
    this.exited = new Promise((resolve) => {
      this.#resolveExit = resolve;
    });
  }

  /** Runs the program: init on fresh memory first when `fresh`; restored memory is used as it is. */
  start(fresh: boolean): void {
    const context = this.#context();
    if (fresh) this.program.init?.(context);
    this.program.run(context);
    this.#setUp = true;
    this.resume();
  }

  /** SIGSTOP / freezing: timers and readers pause, arriving data waits in its stream. */
  stop(): void {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    for (const timer of this.#timers) {
      clearInterval(timer.handle);
      timer.handle = undefined;
    }
    for (const reader of this.#readers) {
      reader.file.host?.stream?.pause();
      reader.file.host?.stream?.off('data', reader.listener);
    }
  }

  /** SIGCONT / thawing: timers and readers go on (nothing before start()). */
  resume(): void {
    if (this.state !== 'stopped' || !this.#setUp) return;
    this.state = 'running';
    for (const timer of this.#timers) {
      timer.handle = setInterval(timer.task, timer.ms);
      if (!this.#referenced) timer.handle.unref();
    }
    for (const reader of this.#readers) {
      const stream = reader.file.host?.stream;
      stream?.on('data', reader.listener);
      stream?.resume();
    }
  }

  /** Delivers a signal. Programs handle none: every signal but SIGSTOP/SIGCONT ends the process. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.state === 'exited') return false;
    // Signal 0 only asks whether the process exists, as kill(2) does.
    if (signal === 0) return true;
    const name = signalName(signal);
    if (name === 'SIGSTOP' || name === 'SIGTSTP') this.stop();
    else if (name === 'SIGCONT') this.resume();
    else this.#end({ code: null, signal: name });
    return true;
  }

  /** Ends the process with `code` (what a program's exit() does). */
  exit(code: number): void {
    if (this.state !== 'exited') this.#end({ code, signal: null });
  }

  /** Undoes unref(). */
  ref(): void {
    this.#referenced = true;
    for (const timer of this.#timers) timer.handle?.ref();
  }

  /** Lets Node exit while the process runs: its timers no longer hold the event loop. */
  unref(): void {
    this.#referenced = false;
    for (const timer of this.#timers) timer.handle?.unref();
  }

  /** The region named `name` (a program asking for one it lacks is a bug in the program). */
  region(name: string): SimRegion {
    const region = this.regions.find((r) => r.name === name);
    if (!region) throw new RangeError(`pid ${this.pid} (${this.program.name}) has no memory region '${name}'.`);
    return region;
  }

  /** Writes to fd `fd` (what a program's write() does): dropped when the fd is missing, read-only, or the process exited. */
  write(fd: number, data: string | Buffer): void {
    const file = this.fds.get(fd);
    if (!file || this.state === 'exited' || (file.flags & O_ACCMODE) === 0) return;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const stream = file.host?.stream;
    if (stream) {
      if (stream.writable && !stream.destroyed) stream.write(bytes);
      return;
    }
    const hostFd = file.host?.fd;
    if (file.kind === 'memfd' && file.data) {
      const end = file.position + bytes.byteLength;
      if (end > file.data.byteLength) file.data = Buffer.concat([file.data, Buffer.alloc(end - file.data.byteLength)]);
      bytes.copy(file.data, file.position);
      file.position = end;
      file.size = Math.max(file.size, end);
      return;
    }
    if (hostFd === undefined) return; // nothing behind it (/dev/null, a dead pipe)
    const append = (file.flags & O_APPEND) !== 0 || file.kind !== 'file';
    const at = append ? null : file.position;
    if (!append) file.position += bytes.byteLength;
    const previous = writeChains.get(file) ?? Promise.resolve();
    const next = previous.then(
      () =>
        new Promise<void>((resolve) => {
          // A reader gone or an fd closed under us loses the data, as a write to a dead pipe would.
          write(hostFd, bytes, 0, bytes.byteLength, at, () => resolve());
        }),
    );
    writeChains.set(file, next);
  }

  /** Closes every fd; host ends nobody else holds are released. */
  closeAll(): void {
    for (const [fd, file] of this.fds) {
      this.fds.delete(fd);
      releaseFile(file);
    }
  }

  #end(status: ExitStatus): void {
    this.stop();
    this.state = 'exited';
    this.#timers.length = 0;
    this.#readers.length = 0;
    this.exitStatus = status;
    this.closeAll();
    this.#world.reap(this);
    this.#resolveExit(status);
  }

  #context(): SimProgramContext {
    return {
      pid: this.pid,
      args: this.args,
      memory: (name) => this.region(name).data,
      write: (fd, data) => this.write(fd, data),
      onData: (fd, listener) => {
        const file = this.fds.get(fd);
        if (file?.host?.stream) this.#readers.push({ fd, file, listener });
      },
      every: (ms, task) => {
        this.#timers.push({ ms, task, handle: undefined });
      },
      attachShm: (shmid, writable) => this.#world.attachShm(this, shmid, writable),
      exit: (code) => setImmediate(() => this.exit(code)),
    };
  }
}

/** Drops one reference to a file; the last one closes what it holds outside the simulator. */
export function releaseFile(file: SimFile): void {
  file.refs--;
  if (file.refs > 0 || !file.host) return;
  const { stream, fd, owned } = file.host;
  file.host = undefined;
  if (stream && owned) stream.destroy();
  if (fd !== undefined && owned) {
    const pending = writeChains.get(file) ?? Promise.resolve();
    void pending.then(() => close(fd, () => {}));
  }
}
