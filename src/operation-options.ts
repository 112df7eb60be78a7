// The options every operation shares (re-exported by types.ts).
import type { BackendChoice } from './backend-choice.js';
import type { Hooks } from './rpc/hooks.js';

/** Options every operation accepts. */
export interface CommonOptions {
  /** The CRIU binary to use; otherwise CRIU_BIN, the project's `.criu/`, then PATH. */
  criuPath?: string;
  /**
   * Where to run: real CRIU, the simulator, or `'auto'` (the simulator for its own pids and
   * checkpoints and off Linux, CRIU for real processes). Default: `NODE_CRIU_BACKEND`, else `'auto'`. A restore runs on the
   * backend that wrote the checkpoint.
   */
  backend?: BackendChoice;
}

/** Options checkpoint() and restore() share: hooks, cancellation, time limit and CRIU's log level. */
export interface OperationOptions extends CommonOptions {
  /** Called at each of CRIU's notifications; returning false or throwing aborts. */
  hooks?: Hooks;
  /** Aborting stops CRIU (rollback at its next notification, then a kill): error ABORTED. */
  signal?: AbortSignal;
  /** Milliseconds before the operation is stopped like an abort: error TIMEOUT. */
  timeout?: number;
  /**
   * CRIU's log level for the operation's log (`logPath`): 0 none ... 4 debug. Default 2, CRIU's
   * own default: errors and warnings, which is all node-criu reads to explain a failure. Level 4
   * says what CRIU did step by step, for diagnosing it; measured here, it cost 4% of a 1 GiB
   * checkpoint (20 ms) and ~5 ms of an idle Node one.
   */
  logLevel?: 0 | 1 | 2 | 3 | 4;
}
