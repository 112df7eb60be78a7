// The usage text of node-criu: printed for -h/--help, and after a usage mistake.
import { INSPECT_USAGE } from './inspect-commands.js';

export const USAGE = `Usage:
  node-criu check [--json]
  node-criu dump <pid> -D <dir> [--leave-running] [--shell-job] [--tcp-established]
                 [--file-locks] [--ext-unix-sk] [--external KEY]... [--leave-out FD]...
                 [--sysv-snapshot SHMID|sem:ID|msg:ID]... [--sysv-leave-out-contents SHMID|all]...
                 [--json]
  node-criu restore -D <dir> [--detach] [--fd [PID:]N=pipe|inherit|null|FD|/PATH|./PATH]... [--inherit-fd KEY=FD]...
                    [--external KEY]... [--shm OLD=NEW|key:K|same|snapshot|file:PATH]...
                    [--sem ID=live|snapshot]... [--msg ID=live|snapshot]... [--join-ns NS:FILE]...
                    [--no-verify] [--lazy-pages]
                    [--allow-untrusted-images] [--json]
  node-criu verify -D <dir> [--json]
  node-criu fds -D <dir> [--json]
${INSPECT_USAGE}
  node-criu install-criu
Common: --criu PATH (the CRIU binary), --timeout MS, --log-level 0-4 (CRIU's log; default 2), -h/--help.`;

/** Prints the usage (on stdout when asked for, code 0; else on stderr) and returns `code`. */
export function usage(code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(`${USAGE}\n`);
  return code;
}
