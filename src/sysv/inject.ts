// Runs system calls inside a task of the tree through the addon, failures as CriuErrors.
import { CriuError, type CriuOperation } from '../errors.js';
import { type FinalState, type InjectedCall, loadNative } from '../native.js';

/** How long a thread may take to stop (one in uninterruptible sleep may not). */
const STOP_TIMEOUT_MS = 5000;

export type { InjectedCall } from '../native.js';
export { FinalState } from '../native.js';

/**
 * Runs `calls` in `pid` (all its threads held stopped meanwhile) and leaves it in `final`.
 * Returns each executed call's raw result; the run ends at the first call that fails. A task that
 * cannot be traced fails with NOT_PERMITTED, NO_SUCH_PROCESS or UNSUPPORTED, with nothing run.
 */
export async function injectCalls(
  pid: number,
  calls: readonly InjectedCall[],
  final: FinalState,
  operation: CriuOperation,
): Promise<bigint[]> {
  const { results, error } = await loadNative().injectSyscalls(pid, calls, final, STOP_TIMEOUT_MS);
  if (error) {
    const code = error.code === 'ESRCH' ? 'NO_SUCH_PROCESS' : error.code === 'EPERM' ? 'NOT_PERMITTED' : 'UNSUPPORTED';
    const advice =
      error.code === 'EPERM'
        ? ' Run as root (or with CAP_SYS_PTRACE); another tracer (a debugger, strace) must not be attached.'
        : error.code === 'ETIMEDOUT'
          ? ' A thread did not stop in time (uninterruptible sleep, e.g. disk or NFS I/O); try again.'
          : '';
    throw new CriuError(
      code,
      `Could not run system calls inside pid ${pid} for its SysV segments: ${error.syscall} failed with ${error.code}.${advice}`,
      { operation, pid },
    );
  }
  return results;
}
