// CRIU's DUMP request and what its failures mean.
import { CriuError } from '../errors.js';
import { type Options, RequestType } from '../gen/criu_rpc_pb.js';
import type { CriuRpcClient } from '../rpc/client.js';
import type { CriuAhead } from '../rpc/criu-ahead.js';
import type { CheckpointOptions } from '../types.js';
import type { DumpHooks } from './checkpoint-hooks.js';
import { explainFailure } from './explain.js';
import { startTime } from './pids.js';

export interface DumpCall {
  client: CriuRpcClient;
  /** The CRIU the request goes to, started before the checks. */
  ahead: CriuAhead;
  pid: number;
  opts: Options;
  options: CheckpointOptions;
  hooks: DumpHooks;
  logPath: string;
}

/** A failure of the work around the call (detaching segments, a snapshot) as a CriuError. */
export function dumpFailure(error: unknown, pid: number): CriuError {
  return error instanceof CriuError
    ? error
    : new CriuError('DUMP_FAILED', String(error), { operation: 'checkpoint', pid, cause: error });
}

/** The dump's failure (undefined: success) and CRIU's exit, awaited once the checkpoint is recorded. */
export async function callDump(call: DumpCall): Promise<{ failure?: CriuError; criuGone: Promise<void> }> {
  const { pid, options, logPath } = call;
  const leftRunning = options.leaveRunning ?? false;
  try {
    const { response, refusal, criuGone } = await call.client.call(RequestType.DUMP, call.opts, {
      operation: 'checkpoint',
      hooks: call.hooks.hooks,
      signal: options.signal,
      timeout: options.timeout,
      logPath,
      overlapExit: true,
      ahead: call.ahead,
      answerAhead: call.hooks.answerAhead,
    });
    // Our own checks in query-ext-files (io_uring appeared, an fd that cannot be left out).
    if (refusal?.error instanceof CriuError) return { failure: refusal.error, criuGone };
    if (refusal) {
      const message = `The checkpoint of pid ${pid} was stopped by the ${refusal.notification} hook.`;
      const failure = new CriuError('ABORTED', message, {
        operation: 'checkpoint',
        pid,
        logPath,
        cause: refusal.error,
      });
      return { failure, criuGone };
    }
    if (response.success) return { criuGone };
    const failure = await explainFailure(response, { operation: 'checkpoint', pid, logPath, fallback: 'DUMP_FAILED' });
    return { failure, criuGone };
  } catch (error) {
    const failure = dumpFailure(error, pid);
    // CRIU died after writing every image (post-dump answered) but before answering: the checkpoint is kept.
    if (failure.code === 'PROTOCOL' && call.hooks.imagesWritten()) {
      finishForDeadCriu(call.hooks.frozen(), leftRunning);
      return { criuGone: Promise.resolve() };
    }
    return { failure, criuGone: Promise.resolve() };
  }
}

/**
 * CRIU died after writing every image (post-dump answered) but before answering the dump. Its
 * remaining job was to kill the tree (or, leaving it running, release it, which its death did):
 * finishing that job keeps a complete checkpoint instead of losing it with the tree half-killed.
 */
function finishForDeadCriu(tree: ReadonlyMap<number, string | undefined>, leftRunning: boolean): void {
  if (leftRunning) return;
  for (const [pid, started] of tree) {
    // Only the process CRIU had frozen, never one that took its pid since.
    if (started === undefined || startTime(pid) !== started) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // killed by CRIU meanwhile
    }
  }
}
