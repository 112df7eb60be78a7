// sim.spawn(): starts a simulated process the way spawn() starts a real one (a session leader
// whose stdio are Node-style socketpairs, /dev/null or an fd of ours), returned as a handle
// shaped like a ChildProcess: pid, stdin/stdout/stderr, kill(), 'exit'.
import { EventEmitter } from 'node:events';
import { openSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { O_ACCMODE, O_APPEND } from '../fds/linux-constants.js';
import { duplexPair } from './duplex-pair.js';
import { hostFile } from './host-file.js';
import { pageAlign, type SimFile, type SimRegion } from './model.js';
import { SimProcess } from './process.js';
import { findProgram } from './programs/registry.js';
import { type SimWorld, simWorld } from './world.js';

/** What a simulated child's stdio fd is: a Node-style socketpair with our end as a stream, /dev/null, or an fd of ours. */
export type SimStdio = 'pipe' | 'ignore' | number;

/** sim.spawn()'s options. */
export interface SimSpawnOptions {
  /** Like child_process: one value for all three, or one per fd (default 'pipe'). */
  stdio?: SimStdio | readonly SimStdio[];
  /** Extra threads of the root (the pstree lists them; default 0). */
  threads?: number;
  /** Forked children running the same program, sharing the parent's fds (default 0). */
  children?: number;
  /** The world to start it in (default: the API's). */
  world?: SimWorld;
}

/** Fixed addresses, as a non-randomised kernel would place them. */
const STATE_BASE = 0x5600_0000_0000;
export const ARGS_BASE = 0x7ffc_0000_0000;

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const S_IFCHR = 0o020000;
const S_IFSOCK = 0o140000;

/** A handle on a simulated child: what a test does with a ChildProcess, it does with this. */
export class SimChildProcess extends EventEmitter {
  /** The simulated process's pid (from the world's allocator). */
  readonly pid: number;
  /** Our end of its fd 0 with `stdio: 'pipe'`, else null. */
  readonly stdin: Duplex | null;
  /** Our end of its fd 1 with `stdio: 'pipe'`, else null. */
  readonly stdout: Duplex | null;
  /** Our end of its fd 2 with `stdio: 'pipe'`, else null. */
  readonly stderr: Duplex | null;
  /** Our ends by fd number (null where none), as ChildProcess.stdio. */
  readonly stdio: (Duplex | null)[];
  /** The exit code once it exited normally; null before, and after a fatal signal. */
  exitCode: number | null = null;
  /** The signal that ended it; null before its exit, and after a normal one. */
  signalCode: NodeJS.Signals | null = null;
  /** Settles when it exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #process: SimProcess;

  /** Made by sim.spawn(); emits 'exit' (code, signal) as a ChildProcess does. */
  constructor(process: SimProcess, parentEnds: (Duplex | null)[]) {
    super();
    this.#process = process;
    this.pid = process.pid;
    this.stdio = parentEnds;
    [this.stdin = null, this.stdout = null, this.stderr = null] = parentEnds;
    this.exited = process.exited.then((status) => {
      this.exitCode = status.code;
      this.signalCode = status.signal;
      this.emit('exit', status.code, status.signal);
      return status;
    });
  }

  /** Sends a simulated signal (default SIGTERM): true if it was delivered, false once it exited. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    return this.#process.kill(signal);
  }

  /** Undoes unref(). */
  ref(): void {
    this.#process.ref();
  }

  /** Lets Node exit while the simulated process still runs (its timers no longer hold the loop). */
  unref(): void {
    this.#process.unref();
  }
}

/** The memory a program starts with: zeroed private regions, argv at ARGS_BASE. */
export function programRegions(regions: Readonly<Record<string, number>>, args: readonly string[]): SimRegion[] {
  const out: SimRegion[] = Object.entries(regions).map(([name, size], i) => ({
    name,
    start: STATE_BASE + i * 0x100_0000,
    data: Buffer.alloc(pageAlign(size)),
    shared: false,
    writable: true,
  }));
  const argv = Buffer.from(args.map((a) => `${a}\0`).join(''));
  const data = Buffer.alloc(pageAlign(argv.byteLength + 1));
  argv.copy(data);
  out.push({ name: 'args', start: ARGS_BASE, data, shared: false, writable: true });
  return out;
}

function stdioFile(world: SimWorld, fd: number, how: SimStdio): { file: SimFile; parentEnd: Duplex | null } {
  const access = fd === 0 ? O_RDONLY : O_WRONLY;
  if (how === 'pipe') {
    const [theirs, ours] = duplexPair();
    // Node gives a child's stdio a unix stream socketpair: the child's end, its peer ours.
    const inode = world.nextInode();
    const peer = world.nextInode();
    const file: SimFile = {
      kind: 'unix',
      inode,
      mountId: 0,
      path: undefined,
      flags: O_RDWR,
      position: 0,
      mode: S_IFSOCK | 0o777,
      size: 0,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      peer,
      host: { stream: theirs, owned: true },
      refs: 0,
    };
    return { file, parentEnd: ours };
  }
  if (how === 'ignore') {
    const file: SimFile = {
      kind: 'file',
      inode: 0,
      mountId: 0,
      path: '/dev/null',
      flags: access,
      position: 0,
      mode: S_IFCHR | 0o666,
      size: 0,
      uid: 0,
      gid: 0,
      peer: undefined,
      host: undefined,
      refs: 0,
    };
    return { file, parentEnd: null };
  }
  const file = hostFile(how, false, fd === 0 ? O_RDONLY : O_WRONLY);
  // The child keeps the file after the caller closes its fd (a real child has a dup): a file is
  // opened again by path. Node cannot dup, so the offset is the child's own from here on.
  if (file.kind === 'file' && file.path !== undefined) {
    file.host = { fd: openSync(file.path, file.flags & (O_ACCMODE | O_APPEND)), owned: true };
  }
  return { file, parentEnd: null };
}

/**
 * Starts `program` (a name from sim.programs, e.g. 'echo-counter') with `args`. Like spawn(), the
 * child leads its own session and has only the fds its stdio gave it.
 */
export function spawn(program: string, args: readonly string[] = [], options: SimSpawnOptions = {}): SimChildProcess {
  const world = options.world ?? simWorld();
  const code = findProgram(program, 'checkpoint');
  const stdio = options.stdio ?? 'pipe';
  const hows = typeof stdio === 'string' || typeof stdio === 'number' ? [stdio, stdio, stdio] : [...stdio];
  const fds = new Map<number, SimFile>();
  const parentEnds: (Duplex | null)[] = [];
  hows.forEach((how, fd) => {
    const { file, parentEnd } = stdioFile(world, fd, how);
    file.refs++;
    fds.set(fd, file);
    parentEnds.push(parentEnd);
  });
  const pid = world.allocatePid();
  const start = (p: number, ppid: number, files: Map<number, SimFile>) => {
    const threads = [p];
    const proc = new SimProcess(world, {
      pid: p,
      ppid,
      pgid: pid,
      sid: pid,
      threads,
      program: code,
      args: [...args],
      regions: programRegions(code.regions, args),
      fds: files,
    });
    world.add(proc);
    if (p === pid) for (let i = 0; i < (options.threads ?? 0); i++) threads.push(world.allocatePid());
    return proc;
  };
  const root = start(pid, process.pid, fds);
  const kids: SimProcess[] = [];
  for (let i = 0; i < (options.children ?? 0); i++) {
    const shared = new Map([...fds].map(([fd, file]) => [fd, file]));
    for (const file of shared.values()) file.refs++;
    kids.push(start(world.allocatePid(), pid, shared));
  }
  // Started once the caller has its handle, as a real child runs only after spawn() returns.
  for (const p of [root, ...kids]) setImmediate(() => p.state !== 'exited' && p.start(true));
  return new SimChildProcess(root, parentEnds);
}
