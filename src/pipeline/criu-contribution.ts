// The steps' contributions as one: to CRIU's options (the simulator reads the same inherited fds)
// and to the handle.
import type { Socket } from 'node:net';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import type { ChannelEnd } from '../ipc/channel.js';
import type { LazyPagesStats } from '../types.js';
import type { CriuContribution, RestoreStep } from './restore-phases.js';

const FLAGS = ['shellJob', 'tcpEstablished', 'fileLocks', 'extUnixSk', 'skipFileRwxCheck', 'lazyPages'] as const;

/** Inherited fds by key (later steps win), flags set by any step. */
export function mergeCriu(steps: readonly RestoreStep[]): Required<CriuContribution> {
  const merged: Required<CriuContribution> = {
    inheritFds: {},
    shellJob: false,
    tcpEstablished: false,
    fileLocks: false,
    extUnixSk: false,
    skipFileRwxCheck: false,
    lazyPages: false,
  };
  for (const { criu } of steps) {
    if (!criu) continue;
    merged.inheritFds = { ...merged.inheritFds, ...criu.inheritFds };
    for (const flag of FLAGS) merged[flag] ||= criu[flag] ?? false;
  }
  return merged;
}

/** The handle's part of every step. */
export interface MergedHandle {
  streams: Map<number, Socket>;
  defaultedFds: DefaultedFd[];
  channel: ChannelEnd | undefined;
  pagesLoaded: Promise<LazyPagesStats> | undefined;
}

export function mergeHandle(steps: readonly RestoreStep[]): MergedHandle {
  const channel = steps.find((step) => step.handle?.channel)?.handle?.channel;
  return {
    // The channel's fd is spoken through send()/'message', not a stream (ChildProcess's stdio has null there).
    streams: new Map(steps.flatMap((step) => [...(step.handle?.streams ?? [])]).filter(([fd]) => fd !== channel?.fd)),
    defaultedFds: steps.flatMap((step) => step.handle?.defaultedFds ?? []),
    channel,
    pagesLoaded: steps.find((step) => step.handle?.pagesLoaded)?.handle?.pagesLoaded,
  };
}
