// The `dump` command's account of what a restore of the checkpoint will need, with the restore
// flag that provides each (the --json output has the library's Checkpoint.needs as they are).
import type { RestoreNeed } from '../restore-needs.js';

const DEFAULTS = {
  pipe: 'a new pipe',
  criu: 'recreated by CRIU with its other end closed',
  null: '/dev/null',
} as const;

/** One line per need: what it is, why it was left out, and what restore does or must be given. */
export function needLines(needs: readonly RestoreNeed[]): string[] {
  return needs.map((need) => {
    switch (need.kind) {
      case 'fd': {
        const what = `fd ${need.fd} of pid ${need.pid} (${need.type} ${need.key})`;
        const flag = `--fd ${need.root ? '' : `${need.pid}:`}${need.fd}=pipe|inherit|null|FD|PATH`;
        if (need.substitute === 'required') return `${what}, left out by --leave-out: required, ${flag}`;
        const became = need.default === undefined ? 'a default' : DEFAULTS[need.default];
        return `${what}, its other end outside the tree: optional (default ${became}), ${flag}`;
      }
      case 'mapping':
        return `mapping ${need.path} of pid ${need.pids.join(', ')} (${need.size} bytes, mode ${(need.mode & 0o777).toString(8)}), left out by leaveOutMappings: required, a file of that size (restore()'s ${need.option})`;
      case 'shm-contents':
        return `contents of SysV segment ${need.id} (${need.size} bytes), left out by --sysv-leave-out-contents: required, --shm ${need.id}=file:PATH|snapshot`;
    }
    return need satisfies never;
  });
}
