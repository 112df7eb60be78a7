// The steps' CRIU contributions as one (the simulator reads the same inherited fds).
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
