// Starts a child through the launcher and turns what the launcher reports into the ChildProcess's 'error'.
import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { loadNative } from '../native.js';
import { keptFds, type LaunchOptions, launcherArguments } from './launch-options.js';
import { launcherPath } from './launcher-path.js';
import { namespaceInitUnder } from './namespace-init.js';

/** What the launcher failed at, in words a caller can act on. */
const ADVICE: Readonly<Record<string, string>> = {
  unshare: 'new namespaces need CAP_SYS_ADMIN: run as root, or drop the namespaces option',
  seccomp: 'the io_uring block needs seccomp filters in this kernel; pass blockIoUring: false to start without it',
  prctl: 'the io_uring block needs no_new_privs; pass blockIoUring: false to start without it',
};

/** An Error shaped like child_process's own spawn errors (code, errno, syscall, path, spawnargs). */
function launchError(command: string, args: readonly string[], report: string): NodeJS.ErrnoException {
  const [syscall = 'launcher', number = '0'] = report.trim().split(' ');
  const errno = Number(number);
  const code = Number.isInteger(errno) && errno > 0 ? getSystemErrorName(-errno) : 'UNKNOWN';
  const advice = ADVICE[syscall];
  const message =
    syscall === 'execvp'
      ? `spawn ${command} ${code}`
      : `spawn ${command} ${code}: node-criu's launcher failed at ${syscall}${advice ? ` (${advice})` : ''}`;
  return Object.assign(new Error(message), {
    code,
    errno: -errno,
    syscall: syscall === 'execvp' ? `spawn ${command}` : syscall,
    path: command,
    spawnargs: [...args],
  });
}

/**
 * The launcher forwards every signal to the namespace's init but SIGKILL, which it cannot catch:
 * that one is sent to the init as well (ending everything in the namespace), or the command would
 * run on without its launcher.
 */
function killsInitToo(child: ChildProcess): void {
  const kill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    const init = child.pid === undefined ? undefined : namespaceInitUnder(child.pid);
    if (init !== undefined && (signal === 'SIGKILL' || signal === constants.signals.SIGKILL)) {
      try {
        process.kill(init, 'SIGKILL');
      } catch {
        // Gone already: the launcher exits with it.
      }
    }
    return kill(signal);
  };
}

/**
 * Runs `start(launcher, launcherArgs, stdio)` with the report pipe appended to `stdio`, then
 * makes the result look like a child of `command`: spawnfile/spawnargs are the command's, stdio
 * has no trace of the report pipe, and a launcher failure is emitted as 'error'.
 */
export function launch(
  command: string,
  args: readonly string[],
  stdio: unknown[],
  options: LaunchOptions,
  start: (launcher: string, launcherArgs: string[], stdio: unknown[]) => ChildProcess,
): ChildProcess {
  const reportFd = stdio.length;
  const launcherArgs = launcherArguments(options, reportFd, keptFds(stdio));
  const launcher = launcherPath();
  const [readEnd, writeEnd] = loadNative().pipePair();
  let child: ChildProcess;
  try {
    child = start(launcher, launcherArgs, [...stdio, writeEnd]);
  } catch (error) {
    closeSync(readEnd);
    throw error;
  } finally {
    closeSync(writeEnd);
  }
  child.stdio.splice(reportFd);
  Object.assign(child, { spawnfile: command, spawnargs: [command, ...args] });
  if (options.namespaces?.includes('pid')) killsInitToo(child);
  if (child.pid === undefined) {
    // child_process could not start even the launcher; it emits that error itself.
    closeSync(readEnd);
    return child;
  }
  // EOF without a word: the command was exec'd (the report fd is close-on-exec there).
  // Kept referenced: it lives only until the command is exec'd or the launcher fails, and the
  // loop must not end before its word has turned into the child's 'error'.
  const report = new Socket({ fd: readEnd, readable: true, writable: false });
  let said = '';
  report.setEncoding('utf8');
  report.on('data', (chunk: string) => {
    said += chunk;
  });
  report.on('error', () => report.destroy());
  report.on('end', () => {
    report.destroy();
    if (said !== '') child.emit('error', launchError(command, args, said));
  });
  return child;
}
