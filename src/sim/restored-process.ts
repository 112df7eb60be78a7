// A restored simulated tree's root as the RestoredProcess every backend returns.
import type { Socket } from 'node:net';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import { stdioArray } from '../restore-plan.js';
import type { ExitStatus, RestoredProcess } from '../types.js';
import type { SimProcess } from './process.js';

export class SimRestoredProcess implements RestoredProcess {
  readonly pid: number;
  readonly pids: number[];
  readonly exited: Promise<ExitStatus>;
  readonly stdin: Socket | undefined;
  readonly stdout: Socket | undefined;
  readonly stderr: Socket | undefined;
  readonly stdio: (Socket | undefined)[];
  readonly defaultedFds: DefaultedFd[];
  readonly #root: SimProcess;

  constructor(root: SimProcess, pids: number[], streams: ReadonlyMap<number, Socket>, defaultedFds: DefaultedFd[]) {
    this.#root = root;
    this.pid = root.pid;
    this.pids = pids;
    this.stdio = stdioArray(streams);
    this.defaultedFds = defaultedFds;
    [this.stdin, this.stdout, this.stderr] = this.stdio;
    this.exited = root.exited;
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    return this.#root.kill(signal);
  }

  unref(): void {
    this.#root.unref();
    for (const s of this.stdio) s?.unref();
  }

  ref(): void {
    this.#root.ref();
    for (const s of this.stdio) s?.ref();
  }
}
