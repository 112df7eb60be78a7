// Restore concern: a root that had a Node IPC channel (a child of fork()) gets a new one. The fd
// substitution has already given its left-out channel fd a new socket pair by default; this
// concern hands our end to the handle as a channel (send(), 'message') instead of a stream.
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import { fdStepOf } from './fd-substitution.js';

export const ipcChannel: RestoreConcern = {
  name: 'ipc channel',
  async plan({ checkpoint: { manifest } }, planned) {
    const section = manifest?.ipc;
    const fds = fdStepOf(planned);
    if (!section || !fds) return undefined;
    // Only a channel the restore made by default: an fd the caller substituted is the caller's,
    // and `outsideFds: 'criu'` (or a task other than the root) gets no stream to speak on.
    const defaulted = fds.handle?.defaultedFds?.some((d) => d.root && d.fd === section.fd && d.became === 'pipe');
    const socket = defaulted ? fds.substitution.streams.get(section.fd) : undefined;
    if (!socket) return undefined;
    return { handle: { channel: { socket, serialization: section.serialization, fd: section.fd } } };
  },
};
