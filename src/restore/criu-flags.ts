// Restore concern: CRIU's own flags and inherited fds as the caller gave them; a checkpoint
// restores with the flags it was dumped with (CRIU needs them on both sides) unless told otherwise.
import type { RestoreConcern } from '../pipeline/restore-phases.js';

export const criuFlags: RestoreConcern = {
  name: 'CRIU flags',
  async plan({ options, checkpoint: { manifest } }) {
    const dumped = manifest?.dumpOptions;
    return {
      criu: {
        shellJob: options.shellJob ?? dumped?.shellJob,
        tcpEstablished: options.tcpEstablished ?? dumped?.tcpEstablished,
        fileLocks: options.fileLocks ?? dumped?.fileLocks,
        extUnixSk: options.extUnixSk ?? dumped?.extUnixSk,
        skipFileRwxCheck: options.skipFileRwxCheck,
        // Registered after the fd substitution: the caller's keys win over planned ones.
        inheritFds: options.inheritFds ?? {},
      },
    };
  },
};
