// A restored simulated tree's root as the RestoredProcess every backend returns.
import type { Socket } from 'node:net';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import { RestoredHandle } from '../process/restored-handle.js';
import type { SimProcess } from './process.js';

export class SimRestoredProcess extends RestoredHandle {
  readonly #root: SimProcess;

  constructor(root: SimProcess, pids: number[], streams: ReadonlyMap<number, Socket>, defaultedFds: DefaultedFd[]) {
    super({ pid: root.pid, pids, streams, defaultedFds, exit: root.exited });
    this.#root = root;
  }

  protected deliver(signal: NodeJS.Signals | number): boolean {
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
