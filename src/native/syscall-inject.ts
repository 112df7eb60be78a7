// System calls run inside another process under ptrace (native/ptrace_inject.cc,
// syscall_inject.cc): how SysV objects are attached to or detached from a process in place.
import { argumentError, assertPid, MAX_INT32 } from './validate.js';

/** One system call to run inside a traced task: its x86_64 number and up to six arguments. */
export interface InjectedCall {
  nr: number;
  args: readonly bigint[];
}

/** How injectSyscalls leaves the task: as found, stopped (SIGSTOP), or continued (SIGCONT). */
export const FinalState = { Unchanged: 0, Stopped: 1, Running: 2 } as const;
export type FinalState = (typeof FinalState)[keyof typeof FinalState];

export interface InjectResult {
  /** The raw return of each call that ran (-4095..-1 is -errno); the run ends at the first failure. */
  results: bigint[];
  /** How many threads were held stopped while the calls ran. */
  threads: number;
  /** Set when tracing itself failed (the task could not be seized or stopped in time). */
  error?: { errno: number; code: string; syscall: string };
}

/** The syscall-injection part of NativeAddon. */
export interface SyscallInjectApi {
  /**
   * Seizes every thread of `pid` with ptrace, runs `calls` in one of them (x86_64), restores its
   * registers and code (a syscall it was stopped in restarts), leaves it in `finalState` and
   * detaches. Runs on the thread pool in a short-lived helper process; a thread that cannot stop
   * within `stopTimeoutMs` fails the call with ETIMEDOUT, nothing run.
   */
  injectSyscalls(
    pid: number,
    calls: readonly InjectedCall[],
    finalState: FinalState,
    stopTimeoutMs: number,
  ): Promise<InjectResult>;
}

/** The addon's injection export: plain arrays, the final state as a bare number. */
export interface RawSyscallInjectBinding {
  injectSyscalls(pid: number, calls: InjectedCall[], finalState: number, stopTimeoutMs: number): Promise<InjectResult>;
}

export function syscallInjectApi(raw: RawSyscallInjectBinding): SyscallInjectApi {
  return {
    injectSyscalls(pid, calls, finalState, stopTimeoutMs) {
      assertPid(pid);
      if (!Number.isInteger(stopTimeoutMs) || stopTimeoutMs < 0 || stopTimeoutMs > MAX_INT32) {
        throw argumentError(`stopTimeoutMs must be a non-negative integer.`, 'ERR_OUT_OF_RANGE');
      }
      return raw.injectSyscalls(
        pid,
        calls.map((c) => ({ nr: c.nr, args: [...c.args] })),
        finalState,
        stopTimeoutMs,
      );
    },
  };
}
