// Checkpoint concern: the root's Node IPC channel (a child of fork()). Its other end is ours,
// outside the tree, so the fd table leaves it out; recording which fd it is and how messages are
// framed lets restore give the process a new channel that the handle speaks.
import { readlinkSync } from 'node:fs';
import { type IpcChannelSection, readChannelEnv } from '../ipc/channel-section.js';
import type { CheckpointConcern } from '../pipeline/checkpoint-phases.js';

/** Whether `fd` of `pid` is still a socket (a process may have closed its channel since). */
function isSocket(pid: number, fd: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
  } catch {
    return false;
  }
}

export const ipcChannel: CheckpointConcern = {
  name: 'ipc channel',
  async begin({ pid }) {
    let channel: IpcChannelSection | undefined;
    let found: IpcChannelSection | undefined;
    return {
      // The environment a process started with (/proc/PID/environ) stays as it was: read before
      // CRIU starts, not while CRIU waits.
      async beforeDump() {
        found = readChannelEnv(pid);
      },
      // Frozen: the fd is what CRIU dumps.
      async whileFrozen() {
        channel = found && isSocket(pid, found.fd) ? found : undefined;
        return undefined;
      },
      record: async () => (channel ? { ipc: channel } : {}),
    };
  },
};
