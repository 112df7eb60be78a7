// CRIU's RESTORE request, retried while a just-freed pid is still unusable.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriuError } from '../errors.js';
import { RequestType } from '../gen/criu_rpc_pb.js';
import type { CriuContribution } from '../pipeline/restore-phases.js';
import { type CriuRpcClient, criuOptions } from '../rpc/client.js';
import type { CriuAhead } from '../rpc/criu-ahead.js';
import { FIRST_INHERITED_FD } from '../rpc/swrk.js';
import type { RestoreOptions } from '../types.js';
import { explainFailure } from './explain.js';
import { LOG_LEVEL } from './log.js';
import { pidHolder } from './pids.js';
import { endLeftovers } from './restored-tree.js';

export const RESTORE_LOG = 'restore.log';
/** A freed pid stays unusable for 1-2 s on this kernel: CRIU fails with EEXIST meanwhile. */
const PID_RETRY_MS = 150;

export interface RestoreCall {
  client: CriuRpcClient;
  /** The CRIU the first attempt goes to, started with inheritedFds(criu); the caller dismisses it. */
  ahead: CriuAhead;
  /** The images CRIU reads: the linked copy. */
  imagesDir: string;
  options: RestoreOptions;
  /** The steps' CRIU options, merged. */
  criu: CriuContribution;
  /** The image's pids: retried on while they are all free, ended if CRIU left them behind. */
  pids: readonly number[];
  deadline: number;
  leaveStopped: boolean;
  workDir: string;
}

/** The fds CRIU is started with for `criu`'s inherited ones, in the order of their keys in the request. */
export function inheritedFds(criu: CriuContribution): number[] {
  return Object.values(criu.inheritFds ?? {});
}

/** Runs the RESTORE; returns the root pid and CRIU's exit, which the caller awaits after its own work. */
export async function callRestore(call: RestoreCall): Promise<{ root: number; criuGone: Promise<void> }> {
  const { client, options, criu, pids, deadline } = call;
  const inherit = Object.keys(criu.inheritFds ?? {});
  const logPath = join(call.workDir, RESTORE_LOG);
  // CRIU opens work_dir_fd through /proc/<our pid>/fd, so it must stay open during the call.
  const workDirFd = openSync(call.workDir, 'r');
  const opts = criuOptions({
    imagesDir: call.imagesDir,
    workDirFd,
    rstSibling: true,
    leaveStopped: call.leaveStopped,
    shellJob: criu.shellJob ?? false,
    tcpEstablished: criu.tcpEstablished ?? false,
    fileLocks: criu.fileLocks ?? false,
    extUnixSk: criu.extUnixSk ?? false,
    skipFileRwxCheck: criu.skipFileRwxCheck ?? false,
    lazyPages: criu.lazyPages ?? false,
    logLevel: options.logLevel ?? LOG_LEVEL,
    logFile: RESTORE_LOG,
    // Notifications are where hooks run and where an abort or timeout stops CRIU; without any of
    // them each would only cost a round trip (a plain restore had six, ~3 ms).
    notifyScripts: options.hooks !== undefined || options.signal !== undefined || options.timeout !== undefined,
    external: [...(options.external ?? [])],
    inheritFd: inherit.map((key, i) => ({ key, fd: FIRST_INHERITED_FD + i })),
    joinNs: (options.joinNs ?? []).map((j) => ({
      ns: j.ns,
      nsFile: j.nsFile,
      ...(j.extraOpt ? { extraOpt: j.extraOpt } : {}),
    })),
  });
  try {
    for (let attempt = 0; ; attempt++) {
      const { response, refusal, criuGone } = await client.call(RequestType.RESTORE, opts, {
        operation: 'restore',
        hooks: options.hooks,
        signal: options.signal,
        timeout: options.timeout,
        inheritFds: inheritedFds(criu),
        logPath,
        overlapExit: true,
        // A retry needs a CRIU of its own: the first one is gone with its answer.
        ahead: attempt === 0 ? call.ahead : undefined,
      });
      // Even when CRIU went on (a refused post-resume), the caller asked to stop: the tree is ended.
      if (refusal) {
        throw new CriuError(
          'ABORTED',
          `The restore of ${call.imagesDir} was stopped by the ${refusal.notification} hook.`,
          { operation: 'restore', logPath, cause: refusal.error },
        );
      }
      if (response.success && response.restore) return { root: response.restore.pid, criuGone };
      const error = await explainFailure(response, { operation: 'restore', logPath, fallback: 'RESTORE_FAILED' });
      if (error.code === 'PID_IN_USE' && Date.now() < deadline && pids.every((p) => pidHolder(p) === undefined)) {
        await endLeftovers(pids);
        await sleep(PID_RETRY_MS, undefined, { signal: options.signal }).catch((cause: unknown) => {
          throw new CriuError('ABORTED', 'The restore was aborted while waiting for a pid to be usable.', {
            operation: 'restore',
            cause,
          });
        });
        continue;
      }
      throw error;
    }
  } catch (error) {
    // A failure CRIU cleaned up after leaves nothing; a stopped or killed CRIU may not have.
    await endLeftovers(pids);
    throw error;
  } finally {
    closeSync(workDirFd);
  }
}
